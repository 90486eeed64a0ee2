package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
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
func denyWith(t *testing.T, api *samtemplate.Template, msg string) (int, string, []string) {
	t.Helper()
	inv := &fakeInvoker{authz: events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: "anonymous",
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{stmt("Deny", "*")}},
		Context: map[string]any{"msg": msg},
	}}
	srv := httptest.NewServer(gateway.New(api, inv, gateway.Options{Stage: "prod"}))
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
	api, err := samtemplate.Parse([]byte(jwtgate.Template))
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
		srv := httptest.NewServer(gateway.New(api, inv, gateway.Options{Stage: "prod"}))
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

// TestErrorMessageKey: JWT_ERROR_MESSAGE_KEY reaches the template's
// ErrorMessageKey parameter, so the gateway responses API Gateway renders
// (a denial, a missing identity source) use the functions' key; a key the
// template cannot render into JSON is refused before anything serves.
func TestErrorMessageKey(t *testing.T) {
	src := []byte(jwtgate.Template)
	for _, tt := range []struct {
		key, want, cookie string
	}{
		{"", "msg", ""},
		{"error", "error", ""},
		{"error_message", "error_message", ""},
		// The missing identity source names the access cookie, as flask's
		// message does: JWT_ACCESS_COOKIE_NAME reaches AccessCookieName.
		{"", "msg", "__Host-session"},
	} {
		t.Run(tt.want+tt.cookie, func(t *testing.T) {
			env := map[string]string{}
			if tt.key != "" {
				env["JWT_ERROR_MESSAGE_KEY"] = tt.key
			}
			cookie := "access_token_cookie"
			if tt.cookie != "" {
				env["JWT_ACCESS_COOKIE_NAME"], cookie = tt.cookie, tt.cookie
			}
			params, err := samtemplate.ParametersFromEnv(src, envOf(env))
			if err != nil {
				t.Fatal(err)
			}
			api, err := samtemplate.ParseWith(src, params)
			if err != nil {
				t.Fatal(err)
			}
			if status, body, _ := denyWith(t, api, "Token has expired"); status != 401 || body != `{"`+tt.want+`":"Token has expired"}` {
				t.Errorf("denial: %d %s, want 401 under %q", status, body, tt.want)
			}
			srv := httptest.NewServer(gateway.New(api, &fakeInvoker{}, gateway.Options{Stage: "prod"}))
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL + "/protected") // no Cookie: the identity source is missing
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if want := `{"` + tt.want + `":"Missing cookie \"` + cookie + `\""}`; resp.StatusCode != 401 || string(body) != want {
				t.Errorf("no Cookie: %d %s, want 401 %s", resp.StatusCode, body, want)
			}
		})
	}
	for _, bad := range []map[string]string{{"JWT_ERROR_MESSAGE_KEY": `a"b`}, {"JWT_ACCESS_COOKIE_NAME": `a"b`}, {"JWT_ACCESS_COOKIE_NAME": "my##c"}} {
		params, err := samtemplate.ParametersFromEnv(src, envOf(bad))
		if err == nil {
			_, err = samtemplate.ParseWith(src, params)
		}
		if !errors.Is(err, samtemplate.ErrParameter) {
			t.Errorf("%v: err = %v, want ErrParameter (AllowedPattern)", bad, err)
		}
	}
}
