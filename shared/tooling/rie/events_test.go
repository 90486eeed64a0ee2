package rie_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
)

// eventCase is what one file of events/ must do under the emulator.
type eventCase struct {
	file     string
	function string
	// status and body of a proxy response; authorizer cases check principal.
	status    int
	body      string
	cookies   []string // Set-Cookie names the response must carry
	principal string   // REST authorizer: Allow for this principal
}

var allCookies = []string{"access_token_cookie", "csrf_access_token", "refresh_token_cookie", "csrf_refresh_token"}

// Order matters: login gives the tokens, logout ends the session and
// password (last) changes testuser's password.
func eventCases(v2 bool) []eventCase {
	authz := eventCase{file: "authorizer.json", function: handlers.AuthorizerFunction, principal: "testuser"}
	if v2 {
		authz.file = "authorizer-v2.json"
	}
	return []eventCase{
		{file: "login.json", function: handlers.LoginFunction, status: 200, body: `{"login":true}`, cookies: allCookies},
		{file: "protected.json", function: handlers.ProtectedFunction, status: 200, body: `{"logged_in_as":"testuser"}`},
		{file: "admin.json", function: handlers.ProtectedFunction, status: 200, body: `{"admin":true,"user":"admin"}`},
		authz,
		{file: "refresh.json", function: handlers.RefreshFunction, status: 200, body: `{"refresh":true}`,
			cookies: allCookies},
		{file: "logout.json", function: handlers.LogoutFunction, status: 200, body: `{"logout":true}`, cookies: allCookies},
		{file: "password.json", function: handlers.PasswordFunction, status: 200, body: `{"password_changed":true}`, cookies: allCookies},
		// Under HS* (these runs) there is no public key to publish.
		{file: "jwks.json", function: handlers.JwksFunction, status: 200, body: `{"keys":[]}` + "\n"},
	}
}

// TestEvents invokes every file of events/ (REST, payload 1.0) and
// events/v2/ (HTTP API, payload 2.0) with its function under the emulator,
// with fresh cookies in place of the placeholders.
func TestEvents(t *testing.T) {
	for _, v2 := range []bool{false, true} {
		dir, name, env := "", "rest", map[string]string{}
		if v2 {
			dir, name, env = "v2", "v2", map[string]string{"JWTGATE_PAYLOAD": "v2"}
		}
		t.Run(name, func(t *testing.T) {
			cases := eventCases(v2)
			files, err := os.ReadDir(filepath.Join(root, "events", dir))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if !f.IsDir() && strings.HasSuffix(f.Name(), ".json") &&
					!slices.ContainsFunc(cases, func(c eventCase) bool { return c.file == f.Name() }) {
					t.Errorf("events/%s has no test case", filepath.Join(dir, f.Name()))
				}
			}
			rev, us, _ := tables(t)
			pool := newPool(t, rev, us, env)
			var values map[string]string
			for _, c := range cases {
				t.Run(c.file, func(t *testing.T) {
					ev := readEvent(t, filepath.Join(dir, c.file))
					if c.file != "login.json" {
						if values == nil {
							t.Fatal("no tokens: login failed")
						}
						ev = fill(ev, values)
					}
					out, err := pool.Invoke(context.Background(), c.function, ev)
					if err != nil {
						t.Fatalf("invoke %s: %v", c.function, err)
					}
					if c.function == handlers.AuthorizerFunction {
						checkAuthorizer(t, v2, out, c.principal)
						return
					}
					status, body, setCookies := proxyResponse(t, v2, out)
					if status != c.status || body != c.body {
						t.Fatalf("got %d %s, want %d %s", status, body, c.status, c.body)
					}
					var names []string
					for _, sc := range setCookies {
						ck, err := http.ParseSetCookie(sc)
						if err != nil {
							t.Fatalf("Set-Cookie %q: %v", sc, err)
						}
						names = append(names, ck.Name)
					}
					for _, want := range c.cookies {
						if !slices.Contains(names, want) {
							t.Errorf("no Set-Cookie %s in %q", want, setCookies)
						}
					}
					if c.file == "login.json" {
						values = sessionCookies(t, setCookies)
					}
				})
			}
		})
	}
}

func proxyResponse(t *testing.T, v2 bool, out []byte) (status int, body string, setCookies []string) {
	t.Helper()
	if v2 {
		var r events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("v2 response %s: %v", out, err)
		}
		return r.StatusCode, r.Body, r.Cookies
	}
	var r events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("proxy response %s: %v", out, err)
	}
	return r.StatusCode, r.Body, v1SetCookies(r)
}

func checkAuthorizer(t *testing.T, v2 bool, out []byte, principal string) {
	t.Helper()
	if v2 {
		var r events.APIGatewayV2CustomAuthorizerSimpleResponse
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("simple response %s: %v", out, err)
		}
		if !r.IsAuthorized || r.Context["sub"] != principal {
			t.Fatalf("got %s, want IsAuthorized for %s", out, principal)
		}
		return
	}
	var r events.APIGatewayCustomAuthorizerResponse
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("authorizer response %s: %v", out, err)
	}
	arn := "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/protected"
	if r.PrincipalID != principal || !gateway.Allowed(r.PolicyDocument, arn) || r.Context["sub"] != principal {
		t.Fatalf("got %s, want Allow for %s", out, principal)
	}
}

// TestAuthorizerV2 runs the authorizer with JWTGATE_PAYLOAD=v2: a simple
// response, IsAuthorized true with a valid cookie in the cookies array,
// false with the flask message otherwise.
func TestAuthorizerV2(t *testing.T) {
	rev, us, _ := tables(t)
	pool := newPool(t, rev, us, map[string]string{"JWTGATE_PAYLOAD": "v2"})
	values := loginV2(t, pool)
	tmpl := fill(readEvent(t, "v2/authorizer-v2.json"), values)
	tests := []struct {
		name    string
		cookies []string
		want    bool
		msg     string
	}{
		{"valid cookie", nil, true, ""},
		{"no cookie", []string{}, false, `Missing cookie "access_token_cookie"`},
		{"forged token", []string{"access_token_cookie=" + values["{{ACCESS_TOKEN}}"] + "x"}, false, "Signature verification failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev events.APIGatewayV2CustomAuthorizerV2Request
			if err := json.Unmarshal(tmpl, &ev); err != nil {
				t.Fatal(err)
			}
			if tt.cookies != nil {
				ev.Cookies = tt.cookies
				delete(ev.Headers, "cookie")
			}
			payload, _ := json.Marshal(ev)
			out, err := pool.Invoke(context.Background(), handlers.AuthorizerFunction, payload)
			if err != nil {
				t.Fatal(err)
			}
			var r events.APIGatewayV2CustomAuthorizerSimpleResponse
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if r.IsAuthorized != tt.want {
				t.Fatalf("IsAuthorized = %v, want %v (%s)", r.IsAuthorized, tt.want, out)
			}
			if tt.want && r.Context["sub"] != "testuser" {
				t.Fatalf("context %v, want sub testuser", r.Context)
			}
			if !tt.want && r.Context["msg"] != tt.msg {
				t.Fatalf("msg = %v, want %q", r.Context["msg"], tt.msg)
			}
		})
	}
}

func loginV2(t *testing.T, pool interface {
	Invoke(context.Context, string, []byte) ([]byte, error)
}) map[string]string {
	t.Helper()
	out, err := pool.Invoke(context.Background(), handlers.LoginFunction, readEvent(t, "v2/login.json"))
	if err != nil {
		t.Fatal(err)
	}
	status, body, setCookies := proxyResponse(t, true, out)
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	return sessionCookies(t, setCookies)
}

// TestV2Identity checks payload 2.0 identity under the emulator: the
// function reads requestContext.authorizer.lambda, and ignores an
// X-GoLambdaProxy-ApiGw-Context header a client sends to forge it.
func TestV2Identity(t *testing.T) {
	rev, us, _ := tables(t)
	pool := newPool(t, rev, us, map[string]string{"JWTGATE_PAYLOAD": "v2"})
	forged := `{"accountId":"123456789012","authorizer":{"lambda":{"sub":"admin","roles":"admin,user","fresh":"true"}}}`
	tests := []struct {
		name       string
		file       string
		authorizer bool   // keep the event's authorizer context
		header     string // X-GoLambdaProxy-ApiGw-Context sent by the client
		status     int
		body       string
	}{
		{"context gives identity", "protected.json", true, "", 200, `{"logged_in_as":"testuser"}`},
		{"forged header alone", "protected.json", false, forged, 401, `{"msg":"Missing cookie \"access_token_cookie\""}`},
		{"forged admin over a user context", "protected.json", true, forged, 200, `{"logged_in_as":"testuser"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(readEvent(t, "v2/"+tt.file), &ev); err != nil {
				t.Fatal(err)
			}
			if !tt.authorizer {
				ev.RequestContext.Authorizer = nil
			}
			if tt.header != "" {
				ev.Headers["x-golambdaproxy-apigw-context"] = tt.header
			}
			payload, _ := json.Marshal(ev)
			out, err := pool.Invoke(context.Background(), handlers.ProtectedFunction, payload)
			if err != nil {
				t.Fatal(err)
			}
			status, body, _ := proxyResponse(t, true, out)
			if status != tt.status || body != tt.body {
				t.Fatalf("got %d %s, want %d %s", status, body, tt.status, tt.body)
			}
		})
	}
	t.Run("admin route with a forged admin header and a user context", func(t *testing.T) {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(readEvent(t, "v2/admin.json"), &ev); err != nil {
			t.Fatal(err)
		}
		ev.RequestContext.Authorizer.Lambda = map[string]any{"sub": "testuser", "roles": "user"}
		ev.Headers["x-golambdaproxy-apigw-context"] = forged
		payload, _ := json.Marshal(ev)
		out, err := pool.Invoke(context.Background(), handlers.ProtectedFunction, payload)
		if err != nil {
			t.Fatal(err)
		}
		status, body, _ := proxyResponse(t, true, out)
		if status != 403 || body != `{"msg":"Forbidden: requires role admin"}` {
			t.Fatalf("got %d %s, want 403 Forbidden: requires role admin", status, body)
		}
	})
}

// TestFunctionErrorShape: an event the handler cannot decode makes
// aws-lambda-go return an error, which must come back as a
// *gateway.FunctionError, and the instance stays usable.
func TestFunctionErrorShape(t *testing.T) {
	rev, us, _ := tables(t)
	pool := newPool(t, rev, us, nil)
	_, err := pool.Invoke(context.Background(), handlers.ProtectedFunction, []byte(`{"httpMethod": 42}`))
	var fe *gateway.FunctionError
	if !errors.As(err, &fe) || fe.Type == "" || fe.Message == "" {
		t.Fatalf("got %v, want a *gateway.FunctionError with message and type", err)
	}
	out, err := pool.Invoke(context.Background(), handlers.ProtectedFunction, readEvent(t, "protected.json"))
	if err != nil {
		t.Fatalf("second invoke: %v", err)
	}
	if status, body, _ := proxyResponse(t, false, out); status != 200 {
		t.Fatalf("second invoke: %d %s", status, body)
	}
	if n := len(pool.Stats()); n != 1 {
		t.Fatalf("%d instances, want the one instance reused", n)
	}
}

// TestConcurrentInvokes: one emulator serves one invoke at a time, so
// concurrent invokes get instances of their own, never more than
// DefaultMaxInstances, and all succeed.
func TestConcurrentInvokes(t *testing.T) {
	rev, us, _ := tables(t)
	pool := newPool(t, rev, us, nil)
	const n = 3 * rie.DefaultMaxInstances
	errs := make(chan error, n)
	for range n {
		go func() {
			out, err := pool.Invoke(context.Background(), handlers.ProtectedFunction, readEvent(t, "protected.json"))
			if err == nil && !strings.Contains(string(out), `"statusCode":200`) {
				err = errors.New("unexpected reply " + string(out))
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(pool.Stats()); got < 2 || got > rie.DefaultMaxInstances {
		t.Fatalf("%d instances, want 2..%d", got, rie.DefaultMaxInstances)
	}
}
