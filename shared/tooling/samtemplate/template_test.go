package samtemplate_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

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
			api, err := samtemplate.Parse([]byte(strings.Replace(jwtgate.Template, line, tc.replace, 1)))
			if err != nil || api.AuthorizerTTL != tc.want {
				t.Fatalf("AuthorizerTTL = %v, %v; want %v", api.AuthorizerTTL, err, tc.want)
			}
		})
	}
	if _, err := samtemplate.Parse([]byte(strings.Replace(jwtgate.Template, line, "              ReauthorizeEvery: soon\n", 1))); err == nil {
		t.Errorf("ReauthorizeEvery: soon accepted")
	}
}

func TestParseTemplate(t *testing.T) {
	api, err := samtemplate.Parse([]byte(jwtgate.Template))
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
			if got, ok := api.Functions[fn].Env[k]; !ok || got != v {
				t.Errorf("%s env %s = %q (set %v), want %q", fn, k, got, ok, v)
			}
		}
	}
	if _, err := samtemplate.Parse([]byte("")); err == nil {
		t.Errorf("empty template accepted")
	}
}

// The template's CORS headers on gateway responses are conditional (!If
// HasCors): the local gateway must leave them out rather than send them
// empty, which would override the CORS middleware and make browsers hide
// the 401 a cross-origin front end needs to read to refresh.
func TestConditionalResponseHeadersLeftOut(t *testing.T) {
	api, err := samtemplate.Parse([]byte(jwtgate.Template))
	if err != nil {
		t.Fatal(err)
	}
	for kind, r := range api.Responses {
		if v, ok := r.Headers["Access-Control-Allow-Origin"]; ok {
			t.Errorf("%s: Access-Control-Allow-Origin = %q, want it left to the CORS middleware", kind, v)
		}
		if r.Headers["Content-Type"] != "application/json" {
			t.Errorf("%s: Content-Type = %q", kind, r.Headers["Content-Type"])
		}
	}
}

func TestFunctions(t *testing.T) {
	tmpl, err := samtemplate.Parse([]byte(jwtgate.Template))
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(tmpl.FunctionIDs())
	want := "[AuthorizerFunction JwksFunction LoginFunction LogoutFunction PasswordFunction ProtectedFunction RefreshFunction]"
	if got != want {
		t.Errorf("FunctionIDs() = %s, want %s", got, want)
	}
	tests := []struct {
		id      string
		timeout time.Duration
		memory  int
	}{
		{"AuthorizerFunction", 3 * time.Second, 128},
		{"LoginFunction", 5 * time.Second, 512},
		{"ProtectedFunction", 5 * time.Second, 128},
	}
	for _, tt := range tests {
		fn := tmpl.Functions[tt.id]
		if fn.ID != tt.id || fn.Runtime != "provided.al2023" || fn.Handler != "bootstrap" || fn.BuildMethod != "makefile" ||
			fn.Timeout != tt.timeout || fn.MemoryMB != tt.memory {
			t.Errorf("%s = %+v, want provided.al2023/bootstrap/makefile, %v, %d MB", tt.id, fn, tt.timeout, tt.memory)
		}
	}
}

// A function of another runtime keeps its own Runtime, Handler and CodeUri
// over the Globals, and its Api event routes to it.
func TestFunctionOverridesGlobals(t *testing.T) {
	src := []byte(`
Globals:
  Function:
    Runtime: provided.al2023
    Handler: bootstrap
    CodeUri: .
    Timeout: 5
Resources:
  HelloPyFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: examples/python/hello
      Timeout: 2
      Events:
        Hello:
          Type: Api
          Properties:
            Path: /hello/{name}
            Method: get
`)
	tmpl, err := samtemplate.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	fn := tmpl.Functions["HelloPyFunction"]
	if fn.Runtime != "python3.12" || fn.Handler != "app.handler" || fn.CodeUri != "examples/python/hello" ||
		fn.Timeout != 2*time.Second || fn.BuildMethod != "" {
		t.Errorf("HelloPyFunction = %+v", fn)
	}
	if len(tmpl.Routes) != 1 || tmpl.Routes[0] != (samtemplate.Route{Method: "GET", Path: "/hello/{name}", Function: "HelloPyFunction"}) {
		t.Errorf("routes = %+v (no default authorizer: not authorized)", tmpl.Routes)
	}
}
