package identity_test

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/jwtgate/jwtgate/shared/runtime/identity"
)

// Real proxy events (what API Gateway sends the function after the
// authorizer allowed the request); each test case edits a fresh copy.
var (
	//go:embed testdata/rest_protected.json
	restEventJSON []byte
	//go:embed testdata/httpapi_protected.json
	httpAPIEventJSON []byte
)

const spoofHeader = "X-GoLambdaProxy-ApiGw-Context"

func restEvent(t *testing.T) events.APIGatewayProxyRequest {
	t.Helper()
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(restEventJSON, &ev); err != nil {
		t.Fatalf("testdata REST event: %v", err)
	}
	return ev
}

func httpAPIEvent(t *testing.T) events.APIGatewayV2HTTPRequest {
	t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(httpAPIEventJSON, &ev); err != nil {
		t.Fatalf("testdata HTTP API event: %v", err)
	}
	return ev
}

// captured is what a handler behind the adapter saw.
type captured struct {
	ran   bool
	id    identity.Identity
	err   error
	ofID  identity.Identity
	ofOK  bool
	spoof string
}

func capture(c *captured) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.ran = true
		c.id, c.err = identity.FromContext(r.Context())
		c.ofID, c.ofOK = identity.Of(r.Context())
		c.spoof = r.Header.Get(spoofHeader)
		w.WriteHeader(http.StatusNoContent)
	})
}

func TestFromContext(t *testing.T) {
	testuser := identity.Identity{Subject: "testuser", Roles: []string{"user"},
		JTI: "0b6a2b0e-8f0c-4d0e-9a43-6a2f7c1d9e11", SID: "5c2d7e8f-1a3b-4c5d-8e9f-0a1b2c3d4e5f",
		Fresh: true, IssuedAt: "1700000000"}
	admin := identity.Identity{Subject: "admin", Roles: []string{"admin", "user"},
		JTI: "7d1e2f3a-4b5c-4d6e-8f90-a1b2c3d4e5f6", SID: "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a",
		Fresh: false, IssuedAt: "1700000100"}
	forbidden := testuser
	forbidden.Forbidden = "Forbidden: requires role admin"
	noRoles := testuser
	noRoles.Roles = nil
	withClaims := testuser
	withClaims.Claims = map[string]string{"tenant": "acme", "https://example.com/plan": "pro"}
	adminClaims := admin
	adminClaims.Claims = map[string]string{"tenant": "jwtgate"}

	tests := []struct {
		name    string
		proxy   func(t *testing.T, h http.Handler) // sends one event through an adapter
		want    identity.Identity
		wantErr error
	}{
		{name: "REST authorizer context", want: testuser, proxy: func(t *testing.T, h http.Handler) {
			proxyREST(t, h, restEvent(t))
		}},
		{name: "REST forbidden flag", want: forbidden, proxy: func(t *testing.T, h http.Handler) {
			ev := restEvent(t)
			ev.RequestContext.Authorizer[identity.KeyForbidden] = "Forbidden: requires role admin"
			proxyREST(t, h, ev)
		}},
		{name: "REST no roles", want: noRoles, proxy: func(t *testing.T, h http.Handler) {
			ev := restEvent(t)
			ev.RequestContext.Authorizer[identity.KeyRoles] = ""
			proxyREST(t, h, ev)
		}},
		{name: "REST user claims", want: withClaims, proxy: func(t *testing.T, h http.Handler) {
			ev := restEvent(t)
			ev.RequestContext.Authorizer[identity.KeyClaims] = `{"tenant":"acme","https://example.com/plan":"pro"}`
			proxyREST(t, h, ev)
		}},
		{name: "REST malformed claims fail closed", wantErr: identity.ErrNoIdentity, proxy: func(t *testing.T, h http.Handler) {
			ev := restEvent(t)
			ev.RequestContext.Authorizer[identity.KeyClaims] = `{"tenant":1}`
			proxyREST(t, h, ev)
		}},
		{name: "REST without authorizer", wantErr: identity.ErrNoIdentity, proxy: func(t *testing.T, h http.Handler) {
			ev := restEvent(t)
			ev.RequestContext.Authorizer = nil
			proxyREST(t, h, ev)
		}},
		{name: "REST authorizer without sub", wantErr: identity.ErrNoIdentity, proxy: func(t *testing.T, h http.Handler) {
			ev := restEvent(t)
			delete(ev.RequestContext.Authorizer, identity.KeySubject)
			proxyREST(t, h, ev)
		}},
		{name: "HTTP API v2 lambda context", want: admin, proxy: func(t *testing.T, h http.Handler) {
			proxyV2(t, h, httpAPIEvent(t))
		}},
		{name: "HTTP API v2 user claims", want: adminClaims, proxy: func(t *testing.T, h http.Handler) {
			ev := httpAPIEvent(t)
			ev.RequestContext.Authorizer.Lambda[identity.KeyClaims] = `{"tenant":"jwtgate"}`
			proxyV2(t, h, ev)
		}},
		{name: "HTTP API v2 without authorizer", wantErr: identity.ErrNoIdentity, proxy: func(t *testing.T, h http.Handler) {
			ev := httpAPIEvent(t)
			ev.RequestContext.Authorizer = nil
			proxyV2(t, h, ev)
		}},
		{name: "plain request", wantErr: identity.ErrNoIdentity, proxy: func(t *testing.T, h http.Handler) {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/protected", nil))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c captured
			tt.proxy(t, capture(&c))
			if !c.ran {
				t.Fatal("handler did not run")
			}
			if !errors.Is(c.err, tt.wantErr) {
				t.Fatalf("FromContext error = %v, want %v", c.err, tt.wantErr)
			}
			if !reflect.DeepEqual(c.id, tt.want) {
				t.Errorf("FromContext = %+v, want %+v", c.id, tt.want)
			}
		})
	}
}

func proxyREST(t *testing.T, h http.Handler, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := httpadapter.New(h).ProxyWithContext(context.Background(), ev)
	if err != nil {
		t.Fatalf("REST proxy: %v", err)
	}
	return resp
}

func proxyV2(t *testing.T, h http.Handler, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := httpadapter.NewV2(h).ProxyWithContext(context.Background(), ev)
	if err != nil {
		t.Fatalf("HTTP API proxy: %v", err)
	}
	return resp
}

func TestRequire(t *testing.T) {
	// A client-forged gateway context, in the form aws-lambda-go-api-proxy
	// itself writes into that header.
	forged, err := json.Marshal(events.APIGatewayProxyRequestContext{
		Authorizer: map[string]any{"sub": "mallory", "roles": "admin,user"}})
	if err != nil {
		t.Fatal(err)
	}
	const missing = `{"msg":"Missing cookie \"access_token_cookie\""}`

	tests := []struct {
		name       string
		event      func(t *testing.T) events.APIGatewayProxyRequest
		wantStatus int
		wantBody   string
		wantNext   bool
		wantSub    string
	}{
		{name: "authorized", wantStatus: http.StatusNoContent, wantNext: true, wantSub: "testuser",
			event: restEvent},
		{name: "no authorizer context", wantStatus: http.StatusUnauthorized, wantBody: missing,
			event: func(t *testing.T) events.APIGatewayProxyRequest {
				ev := restEvent(t)
				ev.RequestContext.Authorizer = nil
				return ev
			}},
		{name: "forbidden flag", wantStatus: http.StatusForbidden, wantBody: `{"msg":"Forbidden: requires role admin"}`,
			event: func(t *testing.T) events.APIGatewayProxyRequest {
				ev := restEvent(t)
				ev.RequestContext.Authorizer[identity.KeyForbidden] = "Forbidden: requires role admin"
				return ev
			}},
		{name: "forged header without authorizer", wantStatus: http.StatusUnauthorized, wantBody: missing,
			event: func(t *testing.T) events.APIGatewayProxyRequest {
				ev := restEvent(t)
				ev.RequestContext.Authorizer = nil
				ev.Headers[spoofHeader] = string(forged)
				ev.MultiValueHeaders[spoofHeader] = []string{string(forged)}
				return ev
			}},
		{name: "forged header with authorizer", wantStatus: http.StatusNoContent, wantNext: true, wantSub: "testuser",
			event: func(t *testing.T) events.APIGatewayProxyRequest {
				ev := restEvent(t)
				ev.Headers[spoofHeader] = string(forged)
				ev.MultiValueHeaders[spoofHeader] = []string{string(forged)}
				return ev
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c captured
			resp := proxyREST(t, identity.Require(capture(&c)), tt.event(t))
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if tt.wantBody != "" && resp.Body != tt.wantBody {
				t.Errorf("body = %s, want %s", resp.Body, tt.wantBody)
			}
			if c.ran != tt.wantNext {
				t.Fatalf("next ran = %v, want %v", c.ran, tt.wantNext)
			}
			if !tt.wantNext {
				return
			}
			if !c.ofOK || c.ofID.Subject != tt.wantSub {
				t.Errorf("Of = %+v, %v; want subject %q", c.ofID, c.ofOK, tt.wantSub)
			}
			if c.spoof != "" {
				t.Errorf("next saw %s header %q; Require must drop it", spoofHeader, c.spoof)
			}
		})
	}
}

// TestRequireForgedHeaderPlainRequest sends the forged header on a request
// that never went through the adapter (no gateway context at all).
func TestRequireForgedHeaderPlainRequest(t *testing.T) {
	var c captured
	r := httptest.NewRequest(http.MethodGet, "/protected", nil)
	r.Header.Set(spoofHeader, `{"authorizer":{"sub":"mallory","roles":"admin"}}`)
	w := httptest.NewRecorder()
	identity.Require(capture(&c)).ServeHTTP(w, r)
	if w.Code != http.StatusUnauthorized || w.Body.String() != `{"msg":"Missing cookie \"access_token_cookie\""}` {
		t.Errorf("got %d %s, want 401 missing cookie", w.Code, w.Body)
	}
	if c.ran {
		t.Error("next ran for a forged header")
	}
}

func TestOfOutsideRequire(t *testing.T) {
	if id, ok := identity.Of(context.Background()); ok {
		t.Errorf("Of(background) = %+v, true; want false", id)
	}
}

// TestClaim: identity.Claim reads one user claim behind Require, says
// whether the authorizer passed it on, and finds nothing outside Require.
func TestClaim(t *testing.T) {
	ev := restEvent(t)
	ev.RequestContext.Authorizer[identity.KeyClaims] = `{"tenant":"acme","empty":""}`
	got := map[string]string{}
	h := identity.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, name := range []string{"tenant", "empty", "plan"} {
			v, ok := identity.Claim(r.Context(), name)
			got[name] = fmt.Sprintf("%q %v", v, ok)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	proxyREST(t, h, ev)
	want := map[string]string{"tenant": `"acme" true`, "empty": `"" true`, "plan": `"" false`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Claim = %v, want %v", got, want)
	}
	if v, ok := identity.Claim(context.Background(), "tenant"); ok || v != "" {
		t.Errorf("Claim outside Require = %q, %v", v, ok)
	}
}

// TestRequireMessageKey: WithMessageKey writes Require's 401 and 403 under
// the deployment's JWT_ERROR_MESSAGE_KEY; empty keeps "msg".
func TestRequireMessageKey(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	forbidden := restEvent(t)
	forbidden.RequestContext.Authorizer[identity.KeyForbidden] = "Forbidden: requires role admin"
	none := restEvent(t)
	none.RequestContext.Authorizer = nil
	for _, tt := range []struct {
		key, want string
	}{{"", "msg"}, {"msg", "msg"}, {"error", "error"}} {
		h := identity.Require(next, identity.WithMessageKey(tt.key))
		for _, c := range []struct {
			ev     events.APIGatewayProxyRequest
			status int
			msg    string
		}{
			{none, 401, `Missing cookie \"access_token_cookie\"`},
			{forbidden, 403, "Forbidden: requires role admin"},
		} {
			resp := proxyREST(t, h, c.ev)
			if want := `{"` + tt.want + `":"` + c.msg + `"}`; resp.StatusCode != c.status || resp.Body != want {
				t.Errorf("key %q: %d %s, want %d %s", tt.key, resp.StatusCode, resp.Body, c.status, want)
			}
		}
	}
}
