package session_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// The tests below run the handlers exactly as Lambda does: REST proxy event
// JSON from testdata/, through handlers.Set.REST (aws-lambda-go-api-proxy),
// asserting the proxy response's status, body and Set-Cookie lines.

const testSecret = "test-secret-0123456789abcdef-0123456789"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

type proxyFunc = func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

type harness struct {
	t      *testing.T
	clk    *fakeClock
	set    *handlers.Set
	users  *users.MemoryStore
	revs   *revocation.MemoryStore
	tokens *tokens.Service // same key and clock, to read issued tokens
	logs   *bytes.Buffer   // the handlers' JSON log lines
	// flaskIdentityClaim is the JWT_IDENTITY_CLAIM of flaskLogin's app.
	flaskIdentityClaim string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessEnv(t, nil)
}

// newHarnessEnv is newHarness with the JWT_* variables of env set.
func newHarnessEnv(t *testing.T, env map[string]string) *harness {
	t.Helper()
	cfg, err := config.Load(func(k string) (string, bool) {
		if k == "JWT_SECRET_KEY" {
			return testSecret, true
		}
		v, ok := env[k]
		return v, ok
	}, config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{now: t0}
	h := &harness{t: t, clk: clk, users: users.NewMemoryStore(), revs: revocation.NewMemoryStore(clk.Now), logs: &bytes.Buffer{}}
	// Cheap argon2id parameters keep the suite fast; Verify reads them from the hash.
	cheap := password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	for _, u := range []struct {
		name, pw string
		roles    []string
		disabled bool
	}{
		{"testuser", "testpass", []string{"user"}, false},
		{"admin", "adminpass", []string{"admin", "user"}, false},
		{"mallory", "mallorypass", []string{"user"}, true},
	} {
		hash, err := password.Hash(rand.Reader, u.pw, cheap)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.users.Add(context.Background(), users.User{Name: u.name, PasswordHash: hash, Roles: u.roles, Disabled: u.disabled}); err != nil {
			t.Fatal(err)
		}
	}
	keys := []tokens.Key{{ID: "k1", Secret: []byte(testSecret)}}
	h.set, err = handlers.New(cfg, keys, handlers.Stores{Users: h.users, Revocations: h.revs},
		slog.New(slog.NewJSONHandler(h.logs, nil)), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	topts := cfg.Tokens
	topts.Keys, topts.Clock = keys, clk.Now
	if h.tokens, err = tokens.New(topts); err != nil {
		t.Fatal(err)
	}
	return h
}

// event loads a REST proxy event from testdata.
func event(t *testing.T, name string) events.APIGatewayProxyRequest {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// setHeader replaces name in both header maps, as API Gateway fills both;
// an empty value removes it.
func setHeader(ev *events.APIGatewayProxyRequest, name, value string) {
	for k := range ev.Headers {
		if strings.EqualFold(k, name) {
			delete(ev.Headers, k)
		}
	}
	for k := range ev.MultiValueHeaders {
		if strings.EqualFold(k, name) {
			delete(ev.MultiValueHeaders, k)
		}
	}
	if value == "" {
		return
	}
	ev.Headers[name] = value
	ev.MultiValueHeaders[name] = []string{value}
}

// withSession sets the Cookie header to the given cookies and X-CSRF-TOKEN
// to csrf ("" leaves it out).
func withSession(ev events.APIGatewayProxyRequest, jar map[string]string, names []string, csrf string) events.APIGatewayProxyRequest {
	var parts []string
	for _, n := range names {
		parts = append(parts, n+"="+jar[n])
	}
	setHeader(&ev, "Cookie", strings.Join(parts, "; "))
	setHeader(&ev, "X-CSRF-TOKEN", csrf)
	return ev
}

func (h *harness) invoke(id string, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	h.t.Helper()
	fn, err := h.set.REST(id)
	if err != nil {
		h.t.Fatal(err)
	}
	f, ok := fn.(proxyFunc)
	if !ok {
		h.t.Fatalf("REST(%s) is %T, want a REST proxy handler", id, fn)
	}
	resp, err := f(context.Background(), ev)
	if err != nil {
		h.t.Fatalf("%s: invocation error %v", id, err)
	}
	return resp
}

// authorize runs the authorizer function on GET /protected with cookie.
func (h *harness) authorize(accessToken string) events.APIGatewayCustomAuthorizerResponse {
	h.t.Helper()
	// As the runtime runs it: the full event's JSON in, JSON out.
	authz, err := h.set.REST(handlers.AuthorizerFunction)
	if err != nil {
		h.t.Fatal(err)
	}
	fn := lambda.NewHandler(authz)
	raw, err := json.Marshal(events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/protected",
		Resource: "/protected", Path: "/protected", HTTPMethod: "GET",
		Headers:           map[string]string{"Cookie": "access_token_cookie=" + accessToken},
		MultiValueHeaders: map[string][]string{"Cookie": {"access_token_cookie=" + accessToken}},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := fn.Invoke(context.Background(), raw)
	if err != nil {
		h.t.Fatalf("authorizer: %v", err)
	}
	var resp events.APIGatewayCustomAuthorizerResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		h.t.Fatal(err)
	}
	return resp
}

// wantAuthorizer checks the authorizer's verdict on an access token.
func (h *harness) wantAuthorizer(what, accessToken, wantMsg string) {
	h.t.Helper()
	resp := h.authorize(accessToken)
	effect := resp.PolicyDocument.Statement[0].Effect
	if wantMsg == "" {
		if effect != "Allow" {
			h.t.Errorf("%s: authorizer %s %v, want Allow", what, effect, resp.Context)
		}
		return
	}
	// The context msg is escaped for the ACCESS_DENIED template body.
	var got struct{ Msg string }
	msg, _ := resp.Context["msg"].(string)
	if err := json.Unmarshal([]byte(`{"msg":"`+msg+`"}`), &got); effect != "Deny" || err != nil || got.Msg != wantMsg {
		h.t.Errorf("%s: authorizer %s %v, want Deny %q", what, effect, resp.Context, wantMsg)
	}
}

// cookiesOf parses the response's Set-Cookie lines in order.
func cookiesOf(t *testing.T, resp events.APIGatewayProxyResponse) []*http.Cookie {
	t.Helper()
	var out []*http.Cookie
	for _, line := range resp.MultiValueHeaders["Set-Cookie"] {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", line, err)
		}
		out = append(out, c)
	}
	return out
}

var fourCookies = []string{"access_token_cookie", "csrf_access_token", "refresh_token_cookie", "csrf_refresh_token"}

// jarOf checks the four session cookies are set, in flask's order, and
// returns their values.
func jarOf(t *testing.T, resp events.APIGatewayProxyResponse) map[string]string {
	t.Helper()
	cs := cookiesOf(t, resp)
	var got []string
	jar := map[string]string{}
	for _, c := range cs {
		got = append(got, c.Name)
		jar[c.Name] = c.Value
		if c.Value == "" || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge != 0 {
			t.Errorf("cookie %s: %+v, want a Secure, Lax, session cookie on /", c.Name, c)
		}
		if c.HttpOnly != strings.HasSuffix(c.Name, "_cookie") {
			t.Errorf("cookie %s: HttpOnly %v", c.Name, c.HttpOnly)
		}
	}
	if strings.Join(got, ",") != strings.Join(fourCookies, ",") {
		t.Fatalf("Set-Cookie %v, want %v", got, fourCookies)
	}
	return jar
}

func wantReply(t *testing.T, resp events.APIGatewayProxyResponse, status int, body string) {
	t.Helper()
	if resp.StatusCode != status || resp.Body != body {
		t.Fatalf("response %d %s, want %d %s", resp.StatusCode, resp.Body, status, body)
	}
	if ct := resp.MultiValueHeaders["Content-Type"]; len(ct) != 1 || ct[0] != "application/json" {
		t.Errorf("Content-Type %v, want application/json", ct)
	}
	if cc := resp.MultiValueHeaders["Cache-Control"]; len(cc) != 1 || cc[0] != "no-store" {
		t.Errorf("Cache-Control %v, want no-store", cc)
	}
}

func wantNoCookies(t *testing.T, resp events.APIGatewayProxyResponse) {
	t.Helper()
	if sc := resp.MultiValueHeaders["Set-Cookie"]; len(sc) != 0 {
		t.Errorf("Set-Cookie %v, want none", sc)
	}
}

func (h *harness) parse(token string) *tokens.Claims {
	h.t.Helper()
	c, err := h.tokens.Parse(token)
	if err != nil {
		h.t.Fatalf("parse issued token: %v", err)
	}
	return c
}

// login signs testuser in and returns the cookie jar.
func (h *harness) login() map[string]string {
	h.t.Helper()
	resp := h.invoke(handlers.LoginFunction, event(h.t, "login.json"))
	wantReply(h.t, resp, 200, `{"login":true}`)
	return jarOf(h.t, resp)
}

func TestLogin(t *testing.T) {
	for _, file := range []string{"login.json", "login_base64.json"} {
		t.Run(file, func(t *testing.T) {
			h := newHarness(t)
			resp := h.invoke(handlers.LoginFunction, event(t, file))
			wantReply(t, resp, 200, `{"login":true}`)
			jar := jarOf(t, resp)
			a, r := h.parse(jar["access_token_cookie"]), h.parse(jar["refresh_token_cookie"])
			if a.Type != tokens.Access || !a.Fresh.Fresh || a.Subject != "testuser" || len(a.Roles) != 1 || a.Roles[0] != "user" {
				t.Errorf("access claims %+v, want a fresh access token of testuser with roles [user]", a)
			}
			if r.Type != tokens.Refresh || r.Fresh.Fresh || r.SID != a.SID || r.ID == a.ID {
				t.Errorf("refresh claims %+v, want a non-fresh refresh token of the same session", r)
			}
			if jar["csrf_access_token"] != a.CSRF || jar["csrf_refresh_token"] != r.CSRF {
				t.Errorf("csrf cookies do not carry the tokens' csrf claims")
			}
			h.wantAuthorizer("fresh login", jar["access_token_cookie"], "")
		})
	}
}

func TestLoginRefused(t *testing.T) {
	const bad = `{"msg":"Bad username or password"}`
	tooLarge := event(t, "login.json")
	tooLarge.Body = `{"username":"testuser","password":"testpass","pad":"` + strings.Repeat("x", 4<<10) + `"}`
	withBody := func(body string) events.APIGatewayProxyRequest {
		ev := event(t, "login.json")
		ev.Body = body
		return ev
	}
	get := event(t, "login.json")
	get.HTTPMethod = "GET"
	tests := []struct {
		name   string
		ev     events.APIGatewayProxyRequest
		status int
		body   string
	}{
		{"bad password", event(t, "login_bad_password.json"), 401, bad},
		{"unknown user", withBody(`{"username":"nobody","password":"testpass"}`), 401, bad},
		{"disabled user, right password", withBody(`{"username":"mallory","password":"mallorypass"}`), 401, bad},
		{"disabled user, wrong password", withBody(`{"username":"mallory","password":"x"}`), 401, bad},
		{"malformed JSON", event(t, "login_malformed.json"), 400, `{"msg":"Request body is not a JSON object"}`},
		{"JSON array", withBody(`["testuser","testpass"]`), 400, `{"msg":"Request body is not a JSON object"}`},
		{"empty body", withBody(""), 400, `{"msg":"Request body is not a JSON object"}`},
		{"wrong field types", withBody(`{"username":1,"password":2}`), 400, `{"msg":"Request body is not a JSON object"}`},
		{"missing fields", event(t, "login_missing_fields.json"), 400, `{"msg":"Missing \"username\" or \"password\""}`},
		{"empty password", withBody(`{"username":"testuser","password":""}`), 400, `{"msg":"Missing \"username\" or \"password\""}`},
		{"JSON null", withBody(`null`), 400, `{"msg":"Missing \"username\" or \"password\""}`},
		{"invalid username", withBody(`{"username":"test\nuser","password":"testpass"}`), 400, `{"msg":"Invalid username"}`},
		{"wrong content type", event(t, "login_wrong_content_type.json"), 400, `{"msg":"Content-Type must be application/json"}`},
		{"over 4 KiB", tooLarge, 400, `{"msg":"Request body too large (limit 4 KiB)"}`},
		{"GET", get, 405, `{"msg":"Method not allowed"}`},
	}
	h := newHarness(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.invoke(handlers.LoginFunction, tc.ev)
			wantReply(t, resp, tc.status, tc.body)
			wantNoCookies(t, resp)
		})
	}
	t.Run("content type with charset accepted", func(t *testing.T) {
		ev := event(t, "login.json")
		setHeader(&ev, "content-type", "application/json; charset=utf-8")
		wantReply(t, h.invoke(handlers.LoginFunction, ev), 200, `{"login":true}`)
	})
}

var refreshCookies = []string{"refresh_token_cookie"}

func TestRefreshRotation(t *testing.T) {
	h := newHarness(t)
	jar := h.login()
	old := h.parse(jar["refresh_token_cookie"])

	h.clk.Advance(time.Minute)
	resp := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
	wantReply(t, resp, 200, `{"refresh":true}`)
	next := jarOf(t, resp)
	a, r := h.parse(next["access_token_cookie"]), h.parse(next["refresh_token_cookie"])
	if a.Fresh.Fresh || a.SID != old.SID || a.Type != tokens.Access || !a.IssuedAt.Equal(h.clk.Now()) {
		t.Errorf("new access %+v, want not fresh, same session, issued now", a)
	}
	if r.ID == old.ID || r.SID != old.SID {
		t.Errorf("refresh not rotated: jti %s (old %s), sid %s (old %s)", r.ID, old.ID, r.SID, old.SID)
	}
	recs, _ := h.revs.Lookup(context.Background(), revocation.TokenKey(old.ID))
	if rec, ok := recs[revocation.TokenKey(old.ID)]; !ok || !rec.At.Equal(h.clk.Now()) || !rec.ExpiresAt.Equal(old.ExpiresAt.Time) {
		t.Errorf("old refresh token not consumed: %+v", recs)
	}

	// A second tab presents the old token within the grace window: fine.
	h.clk.Advance(5 * time.Second)
	resp = h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
	wantReply(t, resp, 200, `{"refresh":true}`)
	tab2 := jarOf(t, resp)
	h.wantAuthorizer("access token of the second tab", tab2["access_token_cookie"], "")

	// After the grace window (10 s from first use) the old token is stolen.
	h.clk.Advance(6 * time.Second)
	resp = h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
	wantReply(t, resp, 401, `{"msg":"Token has been revoked"}`)
	wantNoCookies(t, resp)

	// The whole session is dead: its newest access and refresh tokens too.
	h.wantAuthorizer("newest access token after theft", next["access_token_cookie"], "Token has been revoked")
	h.wantAuthorizer("second tab's access token after theft", tab2["access_token_cookie"], "Token has been revoked")
	resp = h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), next, refreshCookies, next["csrf_refresh_token"]))
	wantReply(t, resp, 401, `{"msg":"Token has been revoked"}`)

	// Another login of the same user is untouched.
	other := h.login()
	h.wantAuthorizer("another session", other["access_token_cookie"], "")
}

// TestRefreshKeepsCSRF: csrf_refresh_token stays the same for the login
// across rotations (flask's never changes, its refresh leaves the refresh
// cookie alone), so two refreshes racing in one page cannot mismatch: the
// late one read the value before the early one's cookies landed and sends
// it with the rotated refresh cookie. The access CSRF value still changes
// with each new access token, as flask's does.
func TestRefreshKeepsCSRF(t *testing.T) {
	h := newHarness(t)
	jar := h.login()
	readEarly := jar["csrf_refresh_token"]

	h.clk.Advance(time.Second)
	resp := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, readEarly))
	wantReply(t, resp, 200, `{"refresh":true}`)
	first := jarOf(t, resp)
	if first["csrf_refresh_token"] != readEarly || h.parse(first["refresh_token_cookie"]).CSRF != readEarly {
		t.Fatalf("csrf_refresh_token changed at rotation: %q, was %q", first["csrf_refresh_token"], readEarly)
	}
	if first["csrf_access_token"] == jar["csrf_access_token"] {
		t.Errorf("csrf_access_token kept across refresh; want a new access token's own value, as flask")
	}
	if first["refresh_token_cookie"] == jar["refresh_token_cookie"] {
		t.Fatal("refresh token not rotated")
	}

	// The racing request: the rotated cookie, the value read before it landed.
	h.clk.Advance(50 * time.Millisecond)
	resp = h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), first, refreshCookies, readEarly))
	wantReply(t, resp, 200, `{"refresh":true}`)
	second := jarOf(t, resp)
	if second["csrf_refresh_token"] != readEarly {
		t.Errorf("csrf_refresh_token changed at the second rotation")
	}
	h.wantAuthorizer("access token after racing refreshes", second["access_token_cookie"], "")

	// The value still has to match: a guess is refused.
	resp = h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), second, refreshCookies, "guess"))
	wantReply(t, resp, 401, `{"msg":"CSRF double submit tokens do not match"}`)

	// A new login is a new value.
	if other := h.login(); other["csrf_refresh_token"] == readEarly {
		t.Errorf("a second login reuses the first login's refresh CSRF value")
	}
}

func TestRefreshRefused(t *testing.T) {
	h := newHarness(t)
	jar := h.login()
	tests := []struct {
		name   string
		jar    map[string]string
		names  []string
		csrf   string
		status int
		body   string
	}{
		{"access csrf value", jar, refreshCookies, jar["csrf_access_token"], 401, `{"msg":"CSRF double submit tokens do not match"}`},
		{"no csrf header", jar, refreshCookies, "", 401, `{"msg":"Missing CSRF token"}`},
		{"no refresh cookie", jar, []string{"access_token_cookie"}, jar["csrf_refresh_token"], 401, `{"msg":"Missing cookie \"refresh_token_cookie\""}`},
		{"access token in the refresh cookie", map[string]string{"refresh_token_cookie": jar["access_token_cookie"]}, refreshCookies,
			jar["csrf_access_token"], 401, `{"msg":"Only refresh tokens are allowed"}`},
		{"garbage token", map[string]string{"refresh_token_cookie": "abc"}, refreshCookies, "x", 401, `{"msg":"Not enough segments"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), tc.jar, tc.names, tc.csrf))
			wantReply(t, resp, tc.status, tc.body)
			wantNoCookies(t, resp)
		})
	}
	// None of the refusals consumed the refresh token.
	resp := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
	wantReply(t, resp, 200, `{"refresh":true}`)

	t.Run("expired refresh token", func(t *testing.T) {
		h := newHarness(t)
		jar := h.login()
		h.clk.Advance(tokens.DefaultRefreshTTL)
		resp := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
		wantReply(t, resp, 401, `{"msg":"Token has expired"}`)
		// flask order: the CSRF compare comes before expiry.
		resp = h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, "wrong"))
		wantReply(t, resp, 401, `{"msg":"CSRF double submit tokens do not match"}`)
	})
}

var bothCookies = []string{"access_token_cookie", "refresh_token_cookie"}

// wantCleared checks the four cookies are expired.
func wantCleared(t *testing.T, resp events.APIGatewayProxyResponse) {
	t.Helper()
	cs := cookiesOf(t, resp)
	var got []string
	for _, c := range cs {
		got = append(got, c.Name)
		if c.Value != "" || c.MaxAge >= 0 || !c.Expires.Equal(time.Unix(0, 0)) {
			t.Errorf("cookie %s not cleared: %+v", c.Name, c)
		}
	}
	if strings.Join(got, ",") != strings.Join(fourCookies, ",") {
		t.Fatalf("cleared %v, want %v", got, fourCookies)
	}
}

func TestLogout(t *testing.T) {
	t.Run("revokes the session", func(t *testing.T) {
		h := newHarness(t)
		jar := h.login()
		other := h.login() // another device of the same user
		resp := h.invoke(handlers.LogoutFunction, withSession(event(t, "logout.json"), jar, bothCookies, jar["csrf_access_token"]))
		wantReply(t, resp, 200, `{"logout":true}`)
		wantCleared(t, resp)
		h.wantAuthorizer("access token after logout", jar["access_token_cookie"], "Token has been revoked")
		resp = h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
		wantReply(t, resp, 401, `{"msg":"Token has been revoked"}`)
		h.wantAuthorizer("other device", other["access_token_cookie"], "")
	})
	t.Run("refresh csrf value is accepted too", func(t *testing.T) {
		h := newHarness(t)
		jar := h.login()
		resp := h.invoke(handlers.LogoutFunction, withSession(event(t, "logout.json"), jar, bothCookies, jar["csrf_refresh_token"]))
		wantReply(t, resp, 200, `{"logout":true}`)
		h.wantAuthorizer("access token after logout", jar["access_token_cookie"], "Token has been revoked")
	})
	t.Run("expired access token", func(t *testing.T) {
		h := newHarness(t)
		jar := h.login()
		h.clk.Advance(tokens.DefaultAccessTTL + time.Minute)
		resp := h.invoke(handlers.LogoutFunction, withSession(event(t, "logout.json"), jar, bothCookies, jar["csrf_access_token"]))
		wantReply(t, resp, 200, `{"logout":true}`)
		wantCleared(t, resp)
		resp = h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
		wantReply(t, resp, 401, `{"msg":"Token has been revoked"}`)
	})
	t.Run("both tokens expired", func(t *testing.T) {
		h := newHarness(t)
		jar := h.login()
		sid := h.parse(jar["access_token_cookie"]).SID
		h.clk.Advance(tokens.DefaultRefreshTTL + time.Hour)
		resp := h.invoke(handlers.LogoutFunction, withSession(event(t, "logout.json"), jar, bothCookies, jar["csrf_access_token"]))
		wantReply(t, resp, 200, `{"logout":true}`)
		wantCleared(t, resp)
		if recs, _ := h.revs.Lookup(context.Background(), revocation.SessionKey(sid)); len(recs) != 1 {
			t.Errorf("session of expired tokens not revoked: %v", recs)
		}
	})
	t.Run("no cookies", func(t *testing.T) {
		// flask's @jwt_required() answer, and nothing to clear: a cross-site
		// form POST comes without the Lax cookies, and clearing them from its
		// answer would log the user out.
		h := newHarness(t)
		resp := h.invoke(handlers.LogoutFunction, withSession(event(t, "logout.json"), nil, nil, ""))
		wantReply(t, resp, 401, `{"msg":"Missing cookie \"access_token_cookie\""}`)
		wantNoCookies(t, resp)
	})
	t.Run("unreadable cookie", func(t *testing.T) {
		h := newHarness(t)
		resp := h.invoke(handlers.LogoutFunction, withSession(event(t, "logout.json"),
			map[string]string{"access_token_cookie": "junk"}, []string{"access_token_cookie"}, "anything"))
		wantReply(t, resp, 200, `{"logout":true}`)
		wantCleared(t, resp)
	})
	t.Run("missing CSRF header", func(t *testing.T) {
		h := newHarness(t)
		jar := h.login()
		resp := h.invoke(handlers.LogoutFunction, withSession(event(t, "logout.json"), jar, bothCookies, ""))
		wantReply(t, resp, 401, `{"msg":"Missing CSRF token"}`)
		wantNoCookies(t, resp)
		h.wantAuthorizer("session after refused logout", jar["access_token_cookie"], "")
	})
	t.Run("CSRF mismatch", func(t *testing.T) {
		h := newHarness(t)
		jar := h.login()
		resp := h.invoke(handlers.LogoutFunction, withSession(event(t, "logout.json"), jar, bothCookies, "forged-by-another-site"))
		wantReply(t, resp, 401, `{"msg":"CSRF double submit tokens do not match"}`)
		wantNoCookies(t, resp)
		h.wantAuthorizer("session after refused logout", jar["access_token_cookie"], "")
	})
	t.Run("another session's CSRF value", func(t *testing.T) {
		h := newHarness(t)
		jar, other := h.login(), h.login()
		resp := h.invoke(handlers.LogoutFunction, withSession(event(t, "logout.json"), jar, bothCookies, other["csrf_access_token"]))
		wantReply(t, resp, 401, `{"msg":"CSRF double submit tokens do not match"}`)
	})
}

// passwordEvent is password.json with the authorizer context the authorizer
// would pass for the access token of jar, and body.
func (h *harness) passwordEvent(jar map[string]string, fresh, body string) events.APIGatewayProxyRequest {
	h.t.Helper()
	ev := withSession(event(h.t, "password.json"), jar, bothCookies, jar["csrf_access_token"])
	a := h.parse(jar["access_token_cookie"])
	ev.RequestContext.Authorizer["jti"] = a.ID
	ev.RequestContext.Authorizer["sid"] = a.SID
	ev.RequestContext.Authorizer["iat"] = a.IssuedAt.Unix()
	ev.RequestContext.Authorizer["fresh"] = fresh
	if body != "" {
		ev.Body = body
	}
	return ev
}

func TestPasswordChange(t *testing.T) {
	h := newHarness(t)
	mine, other := h.login(), h.login()

	refusals := []struct {
		name   string
		ev     events.APIGatewayProxyRequest
		status int
		body   string
	}{
		{"not fresh", h.passwordEvent(mine, "false", ""), 401, `{"msg":"Fresh token required"}`},
		{"weak new password", h.passwordEvent(mine, "true", `{"old_password":"testpass","new_password":"short"}`), 400,
			`{"msg":"New password does not meet the policy: shorter than 8 characters"}`},
		{"wrong old password", h.passwordEvent(mine, "true", `{"old_password":"guess","new_password":"a-much-better-passphrase"}`), 403,
			`{"msg":"Old password is incorrect"}`},
		{"missing field", h.passwordEvent(mine, "true", `{"new_password":"a-much-better-passphrase"}`), 400,
			`{"msg":"Missing \"old_password\" or \"new_password\""}`},
		{"no authorizer context", func() events.APIGatewayProxyRequest {
			ev := h.passwordEvent(mine, "true", "")
			ev.RequestContext.Authorizer = nil
			return ev
		}(), 401, `{"msg":"Missing cookie \"access_token_cookie\""}`},
		{"spoofed proxy context header", func() events.APIGatewayProxyRequest {
			ev := h.passwordEvent(mine, "true", "")
			ev.RequestContext.Authorizer = nil
			setHeader(&ev, "X-GoLambdaProxy-ApiGw-Context", `{"authorizer":{"sub":"admin","fresh":"true"}}`)
			return ev
		}(), 401, `{"msg":"Missing cookie \"access_token_cookie\""}`},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.invoke(handlers.PasswordFunction, tc.ev)
			wantReply(t, resp, tc.status, tc.body)
			wantNoCookies(t, resp)
		})
	}
	h.wantAuthorizer("session after refused changes", mine["access_token_cookie"], "")

	resp := h.invoke(handlers.PasswordFunction, h.passwordEvent(mine, "true", ""))
	wantReply(t, resp, 200, `{"password_changed":true}`)
	fresh := jarOf(t, resp)
	a := h.parse(fresh["access_token_cookie"])
	if !a.Fresh.Fresh || a.SID == h.parse(mine["access_token_cookie"]).SID {
		t.Errorf("new access token %+v, want fresh and in a new session", a)
	}
	h.wantAuthorizer("caller's old session", mine["access_token_cookie"], "Token has been revoked")
	h.wantAuthorizer("other device", other["access_token_cookie"], "Token has been revoked")
	h.wantAuthorizer("new session", fresh["access_token_cookie"], "")
	for name, j := range map[string]map[string]string{"caller's old": mine, "other device's": other} {
		resp := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), j, refreshCookies, j["csrf_refresh_token"]))
		if resp.StatusCode != 401 || resp.Body != `{"msg":"Token has been revoked"}` {
			t.Errorf("%s refresh token after the change: %d %s", name, resp.StatusCode, resp.Body)
		}
	}
	resp = h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), fresh, refreshCookies, fresh["csrf_refresh_token"]))
	wantReply(t, resp, 200, `{"refresh":true}`)

	wantReply(t, h.invoke(handlers.LoginFunction, event(t, "login.json")), 401, `{"msg":"Bad username or password"}`)
	ev := event(t, "login.json")
	ev.Body = `{"username":"testuser","password":"a-much-better-passphrase"}`
	wantReply(t, h.invoke(handlers.LoginFunction, ev), 200, `{"login":true}`)
}

// TestPasswordChangeSameInstant is issue 12's item 1 with a frozen clock:
// another session opened, and refreshed, at the very instant of the change
// dies with it (a cut-off by iat at one-second resolution let both live,
// refresh chain and all); the caller's new session, issued at that same
// instant, lives.
func TestPasswordChangeSameInstant(t *testing.T) {
	h := newHarness(t)
	mine, attacker := h.login(), h.login()
	resp := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), attacker, refreshCookies, attacker["csrf_refresh_token"]))
	wantReply(t, resp, 200, `{"refresh":true}`)
	refreshed := jarOf(t, resp)

	resp = h.invoke(handlers.PasswordFunction, h.passwordEvent(mine, "true", ""))
	wantReply(t, resp, 200, `{"password_changed":true}`)
	fresh := jarOf(t, resp)
	if a, b := h.parse(fresh["access_token_cookie"]), h.parse(attacker["access_token_cookie"]); !a.IssuedAt.Equal(b.IssuedAt.Time) || a.Gen != b.Gen+1 {
		t.Fatalf("want the same iat and the next generation: new %v gen %d, attacker's %v gen %d", a.IssuedAt, a.Gen, b.IssuedAt, b.Gen)
	}
	for name, j := range map[string]map[string]string{"attacker's": attacker, "attacker's refreshed": refreshed} {
		h.wantAuthorizer(name+" access token", j["access_token_cookie"], "Token has been revoked")
		resp := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), j, refreshCookies, j["csrf_refresh_token"]))
		if resp.StatusCode != 401 || resp.Body != `{"msg":"Token has been revoked"}` {
			t.Errorf("%s refresh token: %d %s, want 401 revoked", name, resp.StatusCode, resp.Body)
		}
	}
	h.wantAuthorizer("new session", fresh["access_token_cookie"], "")
	resp = h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), fresh, refreshCookies, fresh["csrf_refresh_token"]))
	wantReply(t, resp, 200, `{"refresh":true}`)
	h.wantAuthorizer("new session refreshed", jarOf(t, resp)["access_token_cookie"], "")
}

// TestRefreshBelowUserGeneration: refresh reads the user record with the
// cut-off, so a token below the user's generation is refused even when no
// cut-off record exists (a change whose cut-off write failed, or expired).
func TestRefreshBelowUserGeneration(t *testing.T) {
	h := newHarness(t)
	jar := h.login()
	if _, err := h.users.NewGeneration(context.Background(), "testuser"); err != nil {
		t.Fatal(err)
	}
	resp := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
	wantReply(t, resp, 401, `{"msg":"Token has been revoked"}`)
	wantNoCookies(t, resp)
	// A new login carries the new generation and refreshes.
	jar = h.login()
	if g := h.parse(jar["access_token_cookie"]).Gen; g != 1 {
		t.Fatalf("gen claim after the raise = %d, want 1", g)
	}
	resp = h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
	wantReply(t, resp, 200, `{"refresh":true}`)
	if g := h.parse(jarOf(t, resp)["refresh_token_cookie"]).Gen; g != 1 {
		t.Fatalf("gen claim after a refresh = %d, want 1 (carried)", g)
	}
}

// TestRefreshRevokedByID is issue 12's item 7: `jwtgate revoke --jti` of a
// refresh token stops it at once, within the reuse grace too, whether it
// was never used or already rotated, and it is not reported as theft.
func TestRefreshRevokedByID(t *testing.T) {
	lifetimes := revocation.Lifetimes{RefreshTTL: tokens.DefaultRefreshTTL}
	tests := []struct {
		name      string
		usedFirst bool
		after     time.Duration // from the revocation to the refresh
	}{
		{"never used", false, 0},
		{"rotated, within the grace", true, 0},
		{"rotated, after the grace", true, 15 * time.Second},
		{"never used, after the grace", false, 15 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			jar := h.login()
			if tc.usedFirst {
				resp := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
				wantReply(t, resp, 200, `{"refresh":true}`)
			}
			h.clk.Advance(time.Second)
			jti := h.parse(jar["refresh_token_cookie"]).ID
			// What `jwtgate revoke --jti` writes.
			if err := h.revs.Put(context.Background(), lifetimes.Token(jti, h.clk.Now())); err != nil {
				t.Fatal(err)
			}
			h.clk.Advance(tc.after)
			h.logs.Reset()
			resp := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
			wantReply(t, resp, 401, `{"msg":"Token has been revoked"}`)
			wantNoCookies(t, resp)
			if strings.Contains(h.logs.String(), "reuse detected") || !strings.Contains(h.logs.String(), `"reason":"token revoked"`) {
				t.Errorf("log %s: want a refusal for a revoked token, no theft", h.logs.String())
			}
			// Not theft: the session itself lives on, its access token too.
			h.wantAuthorizer("the session's access token", jar["access_token_cookie"], "")
		})
	}
}
