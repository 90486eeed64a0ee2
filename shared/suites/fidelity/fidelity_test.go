package fidelity_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/testkit/provision"
	"github.com/jwtgate/jwtgate/shared/testkit/servers"
)

// The jwtgate binary and the library versions, set up once by TestMain.
var (
	jwtgateBin   string
	root         string
	flaskVersion string
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

// run builds cmd/jwtgate and checks the reference library, then runs the
// tests. Either failing fails the binary with the reason and the hint.
func run(m *testing.M) int {
	ctx := context.Background()
	var err error
	if root, err = provision.RepoRoot("."); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	if flaskVersion, err = servers.CheckPython(ctx, "flask", "flask_jwt_extended", "jwt", "werkzeug"); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	var build servers.Builder
	defer build.Close()
	if jwtgateBin, err = build.Build(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	return m.Run()
}

// scenario is one case: steps run in order on both servers, each answer
// compared with the other's.
type scenario struct {
	Name  string
	Steps []step
}

// kit is what a catalog builds a configuration's cases from.
type kit struct {
	Env       map[string]string
	Now       time.Time
	Locations []string
	Names     names
	// Pair is the configuration's key pair (nil: HMAC with secretKey).
	Pair *keyPair
}

func newKit(env map[string]string, now time.Time, pair *keyPair) kit {
	loc := []string{"cookies"}
	if v := env["JWT_TOKEN_LOCATION"]; v != "" {
		loc = strings.Split(v, ",")
	}
	return kit{Env: env, Now: now, Locations: loc, Names: namesOf(env), Pair: pair}
}

func (k kit) has(loc string) bool {
	for _, l := range k.Locations {
		if l == loc {
			return true
		}
	}
	return false
}

// access and refresh are valid crafted token claims.
func (k kit) access() claims  { return tokenClaims(k.Now, "access", k.Env, k.Pair) }
func (k kit) refresh() claims { return tokenClaims(k.Now, "refresh", k.Env, k.Pair) }

// present sends tok where the configuration looks first, as an access
// token (kind "access") or refresh token.
func (k kit) present(kind, tok string) opt {
	switch k.Locations[0] {
	case "headers":
		return bearerToken(tok)
	case "query_string":
		return query(tok)
	case "json":
		key := "access_token"
		if kind == "refresh" {
			key = "refresh_token"
		}
		return func(s *side, r *request) {
			r.Header = append(r.Header, [2]string{"Content-Type", "application/json"})
			r.Body = fmt.Sprintf("{%q:%q}", key, tok)
		}
	}
	return cookieValue(kind, tok)
}

// catalog returns the cases of a group for a configuration (none when the
// group does not apply to it).
type catalog func(k kit) []scenario

// config is one configuration both servers start with.
type config struct {
	Name     string
	Env      map[string]string
	Catalogs []catalog
	// Flask and JWTGate are set over Env for one server only: where the two
	// read the same setting from different variables (a key pair:
	// pairConfig).
	Flask, JWTGate map[string]string
	// Pair is the key pair crafted tokens are signed with (nil: secretKey).
	Pair *keyPair
}

// envFor is Env with over set on top.
func (c config) envFor(over map[string]string) map[string]string {
	out := maps.Clone(c.Env)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, over)
	return out
}

// TestFidelity runs every configuration's cases on the reference app and
// on jwtgate dev and fails on any difference testdata/differences.json
// does not list, and on any listed one no case shows (when every
// configuration ran).
func TestFidelity(t *testing.T) {
	reg, err := loadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("reference: %s", flaskVersion)
	begin := time.Now()
	var mu sync.Mutex
	counts := map[string][2]int{} // config -> cases, steps
	explained := map[string]map[string]int{}
	// Configurations run in parallel (at most -test.parallel, GOMAXPROCS by
	// default, at once): each has its own two servers, and most of a case's
	// time is a server working while the other waits.
	t.Run("config", func(t *testing.T) {
		for _, cfg := range configs() {
			t.Run(cfg.Name, func(t *testing.T) {
				t.Parallel()
				cases, steps := runConfig(t, reg, cfg, func(id string) {
					mu.Lock()
					defer mu.Unlock()
					if explained[cfg.Name] == nil {
						explained[cfg.Name] = map[string]int{}
					}
					explained[cfg.Name][id]++
				})
				mu.Lock()
				counts[cfg.Name] = [2]int{cases, steps}
				mu.Unlock()
			})
		}
	})
	total := [2]int{}
	var lines []string
	for name, c := range counts {
		total[0] += c[0]
		total[1] += c[1]
		var ids []string
		for id, n := range explained[name] {
			ids = append(ids, fmt.Sprintf("%s×%d", id, n))
		}
		sort.Strings(ids)
		lines = append(lines, fmt.Sprintf("  %-22s %3d cases %3d steps  listed: %s", name, c[0], c[1], strings.Join(ids, " ")))
	}
	sort.Strings(lines)
	t.Logf("fidelity: %d configurations, %d cases, %d steps in %s\n%s", len(counts), total[0], total[1],
		time.Since(begin).Round(100*time.Millisecond), strings.Join(lines, "\n"))
	if flag.Lookup("test.run").Value.String() == "" && !t.Failed() {
		for _, id := range reg.stale() {
			t.Errorf("testdata/differences.json lists %q, but no case shows it: fixed? remove the entry and README's row", id)
		}
	}
}

// runConfig starts both servers with cfg and runs its cases; it returns
// the number of cases and steps run.
func runConfig(t *testing.T, reg *registry, cfg config, seen func(id string)) (int, int) {
	var flask, gate *servers.Process
	var ferr, gerr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); flask, ferr = startFlask(root, cfg.envFor(cfg.Flask)) }()
	go func() { defer wg.Done(); gate, gerr = startJWTGate(jwtgateBin, cfg.envFor(cfg.JWTGate)) }()
	wg.Wait()
	if flask != nil {
		defer flask.Stop()
	}
	if gate != nil {
		defer gate.Stop()
	}
	switch {
	case ferr != nil && !errors.Is(ferr, servers.ErrExited), gerr != nil && !errors.Is(gerr, servers.ErrExited):
		t.Fatalf("cannot start the servers: flask: %v; jwtgate: %v", ferr, gerr)
	case ferr != nil || gerr != nil:
		d := difference{Field: "startup", Flask: startupString(ferr), JWTGate: startupString(gerr)}
		if id := reg.explain(cfg.Name+"/startup", d); id != "" {
			seen(id)
			return 0, 0
		}
		dump(cfg.Name+"/startup", d)
		t.Fatalf("undocumented difference at startup: %s", d)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("flask output:\n%s\njwtgate output:\n%s", tail(flask.Logs()), tail(gate.Logs()))
		}
	})
	client := &http.Client{Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	k := newKit(cfg.Env, time.Now(), cfg.Pair)
	cases, steps := 0, 0
	for _, cat := range cfg.Catalogs {
		for _, sc := range cat(k) {
			cases++
			sides := [2]*side{
				{Name: "flask", URL: flask.URL, Names: k.Names, Jar: map[string]string{}, client: client},
				{Name: "jwtgate", URL: gate.URL, Names: k.Names, Jar: map[string]string{}, client: client},
			}
			for i, st := range sc.Steps {
				steps++
				where := fmt.Sprintf("%s/%s#%d", cfg.Name, sc.Name, i)
				var out [2]outcome
				for j, s := range sides {
					o, err := s.do(st(s))
					if err != nil {
						t.Fatalf("%s on %s: %v", where, s.Name, err)
					}
					s.remember(o)
					out[j] = o
				}
				for _, d := range compare(out[0], out[1], time.Now()) {
					if id := reg.explain(where, d); id != "" {
						seen(id)
						continue
					}
					dump(where, d)
					t.Errorf("%s: undocumented difference %s\n  request: %s\n  flask:   %s\n  jwtgate: %s",
						where, d, describe(st(sides[0])), summary(out[0]), summary(out[1]))
				}
			}
		}
	}
	return cases, steps
}

// dumpFile is where FIDELITY_DUMP asks for undocumented differences as
// JSON lines (one object per difference), to write new entries from.
var dumpMu sync.Mutex

func dump(where string, d difference) {
	path := os.Getenv("FIDELITY_DUMP")
	if path == "" {
		return
	}
	dumpMu.Lock()
	defer dumpMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	b, _ := json.Marshal(map[string]string{"where": where, "field": d.Field, "flask": d.Flask, "jwtgate": d.JWTGate})
	fmt.Fprintf(f, "%s\n", b)
}

func startupString(err error) string {
	if err == nil {
		return "listening"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, "\n"); i >= 0 {
		msg = msg[i+1:]
	}
	return "exited: " + msg
}

// do sends r to the side's server.
func (s *side) do(r request) (outcome, error) {
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequest(r.Method, s.URL+r.Path, body)
	if err != nil {
		return outcome{}, err
	}
	// One Cookie line, as RFC 6265 has clients send; and always one: the
	// deployed API's identity source refuses a request without any Cookie
	// header before the authorizer runs (that case has its own scenarios,
	// marked NoCookieHeader), and the header and claim cases are about what
	// the authorizer answers.
	var jar []string
	for _, h := range r.Header {
		if http.CanonicalHeaderKey(h[0]) == "Cookie" {
			jar = append(jar, h[1])
			continue
		}
		req.Header.Add(h[0], h[1])
	}
	if len(jar) == 0 && !r.NoCookieHeader {
		jar = []string{"other=1"}
	}
	if len(jar) > 0 {
		req.Header.Set("Cookie", strings.Join(jar, "; "))
	}
	now := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return outcome{}, err
	}
	return observe(resp, now)
}

func describe(r request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Method, r.Path)
	for _, h := range r.Header {
		v := h[1]
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		fmt.Fprintf(&b, " | %s: %s", h[0], v)
	}
	if r.Body != "" {
		fmt.Fprintf(&b, " | body %s", r.Body)
	}
	return b.String()
}

func summary(o outcome) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", o.Status, bodyString(o))
	for _, c := range o.Set {
		if len(c) > 200 {
			c = c[:60] + "..." + c[len(c)-120:]
		}
		fmt.Fprintf(&b, "\n           Set-Cookie: %s", c)
	}
	return b.String()
}

func tail(s string) string {
	if len(s) > 4000 {
		return "..." + s[len(s)-4000:]
	}
	return s
}
