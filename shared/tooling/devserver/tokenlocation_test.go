package devserver_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
)

// TestBearerThroughGateway (issue 13): JWT_TOKEN_LOCATION picks the
// template's TokenLocation, hence its authorizer and identity source, as
// a deployment with that parameter would. With headers allowed the
// authorizer has no Cookie identity source: a request carrying only
// Authorization: Bearer reaches it and is served, and a request with no
// token gets flask's message from the authorizer, not API Gateway's
// identity-source refusal. With cookies only, API Gateway refuses a
// Bearer-only request before the authorizer runs (as deployed).
func TestBearerThroughGateway(t *testing.T) {
	tests := []struct {
		location   string
		bearerOnly int // status of GET /protected with only a Bearer header
		noToken    string
	}{
		{location: "", bearerOnly: 401, noToken: `Missing cookie \"access_token_cookie\"`},
		{location: "cookies", bearerOnly: 401, noToken: `Missing cookie \"access_token_cookie\"`},
		{location: "headers", bearerOnly: 200, noToken: "Missing Authorization Header"},
		{location: "cookies,headers", bearerOnly: 200, noToken: "access_token_cookie"},
		{location: `["headers", "cookies"]`, bearerOnly: 200, noToken: "Authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.location, func(t *testing.T) {
			env := map[string]string{}
			if tt.location != "" {
				env["JWT_TOKEN_LOCATION"] = tt.location
			}
			h := newHarness(t, env)
			b := h.browser()
			b.login("testuser", "testpass")
			token := b.cookie("access_token_cookie")
			if token == "" {
				t.Fatal("login set no access cookie")
			}
			got := h.raw("GET", "/protected", "", map[string]string{"Authorization": "Bearer " + token})
			if got.Status != tt.bearerOnly {
				t.Fatalf("Bearer-only GET /protected: %d %s, want %d", got.Status, got.Body, tt.bearerOnly)
			}
			if tt.bearerOnly == 200 {
				expect(t, "Bearer-only GET /protected", got, 200, `{"logged_in_as":"testuser"}`)
				// A Bearer token is never CSRF-checked; a wrong scheme gets flask's words.
				bad := h.raw("GET", "/protected", "", map[string]string{"Authorization": "Basic " + token})
				if bad.Status != 401 {
					t.Errorf("Basic scheme: %d %s, want 401", bad.Status, bad.Body)
				}
			} else {
				expect(t, "Bearer-only GET /protected", got, 401, msg(`Missing cookie "access_token_cookie"`))
			}
			none := h.raw("GET", "/protected", "", nil)
			if none.Status != 401 || !strings.Contains(none.Body, tt.noToken) {
				t.Errorf("GET /protected without a token: %d %s, want 401 naming %s", none.Status, none.Body, tt.noToken)
			}
		})
	}
}

// TestTokenLocationRules: settings a deployment would refuse stop
// `jwtgate dev` with the template's reason.
func TestTokenLocationRules(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"cached Bearer", map[string]string{"JWT_TOKEN_LOCATION": "headers", "JWTGATE_AUTHORIZER_CACHE_TTL": "300", "JWTGATE_ROLE_RULES": ""}, "CachingNeedsCookies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["JWT_SECRET_KEY"] = testSecret
			_, err := devserver.New(context.Background(), devserver.Options{
				Template: []byte(jwtgate.Template),
				Getenv:   func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok },
				Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("devserver.New(%v) = %v, want an error naming %s", tt.env, err, tt.want)
			}
			if tt.name == "cached Bearer" && !errors.Is(err, gateway.ErrParameter) {
				t.Errorf("error %v is not gateway.ErrParameter", err)
			}
		})
	}
}
