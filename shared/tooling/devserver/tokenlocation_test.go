package devserver_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
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
			if tt.name == "cached Bearer" && !errors.Is(err, samtemplate.ErrParameter) {
				t.Errorf("error %v is not samtemplate.ErrParameter", err)
			}
		})
	}
}

// TestQueryAndJSONTokens (issue 13): the locations API Gateway allows.
// A query-string token reaches the authorizer (TokenLocation queryString,
// no identity source); a JSON-body refresh token works where a function
// reads the body (refresh, logout). Neither is CSRF-checked, as in flask.
func TestQueryAndJSONTokens(t *testing.T) {
	t.Run("query_string", func(t *testing.T) {
		h := newHarness(t, map[string]string{"JWT_TOKEN_LOCATION": "query_string", "JWT_QUERY_STRING_VALUE_PREFIX": "Bearer "})
		b := h.browser()
		b.login("testuser", "testpass")
		tok := b.cookie("access_token_cookie")
		expect(t, "GET /protected?jwt=Bearer <JWT>", h.raw("GET", "/protected?jwt=Bearer%20"+tok, "", nil), 200, `{"logged_in_as":"testuser"}`)
		expect(t, "no token", h.raw("GET", "/protected", "", nil), 401, msg("Missing 'jwt' query paramater"))
		expect(t, "without the prefix", h.raw("GET", "/protected?jwt="+tok, "", nil), 401,
			msg("Invalid value for query parameter 'jwt'. Expected the value to start with 'Bearer '"))
	})
	t.Run("headers,json", func(t *testing.T) {
		h := newHarness(t, map[string]string{"JWT_TOKEN_LOCATION": "headers,json"})
		b := h.browser()
		b.login("testuser", "testpass")
		refresh := b.cookie("refresh_token_cookie")
		jsonCT := map[string]string{"Content-Type": "application/json"}
		expect(t, "refresh, token in the body", h.raw("POST", "/refresh", `{"refresh_token":"`+refresh+`"}`, jsonCT), 200, `{"refresh":true}`)
		expect(t, "refresh, no token", h.raw("POST", "/refresh", `{}`, jsonCT), 401,
			msg(`Missing JWT in headers or json (Missing Authorization Header; Missing "refresh_token" key in json data.)`))
		expect(t, "refresh, not JSON", h.raw("POST", "/refresh", `x`, map[string]string{"Content-Type": "text/plain"}), 401,
			msg(`Missing JWT in headers or json (Missing Authorization Header; Invalid content-type. Must be application/json.)`))
		expect(t, "logout, token in the body", h.raw("POST", "/logout", `{"refresh_token":"`+refresh+`"}`, jsonCT), 200, `{"logout":true}`)
		h.Clock.Advance(time.Minute) // past the reuse grace: the session's revocation decides
		expect(t, "refresh after logout", h.raw("POST", "/refresh", `{"refresh_token":"`+refresh+`"}`, jsonCT), 401, msg("Token has been revoked"))
	})
}
