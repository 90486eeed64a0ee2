package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
)

const arnPrefix = "arn:aws:execute-api:us-east-1:123456789012:api/prod"

func stmt(effect string, resources ...string) events.IAMPolicyStatement {
	return events.IAMPolicyStatement{Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: resources}
}

func TestAllowed(t *testing.T) {
	tests := []struct {
		name  string
		stmts []events.IAMPolicyStatement
		arn   string
		want  bool
	}{
		{"exact allow", []events.IAMPolicyStatement{stmt("Allow", arnPrefix+"/GET/protected")}, arnPrefix + "/GET/protected", true},
		{"exact allow, other route", []events.IAMPolicyStatement{stmt("Allow", arnPrefix+"/GET/protected")}, arnPrefix + "/GET/admin", false},
		{"no statements", nil, arnPrefix + "/GET/protected", false},
		{"deny only", []events.IAMPolicyStatement{stmt("Deny", arnPrefix+"/GET/protected")}, arnPrefix + "/GET/protected", false},
		{"stage wildcard", []events.IAMPolicyStatement{stmt("Allow", arnPrefix+"/*/*")}, arnPrefix + "/POST/a/b/c", true},
		{"* spans slashes", []events.IAMPolicyStatement{stmt("Allow", arnPrefix+"/*")}, arnPrefix + "/GET/x/y", true},
		{"explicit deny wins (deny last)", []events.IAMPolicyStatement{stmt("Allow", arnPrefix+"/*/*"), stmt("Deny", arnPrefix+"/GET/admin*")}, arnPrefix + "/GET/admin/users", false},
		{"explicit deny wins (deny first)", []events.IAMPolicyStatement{stmt("Deny", arnPrefix+"/GET/admin*"), stmt("Allow", arnPrefix+"/*/*")}, arnPrefix + "/GET/admin", false},
		{"deny elsewhere", []events.IAMPolicyStatement{stmt("Allow", arnPrefix+"/*/*"), stmt("Deny", arnPrefix+"/GET/admin*")}, arnPrefix + "/GET/protected", true},
		{"? one character", []events.IAMPolicyStatement{stmt("Allow", arnPrefix+"/GE?/protected")}, arnPrefix + "/GET/protected", true},
		{"? not zero characters", []events.IAMPolicyStatement{stmt("Allow", arnPrefix+"/GET?/protected")}, arnPrefix + "/GET/protected", false},
		{"prefix is not a match", []events.IAMPolicyStatement{stmt("Allow", arnPrefix+"/GET/prot")}, arnPrefix + "/GET/protected", false},
		{"other stage", []events.IAMPolicyStatement{stmt("Allow", "arn:aws:execute-api:us-east-1:123456789012:api/dev/*/*")}, arnPrefix + "/GET/protected", false},
		{"unknown effect", []events.IAMPolicyStatement{stmt("allow", arnPrefix+"/*/*")}, arnPrefix + "/GET/protected", false},
		{"other action", []events.IAMPolicyStatement{{Action: []string{"execute-api:ManageConnections"}, Effect: "Allow", Resource: []string{arnPrefix + "/*/*"}}}, arnPrefix + "/GET/protected", false},
		{"action wildcard", []events.IAMPolicyStatement{{Action: []string{"execute-api:*"}, Effect: "Allow", Resource: []string{arnPrefix + "/*/*"}}}, arnPrefix + "/GET/protected", true},
		{"several resources", []events.IAMPolicyStatement{stmt("Allow", arnPrefix+"/GET/a", arnPrefix+"/GET/protected")}, arnPrefix + "/GET/protected", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: tc.stmts}
			if got := gateway.Allowed(p, tc.arn); got != tc.want {
				t.Fatalf("Allowed(%s) = %v, want %v", tc.arn, got, tc.want)
			}
		})
	}
}

// TestAuthorizerTTL reads ReauthorizeEvery as SAM does: a literal, a !Ref
// of a parameter (its default), or SAM's 300 s when absent.
func TestAuthorizerTTL(t *testing.T) {
	const line = "              ReauthorizeEvery: !Ref AuthorizerCacheTtl\n"
	if !strings.Contains(jwtgate.Template, line) {
		t.Fatalf("template.yaml changed: %q not found", line)
	}
	for _, tc := range []struct {
		name, replace string
		want          time.Duration
	}{
		{"literal", "              ReauthorizeEvery: 60\n", time.Minute},
		{"absent: SAM's default", "", 300 * time.Second},
		{"parameter default", line, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api, err := gateway.ParseTemplate([]byte(strings.Replace(jwtgate.Template, line, tc.replace, 1)))
			if err != nil || api.AuthorizerTTL != tc.want {
				t.Fatalf("AuthorizerTTL = %v, %v; want %v", api.AuthorizerTTL, err, tc.want)
			}
		})
	}
	if _, err := gateway.ParseTemplate([]byte(strings.Replace(jwtgate.Template, line, "              ReauthorizeEvery: soon\n", 1))); err == nil {
		t.Errorf("ReauthorizeEvery: soon accepted")
	}
}

func TestParseTemplate(t *testing.T) {
	api, err := gateway.ParseTemplate([]byte(jwtgate.Template))
	if err != nil {
		t.Fatal(err)
	}
	if api.Authorizer != "AuthorizerFunction" {
		t.Errorf("authorizer %q", api.Authorizer)
	}
	if len(api.IdentityHeaders) != 1 || api.IdentityHeaders[0] != "Cookie" {
		t.Errorf("identity headers %v, want [Cookie]", api.IdentityHeaders)
	}
	if api.AuthorizerTTL != 0 {
		t.Errorf("authorizer TTL %v, want 0 (AuthorizerCacheTtl's default)", api.AuthorizerTTL)
	}
	got := map[string]string{}
	for _, r := range api.Routes {
		got[r.Method+" "+r.Path] = fmt.Sprintf("%s authorized=%v", r.Function, r.Authorized)
	}
	want := map[string]string{
		"POST /login":    "LoginFunction authorized=false",
		"POST /refresh":  "RefreshFunction authorized=false",
		"POST /logout":   "LogoutFunction authorized=false",
		"POST /password": "PasswordFunction authorized=true",
		"GET /protected": "ProtectedFunction authorized=true",
		"GET /admin":     "ProtectedFunction authorized=true",
		// Public: the JWKS and discovery documents.
		"GET /.well-known/jwks.json":            "JwksFunction authorized=false",
		"GET /.well-known/openid-configuration": "JwksFunction authorized=false",
	}
	if len(got) != len(want) {
		t.Errorf("routes %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("route %s = %q, want %q", k, got[k], v)
		}
	}
	denied, ok := api.Responses["ACCESS_DENIED"]
	if !ok || denied.StatusCode != 401 || denied.Template != `{"msg":"$context.authorizer.msg"}` || denied.Headers["Content-Type"] != "application/json" {
		t.Errorf("ACCESS_DENIED = %+v", denied)
	}
	if u := api.Responses["UNAUTHORIZED"]; u.StatusCode != 401 || u.Template != `{"msg":"Missing cookie \"access_token_cookie\""}` {
		t.Errorf("UNAUTHORIZED = %+v", u)
	}
	if f := api.Responses["AUTHORIZER_FAILURE"]; f.StatusCode != 503 {
		t.Errorf("AUTHORIZER_FAILURE = %+v", f)
	}
	for fn, vars := range map[string]map[string]string{
		"LoginFunction": {
			"JWT_ACCESS_TOKEN_EXPIRES": "900", "JWT_REFRESH_TOKEN_EXPIRES": "2592000", "JWT_COOKIE_SECURE": "true",
			"JWT_COOKIE_SAMESITE": "Lax", "JWT_SESSION_COOKIE": "true", "JWT_COOKIE_DOMAIN": "",
			"USERS_TABLE": "UsersTable", "REVOCATION_TABLE": "RevocationTable", "JWT_SECRET_ARN": "JwtSecret",
		},
		"RefreshFunction":    {"JWTGATE_REFRESH_REUSE_GRACE": "10"},
		"AuthorizerFunction": {"JWTGATE_ROLE_RULES": "GET /admin*=admin", "JWTGATE_AUTHORIZER_CACHE_TTL": "0", "JWT_COOKIE_SECURE": "true"},
	} {
		for k, v := range vars {
			if got, ok := api.Env[fn][k]; !ok || got != v {
				t.Errorf("%s env %s = %q (set %v), want %q", fn, k, got, ok, v)
			}
		}
	}
	if _, err := gateway.ParseTemplate([]byte("")); err == nil {
		t.Errorf("empty template accepted")
	}
}

// fakeInvoker answers the authorizer with a fixed response and records
// what reached the function.
type fakeInvoker struct {
	authz  events.APIGatewayCustomAuthorizerResponse
	called []string
}

func (f *fakeInvoker) Invoke(_ context.Context, fn string, _ []byte) ([]byte, error) {
	f.called = append(f.called, fn)
	if fn == "AuthorizerFunction" {
		return json.Marshal(f.authz)
	}
	return json.Marshal(events.APIGatewayProxyResponse{StatusCode: 200, Body: `{"ok":true}`})
}

// denyWith serves GET /protected through the gateway with an authorizer
// that denies with context msg, and returns the response.
func denyWith(t *testing.T, api *gateway.API, msg string) (int, string, []string) {
	t.Helper()
	inv := &fakeInvoker{authz: events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: "anonymous",
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{stmt("Deny", "*")}},
		Context: map[string]any{"msg": msg},
	}}
	srv := httptest.NewServer(&gateway.Gateway{API: api, Invoker: inv, Stage: "prod"})
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/protected", nil)
	req.Header.Set("Cookie", "access_token_cookie=x")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := srv.Client().Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), inv.called
}

// TestDenyMessageSubstitution: like API Gateway, the local gateway inserts
// $context.authorizer.* verbatim, so the authorizer must send JSON-safe
// values (it escapes its msg); a value is never expanded twice.
func TestDenyMessageSubstitution(t *testing.T) {
	api, err := gateway.ParseTemplate([]byte(jwtgate.Template))
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{
		`plain`,
		`Missing cookie "access_token_cookie"`,
		`"}, "admin": true, "x": "`,
		"line\nbreak\ttab \\ back\\slash",
		`<script>alert(1)</script> & more`,
		"\u2028\u2029 \u0000 ünïcødé",
	} {
		t.Run(msg, func(t *testing.T) {
			escaped, _ := json.Marshal(msg)
			status, body, called := denyWith(t, api, string(escaped[1:len(escaped)-1]))
			var got map[string]string
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("body %q is not valid JSON: %v", body, err)
			}
			if status != 401 || len(got) != 1 || got["msg"] != msg {
				t.Fatalf("%d %s, want 401 with msg %q only", status, body, msg)
			}
			if strings.Join(called, ",") != "AuthorizerFunction" {
				t.Errorf("invoked %v, want the authorizer only", called)
			}
		})
	}
	t.Run("verbatim", func(t *testing.T) {
		_, body, _ := denyWith(t, api, `a"b`)
		if body != `{"msg":"a"b"}` {
			t.Fatalf("body %q, want the value inserted verbatim, as API Gateway does", body)
		}
	})
	t.Run("not expanded twice", func(t *testing.T) {
		_, body, _ := denyWith(t, api, "$context.authorizer.msg!")
		if body != `{"msg":"$context.authorizer.msg!"}` {
			t.Fatalf("body %q", body)
		}
	})
	t.Run("no Cookie header: authorizer not invoked", func(t *testing.T) {
		inv := &fakeInvoker{}
		srv := httptest.NewServer(&gateway.Gateway{API: api, Invoker: inv, Stage: "prod"})
		defer srv.Close()
		resp, err := srv.Client().Get(srv.URL + "/protected")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 401 || string(body) != `{"msg":"Missing cookie \"access_token_cookie\""}` || len(inv.called) != 0 {
			t.Fatalf("%d %s (invoked %v)", resp.StatusCode, body, inv.called)
		}
	})
}
