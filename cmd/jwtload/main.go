// Command jwtload is a small load generator for a local jwtgate (`jwtgate
// dev`): a bounded number of clients, each with its own cookie jar, run a
// scenario for a bounded time and it prints throughput, latency
// percentiles, status counts and, with -pid, the target's resident memory
// sampled from /proc. A server of several processes (gunicorn's master and
// workers) is measured by listing every pid: their RSS is summed.
//
// It only talks to loopback addresses: a non-loopback host is refused, every
// connection is checked again when dialled, and redirects are not followed.
// -allow-private also admits private and link-local networks (a reference
// app in a container, say), by name or address; every dialled address is
// still checked, so a name that resolves to a public address is refused.
//
// Scenarios:
//
//	protected  each client logs in once, then GETs /protected with its cookie
//	mix        each client cycles login, /protected x4, refresh, /protected, logout
//
// Example:
//
//	jwtload -url http://127.0.0.1:3000 -scenario protected -clients 8 -duration 20s -pid 1234
//	jwtload -url http://127.0.0.1:5000 -scenario protected -pid 2000,2001,2002
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jwtgate/jwtgate/shared/tooling/procmem"
)

// Bounds of the flags: a load generator must not be able to run away.
const (
	maxClients  = 256
	maxDuration = 30 * time.Minute
)

// ErrNotLoopback refuses targets (and dialled addresses) off this host, or
// with -allow-private off private networks.
var ErrNotLoopback = errors.New("jwtload: only loopback targets are allowed (and private networks with -allow-private)")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "jwtload:", err)
		os.Exit(1)
	}
}

// options are the parsed flags.
type options struct {
	base     *url.URL
	scenario string
	clients  int
	duration time.Duration
	pids     []int // RSS is summed over these; none: no sampling
	private  bool  // -allow-private
	user     string
	password string
	sample   time.Duration
}

func parseFlags(args []string, out io.Writer) (options, error) {
	fs := flag.NewFlagSet("jwtload", flag.ContinueOnError)
	fs.SetOutput(out)
	rawURL := fs.String("url", "http://127.0.0.1:3000", "base URL of the target (loopback only, see -allow-private)")
	o := options{}
	fs.BoolVar(&o.private, "allow-private", false, "also allow targets on private and link-local networks (never public addresses)")
	fs.StringVar(&o.scenario, "scenario", "protected", "protected or mix")
	fs.IntVar(&o.clients, "clients", 8, fmt.Sprintf("concurrent clients (1-%d)", maxClients))
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long to run (at most "+maxDuration.String()+")")
	fs.Func("pid", "target process id(s) whose RSS to sample from /proc, comma-separated and summed (0: none)", func(v string) error {
		pids, err := parsePids(v)
		o.pids = pids
		return err
	})
	fs.StringVar(&o.user, "user", "testuser", "user to log in as")
	fs.StringVar(&o.password, "password", "testpass", "its password (the dev demo user's by default)")
	fs.DurationVar(&o.sample, "sample", time.Second, "RSS sampling interval")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case o.scenario != "protected" && o.scenario != "mix":
		return o, fmt.Errorf("-scenario %q: want protected or mix", o.scenario)
	case o.clients < 1 || o.clients > maxClients:
		return o, fmt.Errorf("-clients %d: want 1-%d", o.clients, maxClients)
	case o.duration <= 0 || o.duration > maxDuration:
		return o, fmt.Errorf("-duration %s: want (0, %s]", o.duration, maxDuration)
	case o.sample <= 0:
		return o, fmt.Errorf("-sample %s: want > 0", o.sample)
	}
	u, err := url.Parse(*rawURL)
	if err != nil {
		return o, fmt.Errorf("-url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return o, fmt.Errorf("-url %q: want http or https", *rawURL)
	}
	if !allowedHost(u.Hostname(), o.private) {
		return o, fmt.Errorf("-url host %q: %w", u.Hostname(), ErrNotLoopback)
	}
	o.base = u
	return o, nil
}

// parsePids reads -pid: one process id or a comma-separated list (a
// multi-process server); "0" or "" means none.
func parsePids(v string) ([]int, error) {
	if v == "" || v == "0" {
		return nil, nil
	}
	var pids []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q: want positive process ids, comma-separated", f)
		}
		if !slices.Contains(pids, n) {
			pids = append(pids, n)
		}
	}
	return pids, nil
}

// allowedHost accepts "localhost" and loopback IP literals. With private,
// it also accepts private and link-local IP literals and any other name
// (the dialer checks what it resolves to); without, other names are refused
// without being resolved.
func allowedHost(host string, private bool) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return allowedIP(ip, private)
	}
	return private
}

// allowedIP is the rule every dialled address must pass.
func allowedIP(ip net.IP, private bool) bool {
	return ip.IsLoopback() || private && (ip.IsPrivate() || ip.IsLinkLocalUnicast())
}

// loopbackDialer refuses, at connect time, any address that is not
// loopback (a "localhost" resolving elsewhere, say), or with private not
// loopback, private or link-local.
func loopbackDialer(private bool) *net.Dialer {
	return &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !allowedIP(ip, private) {
				return fmt.Errorf("dial %s: %w", address, ErrNotLoopback)
			}
			return nil
		},
	}
}

// result is one request's outcome.
type result struct {
	op      string
	status  int // 0: transport error
	latency time.Duration
}

// client is one simulated browser: its own cookie jar and connection.
type client struct {
	http *http.Client
	base *url.URL
	opts options
	out  []result
}

func newClient(o options, transport http.RoundTripper) (*client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	return &client{
		base: o.base, opts: o,
		http: &http.Client{
			Transport: transport, Jar: jar, Timeout: 30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// cookie returns the jar's value of name for the target.
func (c *client) cookie(name string) string {
	for _, ck := range c.http.Jar.Cookies(c.base) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// do sends one request and records it; it returns the status (0 on error).
func (c *client) do(ctx context.Context, op, method, path, body, csrfCookie string) int {
	u := c.base.JoinPath(path)
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return 0
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if csrfCookie != "" {
		req.Header.Set("X-CSRF-TOKEN", c.cookie(csrfCookie))
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	status := 0
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status = resp.StatusCode
	}
	if ctx.Err() != nil {
		return status // cut off by the deadline: not a measurement
	}
	c.out = append(c.out, result{op: op, status: status, latency: time.Since(start)})
	return status
}

func (c *client) login(ctx context.Context) int {
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, c.opts.user, c.opts.password)
	return c.do(ctx, "login", http.MethodPost, "/login", body, "")
}

// run plays the scenario until ctx ends.
func (c *client) run(ctx context.Context) {
	if c.opts.scenario == "protected" {
		for ctx.Err() == nil && c.login(ctx) != http.StatusOK {
			time.Sleep(100 * time.Millisecond)
		}
		for ctx.Err() == nil {
			c.do(ctx, "protected", http.MethodGet, "/protected", "", "")
		}
		return
	}
	for ctx.Err() == nil {
		if c.login(ctx) != http.StatusOK {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for range 4 {
			c.do(ctx, "protected", http.MethodGet, "/protected", "", "")
		}
		c.do(ctx, "refresh", http.MethodPost, "/refresh", "", "csrf_refresh_token")
		c.do(ctx, "protected", http.MethodGet, "/protected", "", "")
		c.do(ctx, "logout", http.MethodPost, "/logout", "", "csrf_access_token")
	}
}

// rssSample is one reading of the target's memory.
type rssSample struct {
	at       time.Duration
	rss, hwm int64 // KiB
}

// readRSSSum sums VmRSS and VmHWM (KiB) over pids: the memory of a server made of
// several processes. The summed peaks are an upper bound of the peak of the
// sum (the processes need not peak at once).
func readRSSSum(pids []int) (rss, hwm int64, err error) {
	for _, pid := range pids {
		u, err := procmem.Read(pid)
		if err != nil {
			return 0, 0, err
		}
		rss, hwm = rss+int64(u.RSS>>10), hwm+int64(u.Peak>>10)
	}
	return rss, hwm, nil
}

// sampleRSS reads the target's memory every interval until ctx ends.
func sampleRSS(ctx context.Context, pids []int, every time.Duration) ([]rssSample, error) {
	start := time.Now()
	var out []rssSample
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		rss, hwm, err := readRSSSum(pids)
		if err != nil {
			return out, err
		}
		out = append(out, rssSample{at: time.Since(start), rss: rss, hwm: hwm})
		select {
		case <-ctx.Done():
			return out, nil
		case <-t.C:
		}
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	transport := &http.Transport{
		DialContext:         loopbackDialer(o.private).DialContext,
		MaxIdleConnsPerHost: o.clients,
		MaxIdleConns:        o.clients,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	if len(o.pids) > 0 {
		if _, _, err := readRSSSum(o.pids); err != nil {
			return fmt.Errorf("-pid: %w", err)
		}
	}
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var rss []rssSample
	var rssErr error
	var wg sync.WaitGroup
	if len(o.pids) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rss, rssErr = sampleRSS(runCtx, o.pids, o.sample)
		}()
	}
	clients := make([]*client, o.clients)
	for i := range clients {
		if clients[i], err = newClient(o, transport); err != nil {
			return err
		}
	}
	start := time.Now()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.run(runCtx)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []result
	for _, c := range clients {
		all = append(all, c.out...)
	}
	report(out, o, elapsed, all, rss)
	if rssErr != nil {
		return fmt.Errorf("RSS sampling stopped: %w", rssErr)
	}
	return nil
}

// report prints the run's figures.
func report(w io.Writer, o options, elapsed time.Duration, all []result, rss []rssSample) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "target %s  scenario %s  clients %d  duration %s\n", o.base, o.scenario, o.clients, elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "requests %d  %.0f req/s\n", len(all), float64(len(all))/elapsed.Seconds())
	byOp := map[string][]result{"all": all}
	for _, r := range all {
		byOp[r.op] = append(byOp[r.op], r)
	}
	ops := make([]string, 0, len(byOp))
	for op := range byOp {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	fmt.Fprintf(&b, "%-10s %8s %9s %9s %9s %9s %9s  %s\n", "op", "count", "req/s", "p50", "p99", "p999", "max", "status")
	for _, op := range ops {
		rs := byOp[op]
		lat := make([]time.Duration, len(rs))
		status := map[int]int{}
		for i, r := range rs {
			lat[i] = r.latency
			status[r.status]++
		}
		slices.Sort(lat)
		fmt.Fprintf(&b, "%-10s %8d %9.0f %9s %9s %9s %9s  %s\n", op, len(rs), float64(len(rs))/elapsed.Seconds(),
			pct(lat, 0.50), pct(lat, 0.99), pct(lat, 0.999), pct(lat, 1), statusLine(status))
	}
	if len(rss) > 0 {
		first, last := rss[0], rss[len(rss)-1]
		lo, hi := first.rss, first.rss
		for _, s := range rss {
			lo, hi = min(lo, s.rss), max(hi, s.rss)
		}
		// Flatness: the last third's mean against the middle third's.
		third := len(rss) / 3
		pids := make([]string, len(o.pids))
		for i, p := range o.pids {
			pids[i] = strconv.Itoa(p)
		}
		peak := "peak(VmHWM)"
		if len(o.pids) > 1 {
			peak = "summed peaks(VmHWM)"
		}
		fmt.Fprintf(&b, "target pid %s RSS (KiB): first %d  last %d  min %d  max %d  %s %d  samples %d",
			strings.Join(pids, ","), first.rss, last.rss, lo, hi, peak, last.hwm, len(rss))
		if third > 0 {
			mid, end := meanRSS(rss[third:2*third]), meanRSS(rss[2*third:])
			fmt.Fprintf(&b, "  middle-third mean %.0f  last-third mean %.0f (%+.1f%%)", mid, end, 100*(end-mid)/mid)
		}
		b.WriteString("\n")
	}
	_, _ = w.Write(b.Bytes())
}

func meanRSS(s []rssSample) float64 {
	var sum int64
	for _, x := range s {
		sum += x.rss
	}
	return float64(sum) / float64(len(s))
}

// pct is the q-quantile of sorted latencies (nearest rank).
func pct(sorted []time.Duration, q float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	d := sorted[i]
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.0fµs", float64(d)/1e3)
}

func statusLine(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		name := strconv.Itoa(c)
		if c == 0 {
			name = "error"
		}
		parts[i] = fmt.Sprintf("%s:%d", name, m[c])
	}
	return strings.Join(parts, " ")
}
