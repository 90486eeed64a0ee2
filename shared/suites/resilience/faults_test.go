package resilience_test

import (
	"context"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/testkit/capture"
)

// The store bound of the fault tests: the authorizer gives its lookup
// storeTimeout, the session handlers three times that.
const (
	storeTimeout   = 300 * time.Millisecond
	sessionTimeout = 3 * storeTimeout
	// hangFactor times a bound is where "slow" becomes "hung": the tests
	// assert only this, never a latency target.
	hangFactor = 5
	// slowDelay is how long the slow endpoint holds every response: well
	// past every bound.
	slowDelay = 2 * time.Second
)

// proxyMode is what the fault proxy does with DynamoDB traffic.
type proxyMode int32

const (
	pass  proxyMode = iota // forward both ways
	delay                  // hold every chunk of every response for slowDelay
	down                   // stop listening: connections are refused
)

func (m proxyMode) String() string { return [...]string{"pass", "delay", "down"}[m] }

// faultProxy is a TCP proxy on a fixed loopback port in front of DynamoDB
// Local. Switching mode closes every open connection, so the SDK's pooled
// connections see the new behaviour at once.
type faultProxy struct {
	t      *testing.T
	target string // host:port of DynamoDB Local
	addr   string // the proxy's own host:port, kept across down/up

	mu      sync.Mutex
	mode    proxyMode
	ln      net.Listener
	conns   map[net.Conn]bool
	changed chan struct{} // closed and replaced on every switch
	wg      sync.WaitGroup
}

func newFaultProxy(t *testing.T, targetURL string) *faultProxy {
	t.Helper()
	u, err := url.Parse(targetURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &faultProxy{t: t, target: u.Host, addr: ln.Addr().String(), conns: map[net.Conn]bool{}, changed: make(chan struct{})}
	p.serve(ln)
	t.Cleanup(func() {
		p.set(down)
		p.wg.Wait()
	})
	return p
}

// URL is the endpoint the stores' client talks to.
func (p *faultProxy) URL() string { return "http://" + p.addr }

// set switches the proxy to m.
func (p *faultProxy) set(m proxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m == p.mode && p.ln != nil {
		return
	}
	p.mode = m
	close(p.changed)
	p.changed = make(chan struct{})
	for c := range p.conns {
		_ = c.Close()
	}
	if m == down {
		if p.ln != nil {
			_ = p.ln.Close()
			p.ln = nil
		}
		return
	}
	if p.ln == nil {
		ln, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Errorf("proxy relisten on %s: %v", p.addr, err)
			return
		}
		p.serveLocked(ln)
	}
}

func (p *faultProxy) serve(ln net.Listener) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serveLocked(ln)
}

func (p *faultProxy) serveLocked(ln net.Listener) {
	p.ln = ln
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by set(down)
			}
			p.wg.Add(1)
			go func() { defer p.wg.Done(); p.pipe(c) }()
		}
	}()
}

// track registers c for closing on the next switch; it reports false when
// the proxy went down meanwhile.
func (p *faultProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode == down {
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *faultProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		_ = c.Close()
	}
}

func (p *faultProxy) current() (proxyMode, <-chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mode, p.changed
}

// pipe forwards one client connection to DynamoDB Local, delaying the
// responses while the mode is delay.
func (p *faultProxy) pipe(client net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(client, up) {
		p.untrack(client, up)
		return
	}
	defer p.untrack(client, up)
	go func() {
		_, _ = io.Copy(up, client)
		_ = up.Close()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := up.Read(buf)
		if n > 0 {
			if m, changed := p.current(); m == delay {
				select {
				case <-time.After(slowDelay):
				case <-changed:
					return // the switch closed this connection
				}
			}
			if _, werr := client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// throttler stands in for the DynamoDB client and answers the next calls
// (as many as left says) with a throttling error, as DynamoDB does when a
// table's capacity is exceeded, before its retries are exhausted. It
// forwards every other call to the real client.
type throttler struct {
	dynamostore.ItemAPI
	// code is "ProvisionedThroughputExceededException" or
	// "ThrottlingException".
	code   string
	left   atomic.Int64
	failed atomic.Int64
}

// fault returns the throttling error of op while calls are left to fail.
func (f *throttler) fault(op string) error {
	for {
		n := f.left.Load()
		if n <= 0 {
			return nil
		}
		if f.left.CompareAndSwap(n, n-1) {
			break
		}
	}
	f.failed.Add(1)
	var apiErr error
	switch f.code {
	case "ProvisionedThroughputExceededException":
		apiErr = &types.ProvisionedThroughputExceededException{
			Message: aws.String("The level of configured provisioned throughput for the table was exceeded."),
		}
	default:
		apiErr = &smithy.GenericAPIError{Code: f.code, Message: "Rate of requests exceeds the allowed throughput.",
			Fault: smithy.FaultClient}
	}
	// Wrapped as the SDK wraps every service error.
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op, Err: apiErr}
}

func (f *throttler) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if err := f.fault("GetItem"); err != nil {
		return nil, err
	}
	return f.ItemAPI.GetItem(ctx, in, o...)
}

func (f *throttler) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if err := f.fault("PutItem"); err != nil {
		return nil, err
	}
	return f.ItemAPI.PutItem(ctx, in, o...)
}

func (f *throttler) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if err := f.fault("UpdateItem"); err != nil {
		return nil, err
	}
	return f.ItemAPI.UpdateItem(ctx, in, o...)
}

func (f *throttler) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if err := f.fault("BatchGetItem"); err != nil {
		return nil, err
	}
	return f.ItemAPI.BatchGetItem(ctx, in, o...)
}

func (f *throttler) Scan(ctx context.Context, in *dynamodb.ScanInput, o ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	if err := f.fault("Scan"); err != nil {
		return nil, err
	}
	return f.ItemAPI.Scan(ctx, in, o...)
}

// faultCase is one way DynamoDB fails, with its switches.
type faultCase struct {
	name string
	// build returns the gateway's setup and the fault's switches.
	build func(t *testing.T) (s setup, on, off func())
	// why is what the authorizer's log line must say about the cause.
	why string
	// writesLand is true when a write the handler gave up on still
	// reaches the table (the slow endpoint forwards requests at once and
	// holds only the answers).
	writesLand bool
}

// TestStoreFaults injects DynamoDB failures under the real HTTP path of the
// dev gateway and checks that every endpoint fails closed within its bound,
// that nothing is claimed that did not happen, and that the same gateway
// recovers by itself once DynamoDB is back.
func TestStoreFaults(t *testing.T) {
	env := map[string]string{"JWTGATE_STORE_TIMEOUT": storeTimeout.String()}
	proxied := func(mode proxyMode) func(t *testing.T) (setup, func(), func()) {
		return func(t *testing.T) (setup, func(), func()) {
			p := newFaultProxy(t, server.URL)
			s := setup{Env: env, API: func(t *testing.T) dynamostore.ItemAPI {
				return server.Client(t, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(p.URL()) })
			}}
			return s, func() { p.set(mode) }, func() { p.set(pass) }
		}
	}
	cases := []faultCase{
		{name: "unreachable endpoint (closed loopback port)", build: proxied(down), why: "connection refused"},
		{name: "slow endpoint (responses held 2s)", build: proxied(delay), why: "deadline exceeded", writesLand: true},
		{name: "throttled (ProvisionedThroughputExceededException)", why: "ProvisionedThroughputExceededException",
			build: func(t *testing.T) (setup, func(), func()) {
				f := &throttler{code: "ProvisionedThroughputExceededException"}
				s := setup{Env: env, API: func(t *testing.T) dynamostore.ItemAPI { f.ItemAPI = server.Client(t); return f }}
				return s, func() { f.left.Store(1 << 30) }, func() { f.left.Store(0) }
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			logs := &capture.Buffer{}
			s, on, off := tc.build(t)
			s.Log = logs
			f := newGateway(t, s)

			a := f.login(t, "testuser", "testpass")
			b := f.login(t, "testuser", "testpass")
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("gateway log:\n%s", logs.String())
				}
			})
			f.do(t, a, protectedCall).want(t, http.StatusOK, `{"logged_in_as":"testuser"}`)

			on()
			r := f.do(t, a, protectedCall).want(t, http.StatusServiceUnavailable, bodyAuthzDown)
			t.Logf("GET /protected refused in %v (store bound %v)", r.Elapsed.Round(time.Millisecond), storeTimeout)
			within(t, r, storeTimeout)

			r = f.do(t, a, refreshCall).want(t, http.StatusServiceUnavailable, bodySessionDown)
			t.Logf("POST /refresh refused in %v (bound %v)", r.Elapsed.Round(time.Millisecond), sessionTimeout)
			within(t, r, sessionTimeout)
			noCookies(t, r)

			r = f.do(t, b, logoutCall).want(t, http.StatusServiceUnavailable, bodyLogoutDown)
			t.Logf("POST /logout refused in %v (bound %v)", r.Elapsed.Round(time.Millisecond), sessionTimeout)
			within(t, r, sessionTimeout)
			noCookies(t, r) // the client keeps its cookies and retries

			r = f.do(t, session{}, loginCall("testuser", "testpass")).want(t, http.StatusServiceUnavailable, bodySessionDown)
			t.Logf("POST /login refused in %v (bound %v)", r.Elapsed.Round(time.Millisecond), sessionTimeout)
			within(t, r, sessionTimeout)
			noCookies(t, r)

			logged := logs.String()
			if !strings.Contains(logged, `"msg":"authorizer failed closed"`) || !strings.Contains(logged, tc.why) {
				t.Errorf("the log does not say the authorizer failed closed because of %q:\n%s", tc.why, logged)
			}

			off()
			// The same gateway, the same cookies, no restart.
			f.do(t, a, protectedCall).want(t, http.StatusOK, `{"logged_in_as":"testuser"}`)
			r = f.do(t, a, refreshCall).want(t, http.StatusOK, bodyRefresh)
			a.update(r.res)
			f.do(t, a, protectedCall).want(t, http.StatusOK, `{"logged_in_as":"testuser"}`)
			f.login(t, "testuser", "testpass")

			// Revocation is never claimed: the failed logout left b's session
			// working (unless the write landed after the handler gave up),
			// and the retried logout revokes it.
			r = f.do(t, b, protectedCall)
			switch {
			case r.Status == http.StatusOK && r.Body == `{"logged_in_as":"testuser"}`:
			case tc.writesLand && r.Status == http.StatusUnauthorized && r.Body == bodyRevoked:
				t.Log("the slow endpoint applied the abandoned logout write: session revoked without a claim")
			default:
				t.Fatalf("session after a failed logout: got %v, want 200", r)
			}
			old := maps.Clone(b)
			r = f.do(t, b, logoutCall).want(t, http.StatusOK, bodyLogout)
			b.update(r.res)
			if len(b) != 0 {
				t.Errorf("logout left cookies %v", b)
			}
			f.do(t, old, protectedCall).want(t, http.StatusUnauthorized, bodyRevoked)
			f.do(t, old, refreshCall).want(t, http.StatusUnauthorized, bodyRevoked)
		})
	}

	t.Run("throttling for exactly N calls fails exactly those requests", func(t *testing.T) {
		logs := &capture.Buffer{}
		f := &throttler{code: "ThrottlingException"}
		g := newGateway(t, setup{Env: env, Log: logs, API: func(t *testing.T) dynamostore.ItemAPI {
			f.ItemAPI = server.Client(t)
			return f
		}})
		a := g.login(t, "admin", "adminpass")
		const n = 3
		f.left.Store(n)
		for i := range n {
			r := g.do(t, a, adminCall).want(t, http.StatusServiceUnavailable, bodyAuthzDown)
			within(t, r, storeTimeout)
			t.Logf("throttled call %d refused in %v", i+1, r.Elapsed.Round(time.Millisecond))
		}
		g.do(t, a, adminCall).want(t, http.StatusOK, `{"admin":true,"user":"admin"}`)
		if got := f.failed.Load(); got != n {
			t.Errorf("%d calls throttled, want %d", got, n)
		}
		if got := strings.Count(logs.String(), `"msg":"authorizer failed closed"`); got != n {
			t.Errorf("%d fail-closed log lines, want %d", got, n)
		}
		if !strings.Contains(logs.String(), "ThrottlingException") {
			t.Errorf("the log does not name the throttling:\n%s", logs.String())
		}
	})
}

// within fails t when r took more than hangFactor times bound: the request
// hung instead of failing closed at its bound.
func within(t *testing.T, r reply, bound time.Duration) {
	t.Helper()
	if limit := hangFactor * bound; r.Elapsed > limit {
		t.Errorf("answered after %v: more than %d x the %v bound (hung?)", r.Elapsed, hangFactor, bound)
	}
}

// noCookies fails t when r sets (or clears) any cookie.
func noCookies(t *testing.T, r reply) {
	t.Helper()
	if sc := r.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Errorf("a failed request changed cookies: %q", sc)
	}
}
