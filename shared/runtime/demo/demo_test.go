package demo_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/jwtgate/jwtgate/shared/runtime/demo"
)

// event is a REST proxy event for method and path; auth is the authorizer
// context (nil: the route was deployed without the authorizer).
func event(method, path string, auth map[string]any) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		HTTPMethod: method,
		Path:       path,
		Resource:   path,
		Headers:    map[string]string{"Accept": "application/json", "Cookie": "access_token_cookie=PLACEHOLDER"},
		RequestContext: events.APIGatewayProxyRequestContext{
			Stage:        "Prod",
			HTTPMethod:   method,
			ResourcePath: path,
			DomainName:   "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
			Identity:     events.APIGatewayRequestIdentity{SourceIP: "203.0.113.10"},
			Authorizer:   auth,
		},
	}
}

func TestHandler(t *testing.T) {
	user := map[string]any{"sub": "testuser", "roles": "user", "jti": "j1", "sid": "s1", "fresh": "false", "iat": "1700000000"}
	admin := map[string]any{"sub": "admin", "roles": "admin,user", "jti": "j2", "sid": "s2", "fresh": "false", "iat": "1700000000"}
	userForbidden := map[string]any{"sub": "testuser", "roles": "user", "forbidden": "Forbidden: requires role admin"}
	// "administrator" must not pass as "admin": roles are compared whole.
	lookalike := map[string]any{"sub": "eve", "roles": "administrator,user"}

	tests := []struct {
		name       string
		method     string
		path       string
		auth       map[string]any
		wantStatus int
		wantBody   string
	}{
		{"protected as user", http.MethodGet, "/protected", user, http.StatusOK, `{"logged_in_as":"testuser"}`},
		{"protected as admin", http.MethodGet, "/protected", admin, http.StatusOK, `{"logged_in_as":"admin"}`},
		{"admin as admin", http.MethodGet, "/admin", admin, http.StatusOK, `{"admin":true,"user":"admin"}`},
		{"admin as user without forbidden flag", http.MethodGet, "/admin", user, http.StatusForbidden, `{"msg":"Forbidden: requires role admin"}`},
		{"admin as user with forbidden flag", http.MethodGet, "/admin", userForbidden, http.StatusForbidden, `{"msg":"Forbidden: requires role admin"}`},
		{"admin with role prefix only", http.MethodGet, "/admin", lookalike, http.StatusForbidden, `{"msg":"Forbidden: requires role admin"}`},
		{"unknown path", http.MethodGet, "/nope", user, http.StatusNotFound, `{"msg":"Not found"}`},
		{"protected without context", http.MethodGet, "/protected", nil, http.StatusUnauthorized, `{"msg":"Missing cookie \"access_token_cookie\""}`},
		{"admin without context", http.MethodGet, "/admin", nil, http.StatusUnauthorized, `{"msg":"Missing cookie \"access_token_cookie\""}`},
		{"unknown path without context", http.MethodGet, "/nope", nil, http.StatusUnauthorized, `{"msg":"Missing cookie \"access_token_cookie\""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := httpadapter.New(demo.Handler("")).ProxyWithContext(context.Background(), event(tt.method, tt.path, tt.auth))
			if err != nil {
				t.Fatalf("proxy: %v", err)
			}
			if resp.StatusCode != tt.wantStatus || resp.Body != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, resp.Body, tt.wantStatus, tt.wantBody)
			}
			if ct := resp.MultiValueHeaders["Content-Type"]; len(ct) != 1 || ct[0] != "application/json" {
				t.Errorf("Content-Type = %v, want application/json", ct)
			}
		})
	}
}
