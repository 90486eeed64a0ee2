package devserver_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
	"github.com/jwtgate/jwtgate/shared/testkit/capture"
	"github.com/jwtgate/jwtgate/shared/testkit/emf"
	"github.com/jwtgate/jwtgate/shared/testkit/fakeclock"
	"github.com/jwtgate/jwtgate/shared/tooling/devmetrics"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
)

// TestMetricsOfASession runs a scripted session through the dev gateway
// and checks what the functions reported: every line valid EMF, and the
// counts exactly those of the script, as /_jwtgate/metrics serves them.
func TestMetricsOfASession(t *testing.T) {
	var lines capture.Buffer
	clock := fakeclock.New(start)
	srv, err := devserver.New(context.Background(), devserver.Options{
		Template: []byte(jwtgate.Template),
		Getenv: func(k string) (string, bool) {
			v, ok := map[string]string{"JWT_SECRET_KEY": testSecret}[k]
			return v, ok
		},
		Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock:      clock.Now,
		MetricsLog: &lines,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	h := &harness{t: t, URL: ts.URL, Clock: clock, Srv: srv}
	b := h.browser()

	expect(t, "wrong password", b.do("POST", "/login", `{"username":"testuser","password":"nope"}`,
		map[string]string{"Content-Type": "application/json"}), 401, msg("Bad username or password"))
	b.login("testuser", "testpass")
	expect(t, "protected", b.do("GET", "/protected", "", nil), 200, `{"logged_in_as":"testuser"}`)
	expect(t, "admin as a user", b.do("GET", "/admin", "", nil), 401, msg("Forbidden: requires role admin"))
	// A request with no Cookie header at all is refused by the identity
	// source before the authorizer runs (API Gateway's 4XX metric counts it);
	// one with other cookies reaches it and is denied for NoToken.
	expect(t, "no token cookie", h.raw("GET", "/protected", "", cookieHeader("theme=dark")), 401,
		msg(`Missing cookie "access_token_cookie"`))
	oldRefresh, oldCSRF := b.cookie(refreshCookie), b.cookie(refreshCSRF)
	expect(t, "refresh", b.do("POST", "/refresh", "", withCSRF(oldCSRF)), 200, `{"refresh":true}`)
	clock.Advance(time.Minute) // past the reuse grace: replaying the old token is theft
	expect(t, "replay", h.raw("POST", "/refresh", "", map[string]string{
		"Cookie": refreshCookie + "=" + oldRefresh, "X-CSRF-TOKEN": oldCSRF}), 401, msg("Token has been revoked"))
	expect(t, "revoked session", b.do("GET", "/protected", "", nil), 401, msg("Token has been revoked"))
	expect(t, "logout", b.do("POST", "/logout", "", withCSRF(b.cookie(accessCSRF))), 200, `{"logout":true}`)

	parsed, err := emf.Lines(lines.Bytes())
	if err != nil {
		t.Fatalf("invalid EMF: %v\n%s", err, lines.String())
	}
	// Requests that decided something: 2 logins, 4 authorizations, 2
	// refreshes, 1 logout (the protected function itself reports nothing).
	if len(parsed) != 9 {
		t.Errorf("%d EMF lines, want 9 (one per deciding invocation):\n%s", len(parsed), lines.String())
	}
	res, err := http.Get(ts.URL + devmetrics.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var page struct {
		Namespace string                        `json:"namespace"`
		Functions map[string]map[string]float64 `json:"functions"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]float64{
		"login": {metrics.LoginFailed: 1, metrics.LoginSucceeded: 1},
		"authorizer": {metrics.AuthorizerAllowed: 1, metrics.AuthorizerDenied: 3, metrics.AuthorizerDenied + ".NoToken": 1,
			metrics.AuthorizerDenied + ".Revoked": 1, metrics.AuthorizerDenied + ".Role": 1},
		"refresh": {metrics.RefreshSucceeded: 1, metrics.RefreshRefused: 1, metrics.TheftDetected: 1},
		"logout":  {metrics.LogoutSucceeded: 1},
	}
	if page.Namespace != metrics.Namespace {
		t.Errorf("namespace %q", page.Namespace)
	}
	for fn, ms := range want {
		for name, v := range ms {
			if got := page.Functions[fn][name]; got != v {
				t.Errorf("%s %s = %v, want %v (page %v)", fn, name, got, v, page.Functions)
			}
		}
		if len(page.Functions[fn]) != len(ms) {
			t.Errorf("%s reported %v, want exactly %v", fn, page.Functions[fn], ms)
		}
	}
}
