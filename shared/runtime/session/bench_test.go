package session_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/logging"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/session"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// benchSessionSecret is a throwaway 32-byte HS256 key.
const benchSessionSecret = "bench-secret-0123456789abcdef-0123456789"

// benchUser is the account every benchmark logs in as; its hash uses
// password.Default (argon2id m=19 MiB, t=2, p=1), as production does.
var benchUser = tokens.Subject{Name: "testuser", Roles: []string{"user"}}

const benchPassword = "testpass"

// benchService wires session.Service as handlers.New does, over the
// in-memory stores, with the JSON logger writing to io.Discard.
func benchService(b *testing.B) (*session.Service, *tokens.Service, string) {
	b.Helper()
	env := map[string]string{"JWT_SECRET_KEY": benchSessionSecret}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, config.Lambda)
	if err != nil {
		b.Fatal(err)
	}
	topts := cfg.Tokens
	topts.Keys = []tokens.Key{{Secret: []byte(benchSessionSecret)}}
	ts, err := tokens.New(topts)
	if err != nil {
		b.Fatal(err)
	}
	hash, err := password.HashDefault(benchPassword)
	if err != nil {
		b.Fatal(err)
	}
	us := users.NewMemoryStore()
	if err := us.Add(context.Background(), users.User{Name: benchUser.Name, PasswordHash: hash, Roles: benchUser.Roles}); err != nil {
		b.Fatal(err)
	}
	return session.New(cfg, ts, session.Stores{Users: us, Revocations: revocation.NewMemoryStore(nil)},
		session.WithLogger(logging.New(io.Discard, cfg.LogLevel)), session.WithHashSlots(0)), ts, hash
}

// serve runs one request and fails b unless the answer is 200.
func serve(b *testing.B, h http.Handler, r *http.Request) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("%s %s: %d %s", r.Method, r.URL.Path, w.Code, w.Body)
	}
}

func loginRequest() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(`{"username":"testuser","password":"testpass"}`))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// BenchmarkLogin is POST /login end to end: JSON body, PRECIS name, user
// lookup (in memory), argon2id verify, a token pair and four cookies.
func BenchmarkLogin(b *testing.B) {
	s, _, _ := benchService(b)
	h := s.Login()
	b.ReportAllocs()
	done := benchCPUPerOp(b)
	for b.Loop() {
		serve(b, h, loginRequest())
	}
	done()
}

// BenchmarkBaselineArgon2Verify is password.Verify alone on the same hash:
// the argon2id cost that dominates a login.
func BenchmarkBaselineArgon2Verify(b *testing.B) {
	_, _, hash := benchService(b)
	b.ReportAllocs()
	done := benchCPUPerOp(b)
	for b.Loop() {
		if err := password.Verify(hash, benchPassword); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

// BenchmarkRefresh is POST /refresh end to end with a fresh refresh token
// each time (rotation consumes it): verify, revocation lookup, atomic
// consume, a new pair and four cookies. Tokens are issued before the timer.
func BenchmarkRefresh(b *testing.B) {
	s, ts, _ := benchService(b)
	h := s.Refresh()
	reqs := make([]*http.Request, b.N)
	for i := range reqs {
		p, err := ts.IssuePair(benchUser, ts.NewID(), false)
		if err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/refresh", nil)
		r.Header.Set("Cookie", "refresh_token_cookie="+p.Refresh.Token+"; csrf_refresh_token="+p.Refresh.Claims.CSRF)
		r.Header.Set("X-CSRF-TOKEN", p.Refresh.Claims.CSRF)
		reqs[i] = r
	}
	b.ReportAllocs()
	b.ResetTimer()
	done := benchCPUPerOp(b)
	for i := 0; i < b.N; i++ {
		serve(b, h, reqs[i])
	}
	done()
}

// BenchmarkBaselineIssuePair is tokens.IssuePair alone: the signing work a
// refresh cannot avoid.
func BenchmarkBaselineIssuePair(b *testing.B) {
	_, ts, _ := benchService(b)
	b.ReportAllocs()
	done := benchCPUPerOp(b)
	for b.Loop() {
		if _, err := ts.IssuePair(benchUser, "sid", false); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

// BenchmarkLogout is POST /logout end to end with both cookies and the
// CSRF header: two verifications, one session revocation, four cleared
// cookies.
func BenchmarkLogout(b *testing.B) {
	s, ts, _ := benchService(b)
	h := s.Logout()
	p, err := ts.IssuePair(benchUser, ts.NewID(), true)
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/logout", nil)
	r.Header.Set("Cookie", "access_token_cookie="+p.Access.Token+"; csrf_access_token="+p.Access.Claims.CSRF+
		"; refresh_token_cookie="+p.Refresh.Token+"; csrf_refresh_token="+p.Refresh.Claims.CSRF)
	r.Header.Set("X-CSRF-TOKEN", p.Access.Claims.CSRF)
	b.ReportAllocs()
	done := benchCPUPerOp(b)
	for b.Loop() {
		serve(b, h, r) // the handler reads only headers: the request can be served again
	}
	done()
}

// BenchmarkBaselineParseTwo is tokens.Parse of the access and the refresh
// token alone: the verification a logout cannot avoid.
func BenchmarkBaselineParseTwo(b *testing.B) {
	_, ts, _ := benchService(b)
	p, err := ts.IssuePair(benchUser, "sid", true)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	done := benchCPUPerOp(b)
	for b.Loop() {
		if _, err := ts.Parse(p.Access.Token); err != nil {
			b.Fatal(err)
		}
		if _, err := ts.Parse(p.Refresh.Token); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

// benchCPUPerOp reports, when the returned func is called after the loop,
// the process CPU time (user + system, GC workers included) per iteration
// as cpu-ns/op: unlike ns/op it leaves out time spent waiting for a CPU on
// a shared machine.
func benchCPUPerOp(b *testing.B) func() {
	start := benchProcessCPU(b)
	return func() {
		b.ReportMetric(float64(benchProcessCPU(b)-start)/float64(b.N), "cpu-ns/op")
	}
}

func benchProcessCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
