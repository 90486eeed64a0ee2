package devserver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/testkit/fakeclock"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
)

// testSecret signs every token of the test servers; tests that forge tokens
// sign with it (or, to fail, with otherSecret).
const (
	testSecret  = "e2e-test-secret-0123456789abcdef0123456789"
	otherSecret = "some-other-secret-0123456789abcdef012345678"
)

// start is the fixed time every test clock begins at, so runs are hermetic.
var start = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// harness is one dev gateway served on a loopback port.
type harness struct {
	t     *testing.T
	URL   string
	Clock *fakeclock.Clock
	Srv   *devserver.Server
}

// newHarness serves devserver.New's gateway over real HTTP. env is the
// whole environment the server sees (JWT_SECRET_KEY is added unless set).
func newHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	return newHarnessTemplate(t, jwtgate.Template, env)
}

func newHarnessTemplate(t *testing.T, template string, env map[string]string) *harness {
	t.Helper()
	return newHarnessFunctions(t, template, env, nil)
}

// newHarnessFunctions serves template with functions (by logical ID) beside
// jwtgate's own.
func newHarnessFunctions(t *testing.T, template string, env map[string]string, functions map[string]any) *harness {
	t.Helper()
	vars := map[string]string{"JWT_SECRET_KEY": testSecret}
	for k, v := range env {
		vars[k] = v
	}
	clock := fakeclock.New(start)
	srv, err := devserver.New(context.Background(), devserver.Options{
		Template:  []byte(template),
		Getenv:    func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock:     clock.Now,
		Functions: functions,
	})
	if err != nil {
		t.Fatalf("devserver.New: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &harness{t: t, URL: ts.URL, Clock: clock, Srv: srv}
}

// browser is a client with a cookie jar, as a browser front end would be.
type browser struct {
	h   *harness
	c   *http.Client
	jar http.CookieJar
}

func (h *harness) browser() *browser {
	h.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &browser{h: h, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}, jar: jar}
}

// cookie returns the jar's value of name ("" when absent).
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.h.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// response is what a test asserts on.
type response struct {
	Status int
	Body   string
	Header http.Header
}

// do sends one request through the jar. headers are sent with exactly the
// given names (a lower-case name stays lower case on the wire).
func (b *browser) do(method, path, body string, headers map[string]string) response {
	b.h.t.Helper()
	return send(b.h.t, b.c, b.h.URL, method, path, body, header(headers))
}

// raw sends one request with no jar: the caller writes the Cookie header.
func (h *harness) raw(method, path, body string, headers map[string]string) response {
	h.t.Helper()
	return h.rawLines(method, path, body, header(headers))
}

// rawLines is raw with a full header: several values of one name are sent
// as several header lines.
func (h *harness) rawLines(method, path, body string, headers http.Header) response {
	h.t.Helper()
	return send(h.t, &http.Client{Timeout: 10 * time.Second}, h.URL, method, path, body, headers)
}

// header keeps the names as given (no canonicalisation).
func header(m map[string]string) http.Header {
	out := http.Header{}
	for k, v := range m {
		out[k] = append(out[k], v)
	}
	return out
}

func send(t *testing.T, c *http.Client, base, method, path, body string, headers http.Header) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	for k, v := range headers {
		req.Header[k] = append(req.Header[k], v...)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{Status: res.StatusCode, Body: string(out), Header: res.Header}
}

// expect asserts status and exact body.
func expect(t *testing.T, what string, got response, status int, body string) {
	t.Helper()
	if got.Status != status || got.Body != body {
		t.Errorf("%s: got %d %s, want %d %s", what, got.Status, got.Body, status, body)
	}
}

// msg is the compact {"msg": m} body of the contract.
func msg(m string) string {
	b, _ := json.Marshal(map[string]string{"msg": m})
	return string(b)
}

// login posts the credentials and fails the test unless they are accepted.
func (b *browser) login(user, pass string) {
	b.h.t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	expect(b.h.t, "login "+user, b.do("POST", "/login", string(body), jsonCT), 200, `{"login":true}`)
}

var jsonCT = map[string]string{"Content-Type": "application/json"}

func withCSRF(v string) map[string]string {
	return map[string]string{"Content-Type": "application/json", "X-CSRF-TOKEN": v}
}

func cookieHeader(pairs ...string) map[string]string {
	return map[string]string{"Cookie": strings.Join(pairs, "; ")}
}

// claimsOf decodes a token's payload without verifying it, so tests can
// forge variants of a real token.
func claimsOf(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	c := jwt.MapClaims{}
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// sign signs claims with HS256 and secret, header fields extra added.
func sign(t *testing.T, claims jwt.MapClaims, secret string, extra map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	for k, v := range extra {
		tok.Header[k] = v
	}
	s, err := tok.SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validClaims are the claims of a well-formed access token for sub at now,
// as jwtgate issues them; tests change one thing at a time.
func validClaims(now time.Time, sub string, roles ...string) jwt.MapClaims {
	if roles == nil {
		roles = []string{"user"}
	}
	return jwt.MapClaims{
		"fresh": true, "type": "access", "csrf": "csrf-forged", "sid": "sid-forged",
		"roles": roles, "sub": sub, "jti": "jti-" + sub + "-" + now.Format("150405.000"),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(15 * time.Minute).Unix(),
	}
}

const (
	accessCookie  = "access_token_cookie"
	refreshCookie = "refresh_token_cookie"
	accessCSRF    = "csrf_access_token"
	refreshCSRF   = "csrf_refresh_token"
	newPassword   = "correct horse battery staple"
)

// TestFlow runs the whole session over real HTTP: login, a protected call,
// refresh, another call, logout, and then both old tokens are dead.
func TestFlow(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	b.login("testuser", "testpass")
	for _, name := range []string{accessCookie, accessCSRF, refreshCookie, refreshCSRF} {
		if b.cookie(name) == "" {
			t.Fatalf("login did not set %s", name)
		}
	}
	expect(t, "protected", b.do("GET", "/protected", "", nil), 200, `{"logged_in_as":"testuser"}`)
	oldAccess, oldRefresh := b.cookie(accessCookie), b.cookie(refreshCookie)

	h.Clock.Advance(time.Minute)
	expect(t, "refresh", b.do("POST", "/refresh", "", withCSRF(b.cookie(refreshCSRF))), 200, `{"refresh":true}`)
	if b.cookie(accessCookie) == oldAccess || b.cookie(refreshCookie) == oldRefresh {
		t.Fatal("refresh did not rotate both tokens")
	}
	expect(t, "protected after refresh", b.do("GET", "/protected", "", nil), 200, `{"logged_in_as":"testuser"}`)
	// The old access token still works until logout (it is merely replaced).
	expect(t, "old access before logout", h.raw("GET", "/protected", "", cookieHeader(accessCookie+"="+oldAccess)),
		200, `{"logged_in_as":"testuser"}`)
	newAccess, newRefresh := b.cookie(accessCookie), b.cookie(refreshCookie)

	expect(t, "logout", b.do("POST", "/logout", "", withCSRF(b.cookie(accessCSRF))), 200, `{"logout":true}`)
	for _, name := range []string{accessCookie, accessCSRF, refreshCookie, refreshCSRF} {
		if v := b.cookie(name); v != "" {
			t.Errorf("logout left cookie %s=%q in the jar", name, v)
		}
	}
	revoked := msg("Token has been revoked")
	for _, tok := range []string{oldAccess, newAccess} {
		expect(t, "access after logout", h.raw("GET", "/protected", "", cookieHeader(accessCookie+"="+tok)), 401, revoked)
	}
	for _, tok := range []string{oldRefresh, newRefresh} {
		claims := claimsOf(t, tok)
		expect(t, "refresh after logout", h.raw("POST", "/refresh", "", map[string]string{
			"Cookie": refreshCookie + "=" + tok, "X-CSRF-TOKEN": claims["csrf"].(string)}), 401, revoked)
	}
}

// TestAdmin checks the role rule on GET /admin for both demo users: the
// gateway refuses testuser (401 through ACCESS_DENIED, with the rule's msg).
func TestAdmin(t *testing.T) {
	h := newHarness(t, nil)
	user := h.browser()
	user.login("testuser", "testpass")
	expect(t, "testuser /admin", user.do("GET", "/admin", "", nil), 401, msg("Forbidden: requires role admin"))
	admin := h.browser()
	admin.login("admin", "adminpass")
	expect(t, "admin /admin", admin.do("GET", "/admin", "", nil), 200, `{"admin":true,"user":"admin"}`)
	expect(t, "admin /protected", admin.do("GET", "/protected", "", nil), 200, `{"logged_in_as":"admin"}`)
}

// TestErrorTable walks every row of the error table of
// flask-jwt-extended-contract.md over real HTTP. jwtgate answers 401 where
// flask says 422, with flask's message.
func TestErrorTable(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	b.login("testuser", "testpass")
	access, refresh := b.cookie(accessCookie), b.cookie(refreshCookie)
	aCSRF, rCSRF := b.cookie(accessCSRF), b.cookie(refreshCSRF)
	now := h.Clock.Now()
	claims := validClaims(now, "testuser")

	// A refreshed, non-fresh access token of another session.
	stale := h.browser()
	stale.login("testuser", "testpass")
	expect(t, "refresh for stale", stale.do("POST", "/refresh", "", withCSRF(stale.cookie(refreshCSRF))), 200, `{"refresh":true}`)

	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	payload := strings.Split(access, ".")[1]
	future := validClaims(now, "testuser")
	future["nbf"] = now.Add(time.Hour).Unix()

	tests := []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		status  int
		body    string
	}{
		{"missing cookie: no Cookie header", "GET", "/protected", nil, 401, msg(`Missing cookie "access_token_cookie"`)},
		{"missing cookie: other cookies only", "GET", "/protected", cookieHeader("theme=dark", refreshCookie+"="+refresh),
			401, msg(`Missing cookie "access_token_cookie"`)},
		{"missing cookie: empty value", "GET", "/protected", cookieHeader(accessCookie + "="), 401, msg(`Missing cookie "access_token_cookie"`)},
		{"missing refresh cookie", "POST", "/refresh", map[string]string{"X-CSRF-TOKEN": rCSRF}, 401, msg(`Missing cookie "refresh_token_cookie"`)},
		{"missing CSRF on POST /password", "POST", "/password", cookieHeader(accessCookie + "=" + access), 401, msg("Missing CSRF token")},
		{"missing CSRF on POST /refresh", "POST", "/refresh", cookieHeader(refreshCookie + "=" + refresh), 401, msg("Missing CSRF token")},
		{"CSRF mismatch on POST /password", "POST", "/password",
			map[string]string{"Cookie": accessCookie + "=" + access, "X-CSRF-TOKEN": "wrong"}, 401, msg("CSRF double submit tokens do not match")},
		{"CSRF mismatch on POST /refresh", "POST", "/refresh",
			map[string]string{"Cookie": refreshCookie + "=" + refresh, "X-CSRF-TOKEN": "wrong"}, 401, msg("CSRF double submit tokens do not match")},
		{"access CSRF on POST /refresh", "POST", "/refresh",
			map[string]string{"Cookie": refreshCookie + "=" + refresh, "X-CSRF-TOKEN": aCSRF}, 401, msg("CSRF double submit tokens do not match")},
		{"refresh CSRF on POST /password", "POST", "/password",
			map[string]string{"Cookie": accessCookie + "=" + access, "X-CSRF-TOKEN": rCSRF}, 401, msg("CSRF double submit tokens do not match")},
		{"fresh token required", "POST", "/password", map[string]string{
			"Cookie": accessCookie + "=" + stale.cookie(accessCookie), "X-CSRF-TOKEN": stale.cookie(accessCSRF),
			"Content-Type": "application/json"}, 401, msg("Fresh token required")},
		{"bad signature", "GET", "/protected", cookieHeader(accessCookie + "=" + sign(t, claims, otherSecret, nil)),
			401, msg("Signature verification failed")},
		{"malformed: one segment", "GET", "/protected", cookieHeader(accessCookie + "=abc"), 401, msg("Not enough segments")},
		{"malformed: two segments", "GET", "/protected", cookieHeader(accessCookie + "=abc.def"), 401, msg("Not enough segments")},
		{"alg none", "GET", "/protected", cookieHeader(accessCookie + "=" + noneHeader + "." + payload + "."), 401,
			msg("The specified alg value is not allowed")},
		{"nbf in the future", "GET", "/protected", cookieHeader(accessCookie + "=" + sign(t, future, testSecret, nil)), 401,
			msg("The token is not yet valid (nbf)")},
		{"refresh token on an access route", "GET", "/protected", cookieHeader(accessCookie + "=" + refresh), 401,
			msg("Only non-refresh tokens are allowed")},
		{"access token on the refresh route", "POST", "/refresh",
			map[string]string{"Cookie": refreshCookie + "=" + access, "X-CSRF-TOKEN": aCSRF}, 401, msg("Only refresh tokens are allowed")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, tc.method+" "+tc.path, h.raw(tc.method, tc.path, `{}`, tc.headers), tc.status, tc.body)
		})
	}

	t.Run("bad login", func(t *testing.T) {
		for _, body := range []string{
			`{"username":"testuser","password":"wrong"}`,
			`{"username":"nobody","password":"testpass"}`,
			`{"username":"admin","password":"testpass"}`,
		} {
			expect(t, body, h.raw("POST", "/login", body, jsonCT), 401, msg("Bad username or password"))
		}
	})

	// The last rows change server state (time, revocations): they run after
	// the table, in order.
	t.Run("expired", func(t *testing.T) {
		e := newHarness(t, nil)
		eb := e.browser()
		eb.login("testuser", "testpass")
		e.Clock.Advance(15*time.Minute + time.Second)
		expect(t, "expired access", eb.do("GET", "/protected", "", nil), 401, msg("Token has expired"))
		// Contract order: an expired token with a wrong CSRF value reports the mismatch.
		expect(t, "expired access, wrong CSRF", eb.do("POST", "/password", "{}", withCSRF("wrong")), 401,
			msg("CSRF double submit tokens do not match"))
		e.Clock.Advance(30 * 24 * time.Hour)
		expect(t, "expired refresh", eb.do("POST", "/refresh", "", withCSRF(eb.cookie(refreshCSRF))), 401, msg("Token has expired"))
	})
	t.Run("revoked", func(t *testing.T) {
		expect(t, "logout", b.do("POST", "/logout", "", withCSRF(aCSRF)), 200, `{"logout":true}`)
		expect(t, "revoked access", h.raw("GET", "/protected", "", cookieHeader(accessCookie+"="+access)), 401, msg("Token has been revoked"))
		expect(t, "revoked refresh", h.raw("POST", "/refresh", "", map[string]string{
			"Cookie": refreshCookie + "=" + refresh, "X-CSRF-TOKEN": rCSRF}), 401, msg("Token has been revoked"))
		// Expired and revoked reports expired (type, freshness, then revocation).
		h.Clock.Advance(16 * time.Minute)
		expect(t, "expired and revoked", h.raw("GET", "/protected", "", cookieHeader(accessCookie+"="+access)), 401, msg("Token has expired"))
	})
}

// TestHeaderMode covers JWT_TOKEN_LOCATION=headers: a missing Authorization
// header, and Bearer tokens that are never CSRF-checked.
//
// The template's authorizer has the Cookie header as its identity source,
// so API Gateway answers a request without any Cookie header with the
// UNAUTHORIZED response ("Missing cookie ...") before the authorizer runs;
// these requests carry an unrelated cookie to reach it.
func TestHeaderMode(t *testing.T) {
	h := newHarness(t, map[string]string{"JWT_TOKEN_LOCATION": "headers"})
	b := h.browser()
	b.login("testuser", "testpass") // login still answers with cookies
	access := b.cookie(accessCookie)
	unrelated := "theme=dark"

	expect(t, "no Authorization", h.raw("GET", "/protected", "", cookieHeader(unrelated)), 401, msg("Missing Authorization Header"))
	expect(t, "cookie ignored in header mode", h.raw("GET", "/protected", "", cookieHeader(unrelated, accessCookie+"="+access)),
		401, msg("Missing Authorization Header"))
	expect(t, "Bearer", h.raw("GET", "/protected", "", map[string]string{"Cookie": unrelated, "Authorization": "Bearer " + access}),
		200, `{"logged_in_as":"testuser"}`)
	expect(t, "wrong scheme", h.raw("GET", "/protected", "", map[string]string{"Cookie": unrelated, "Authorization": "Basic " + access}),
		401, msg("Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'"))
	expect(t, "type without token", h.raw("GET", "/protected", "", map[string]string{"Cookie": unrelated, "Authorization": "Bearer"}),
		401, msg("Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"))

	// No X-CSRF-TOKEN at all: a header token is not CSRF-checked, so the
	// password change goes through.
	body := `{"old_password":"testpass","new_password":"` + newPassword + `"}`
	expect(t, "POST /password without CSRF", h.raw("POST", "/password", body, map[string]string{
		"Cookie": unrelated, "Authorization": "Bearer " + access, "Content-Type": "application/json"}),
		200, `{"password_changed":true}`)
}
