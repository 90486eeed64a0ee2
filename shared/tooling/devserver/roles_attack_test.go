package devserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
)

// naiveTemplate is the real template with one more function behind the
// authorizer, NaiveFunction on ANY /reports and ANY /reports/{proxy+}: a
// user's own function (any language) that never reads the authorizer
// context. Its routes are protected only by the role rules of the test.
func naiveTemplate(t *testing.T) string {
	t.Helper()
	anchor := "  AuthorizerFunction:\n"
	if strings.Count(jwtgate.Template, anchor) != 1 {
		t.Fatalf("template.yaml changed: %q is not found exactly once", anchor)
	}
	fn := `  NaiveFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Events:
        Reports:
          Type: Api
          Properties:
            RestApiId: !Ref JwtGateApi
            Path: /reports
            Method: ANY
        ReportsProxy:
          Type: Api
          Properties:
            RestApiId: !Ref JwtGateApi
            Path: /reports/{proxy+}
            Method: ANY

`
	return strings.Replace(jwtgate.Template, anchor, fn+anchor, 1)
}

// served is the naive function's answer: it serves anyone the gateway lets through.
const served = `{"report":"q1"}`

func naiveFunctions() map[string]any {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(served))
	})
	return map[string]any{"NaiveFunction": httpadapter.New(h).ProxyWithContext}
}

// TestAttackRoleRulesAtGateway (issue 12 items 3 and 4): a route a role
// rule protects is refused by the gateway, whatever the function behind
// does, with flask's message and ACCESS_DENIED's 401; on every spelling of
// the route and HEAD as GET. Before, the authorizer allowed the request
// with a forbidden context value and the naive function served testuser.
func TestAttackRoleRulesAtGateway(t *testing.T) {
	h := newHarnessFunctions(t, naiveTemplate(t), map[string]string{
		"JWTGATE_ROLE_RULES": "GET /admin*=admin; GET /reports*=auditor|admin; DELETE /reports*=admin",
	}, naiveFunctions())
	user, admin := h.browser(), h.browser()
	user.login("testuser", "testpass")
	admin.login("admin", "adminpass")
	tok := accessCookie + "=" + user.cookie(accessCookie)
	csrf := user.cookie(accessCSRF)
	forbidden := msg("Forbidden: requires role auditor or admin")
	runCases(t, h, []attackCase{
		{name: "GET /reports", method: "GET", path: "/reports", headers: cookieHeader(tok), status: 401, body: forbidden},
		{name: "GET /reports/q1", method: "GET", path: "/reports/q1", headers: cookieHeader(tok), status: 401, body: forbidden},
		{name: "trailing slash", method: "GET", path: "/reports/", headers: cookieHeader(tok), status: 401, body: forbidden},
		{name: "double slash", method: "GET", path: "//reports", headers: cookieHeader(tok), status: 401, body: forbidden},
		{name: "double slash inside", method: "GET", path: "/reports//q1", headers: cookieHeader(tok), status: 401, body: forbidden},
		{name: "percent-encoded", method: "GET", path: "/%72eports/q1", headers: cookieHeader(tok), status: 401, body: forbidden},
		// HEAD has no body on the wire; the authorizer's msg is asserted on events in shared/runtime/authorizer.
		{name: "HEAD is GET", method: "HEAD", path: "/reports", headers: cookieHeader(tok), status: 401, body: ""},
		{name: "DELETE rule", method: "DELETE", path: "/reports/q1", headers: map[string]string{"Cookie": tok, "X-CSRF-TOKEN": csrf},
			status: 401, body: msg("Forbidden: requires role admin")},
		{name: "control: POST has no rule", method: "POST", path: "/reports", headers: map[string]string{"Cookie": tok, "X-CSRF-TOKEN": csrf},
			status: 200, body: served},
		{name: "demo /admin", method: "GET", path: "/admin", headers: cookieHeader(tok), status: 401, body: msg("Forbidden: requires role admin")},
	})
	expect(t, "admin GET /reports", admin.do("GET", "/reports/q1", "", nil), 200, served)
	expect(t, "admin HEAD /reports", admin.do("HEAD", "/reports", "", nil), 200, "")
}

// TestAttackAnyRule: ANY means every method, OPTIONS with a Cookie header
// included (no browser preflight carries one); before, an ANY rule was
// accepted and matched nothing.
func TestAttackAnyRule(t *testing.T) {
	h := newHarnessFunctions(t, naiveTemplate(t), map[string]string{"JWTGATE_ROLE_RULES": "ANY /reports*=admin"}, naiveFunctions())
	user := h.browser()
	user.login("testuser", "testpass")
	tok := accessCookie + "=" + user.cookie(accessCookie)
	csrf := user.cookie(accessCSRF)
	forbidden := msg("Forbidden: requires role admin")
	var cases []attackCase
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
		cases = append(cases, attackCase{name: m, method: m, path: "/reports/q1",
			headers: map[string]string{"Cookie": tok, "X-CSRF-TOKEN": csrf}, status: 401, body: forbidden})
	}
	cases = append(cases, attackCase{name: "OPTIONS, unrelated cookie", method: "OPTIONS", path: "/reports",
		headers: cookieHeader("theme=dark"), status: 401, body: msg(`Missing cookie "access_token_cookie"`)})
	runCases(t, h, cases)
}

// TestRoleDenialInFunction is the opt-in JWTGATE_ROLE_DENIAL=function:
// the demo function answers 403 itself, and a function that does not read
// the context serves the request (the documented cost of the opt-in).
func TestRoleDenialInFunction(t *testing.T) {
	h := newHarnessFunctions(t, naiveTemplate(t), map[string]string{
		"JWTGATE_ROLE_DENIAL": "function", "JWTGATE_ROLE_RULES": "GET /admin*=admin; GET /reports*=admin",
	}, naiveFunctions())
	user := h.browser()
	user.login("testuser", "testpass")
	expect(t, "demo /admin", user.do("GET", "/admin", "", nil), 403, msg("Forbidden: requires role admin"))
	expect(t, "naive /reports", user.do("GET", "/reports", "", nil), 200, served)
}

// cachedTemplate is naiveTemplate deployed with AuthorizerCacheTtl=300:
// the dev gateway then caches the authorizer's answers by Cookie header,
// as API Gateway does.
func cachedTemplate(t *testing.T) string {
	t.Helper()
	param := "  AuthorizerCacheTtl:\n    Type: Number\n    Default: 0\n"
	tmpl := naiveTemplate(t)
	if strings.Count(tmpl, param) != 1 {
		t.Fatalf("template.yaml changed: %q is not found exactly once", param)
	}
	return strings.Replace(tmpl, param, strings.Replace(param, "Default: 0", "Default: 300", 1), 1)
}

// TestAttackCachedOptions (issue 12 item 8): with an authorizer cache, an
// OPTIONS request with any Cookie value got a stage-wide Allow without a
// token being checked, and the cache then let every route through for that
// Cookie header (a function that does not read the context served it).
// Now OPTIONS is decided like any method when answers are cached.
func TestAttackCachedOptions(t *testing.T) {
	env := map[string]string{"JWTGATE_AUTHORIZER_CACHE_TTL": "300", "JWTGATE_ROLE_RULES": ""}
	h := newHarnessFunctions(t, cachedTemplate(t), env, naiveFunctions())
	for _, tc := range []struct{ name, cookie, msg string }{
		{"garbage token", accessCookie + "=garbage", "Not enough segments"},
		{"unrelated cookie", "theme=dark", `Missing cookie "access_token_cookie"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			denied := msg(tc.msg)
			expect(t, "OPTIONS /reports", h.raw("OPTIONS", "/reports", "", cookieHeader(tc.cookie)), 401, denied)
			// The same Cookie header, so the cached answer decides these.
			expect(t, "then GET /reports", h.raw("GET", "/reports/q1", "", cookieHeader(tc.cookie)), 401, denied)
			expect(t, "then POST /password", h.raw("POST", "/password", `{}`, map[string]string{"Cookie": tc.cookie, "Content-Type": "application/json"}), 401, denied)
			expect(t, "then GET /protected", h.raw("GET", "/protected", "", cookieHeader(tc.cookie)), 401, denied)
		})
	}
}

// TestCachedAnswers: the dev gateway reuses an authorizer answer for the
// template's TTL, so the documented trade-off of AuthorizerCacheTtl shows
// locally as it would in AWS: a logout is not seen until the answer ages out.
func TestCachedAnswers(t *testing.T) {
	env := map[string]string{"JWTGATE_AUTHORIZER_CACHE_TTL": "300", "JWTGATE_ROLE_RULES": ""}
	h := newHarnessFunctions(t, cachedTemplate(t), env, naiveFunctions())
	b := h.browser()
	b.login("testuser", "testpass")
	tok := accessCookie + "=" + b.cookie(accessCookie)
	ok := `{"logged_in_as":"testuser"}`
	expect(t, "protected", h.raw("GET", "/protected", "", cookieHeader(tok)), 200, ok)
	expect(t, "logout", b.do("POST", "/logout", "", map[string]string{"X-CSRF-TOKEN": b.cookie(accessCSRF)}), 200, `{"logout":true}`)
	expect(t, "within the TTL: the cached Allow", h.raw("GET", "/protected", "", cookieHeader(tok)), 200, ok)
	h.Clock.Advance(301 * time.Second)
	expect(t, "past the TTL", h.raw("GET", "/protected", "", cookieHeader(tok)), 401, msg("Token has been revoked"))
}

// TestCachedRoleRulesRefused: jwtgate dev, like the authorizer in AWS,
// refuses to start with role rules and a cache.
func TestCachedRoleRulesRefused(t *testing.T) {
	_, err := devserver.New(context.Background(), devserver.Options{
		Template: []byte(cachedTemplate(t)),
		Getenv: func(k string) (string, bool) {
			v, ok := map[string]string{"JWT_SECRET_KEY": testSecret, "JWTGATE_AUTHORIZER_CACHE_TTL": "300"}[k]
			return v, ok
		},
	})
	if err == nil || !strings.Contains(err.Error(), "JWTGATE_ROLE_RULES: role rules cannot be enforced with JWTGATE_AUTHORIZER_CACHE_TTL=5m0s") {
		t.Fatalf("devserver.New(cache 300, default rules) = %v, want refused naming JWTGATE_ROLE_RULES", err)
	}
}
