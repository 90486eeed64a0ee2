package gateway_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

const frontEnd = "http://localhost:5173"

// envOf is a Getenv over m.
func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestCorsFromTemplate: the gateway answers preflights and sets the CORS
// headers of gateway responses from the template's Cors and
// GatewayResponses, evaluated with CorsAllowOrigin as the functions'
// JWTGATE_CORS_ORIGINS sets it (issue 13: `jwtgate dev` answered a
// preflight OPTIONS /login with 403 "Missing Authentication Token").
func TestCorsFromTemplate(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		wantOrigin string // on preflights and gateway responses; "" for none
	}{
		{name: "no CORS", env: nil, wantOrigin: ""},
		{name: "local front end", env: map[string]string{"JWTGATE_CORS_ORIGINS": frontEnd}, wantOrigin: frontEnd},
		{name: "https front end", env: map[string]string{"JWTGATE_CORS_ORIGINS": "https://app.example.com"}, wantOrigin: "https://app.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params, err := samtemplate.ParametersFromEnv([]byte(jwtgate.Template), envOf(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			api, err := samtemplate.ParseWith([]byte(jwtgate.Template), params)
			if err != nil {
				t.Fatal(err)
			}
			for kind, r := range api.Responses {
				if got := r.Headers["Access-Control-Allow-Origin"]; got != tt.wantOrigin {
					t.Errorf("%s: Access-Control-Allow-Origin = %q, want %q", kind, got, tt.wantOrigin)
				}
				wantCreds := map[bool]string{true: "true", false: ""}[tt.wantOrigin != ""]
				if got := r.Headers["Access-Control-Allow-Credentials"]; got != wantCreds {
					t.Errorf("%s: Access-Control-Allow-Credentials = %q, want %q", kind, got, wantCreds)
				}
				if r.Headers["Content-Type"] != "application/json" {
					t.Errorf("%s: Content-Type = %q", kind, r.Headers["Content-Type"])
				}
			}
			inv := &fakeInvoker{}
			srv := httptest.NewServer(gateway.New(api, inv, gateway.Options{Stage: "prod"}))
			defer srv.Close()
			preflight := func(path string) (*http.Response, string) {
				req, _ := http.NewRequest(http.MethodOptions, srv.URL+path, nil)
				req.Header.Set("Origin", frontEnd)
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "content-type,x-csrf-token")
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp, string(b)
			}
			for _, path := range []string{"/login", "/refresh", "/protected", "/password"} {
				resp, body := preflight(path)
				h := resp.Header
				if resp.StatusCode != 200 || body != "{}\n" || h.Get("Access-Control-Allow-Origin") != tt.wantOrigin ||
					h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Access-Control-Allow-Headers") != "Content-Type,X-CSRF-TOKEN" ||
					!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || h.Get("Access-Control-Max-Age") != "600" {
					t.Errorf("OPTIONS %s: %d %q %v", path, resp.StatusCode, body, h)
				}
			}
			if len(inv.called) != 0 {
				t.Errorf("preflights invoked %v, want nothing (a mock integration, no authorizer)", inv.called)
			}
			if resp, body := preflight("/nowhere"); resp.StatusCode != 403 || !strings.Contains(body, "Missing Authentication Token") {
				t.Errorf("OPTIONS /nowhere: %d %s, want API Gateway's 403", resp.StatusCode, body)
			}
		})
	}
}

// TestParametersFromEnv: the environment picks the parameters its
// variables are bound to, and a value the template would refuse stops
// the gateway, as it would stop the deploy.
func TestParametersFromEnv(t *testing.T) {
	src := []byte(jwtgate.Template)
	got, err := samtemplate.ParametersFromEnv(src, envOf(map[string]string{
		"JWTGATE_CORS_ORIGINS": frontEnd, "JWTGATE_AUTHORIZER_CACHE_TTL": "0", "JWT_COOKIE_SAMESITE": "Strict", "UNRELATED": "x",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got["CorsAllowOrigin"] != frontEnd || got["AuthorizerCacheTtl"] != "0" || got["CookieSameSite"] != "Strict" || len(got) != 3 {
		t.Errorf("parameters = %v", got)
	}
	for _, origin := range []string{"http://app.example.com", "https://a.example,https://b.example"} {
		params, err := samtemplate.ParametersFromEnv(src, envOf(map[string]string{"JWTGATE_CORS_ORIGINS": origin}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := samtemplate.ParseWith(src, params); !errors.Is(err, samtemplate.ErrParameter) || !strings.Contains(err.Error(), "CorsAllowOrigin") {
			t.Errorf("CorsAllowOrigin=%q: error %v, want ErrParameter naming it", origin, err)
		}
	}
	if _, err := samtemplate.ParseWith(src, map[string]string{"NoSuchParameter": "x"}); !errors.Is(err, samtemplate.ErrParameter) {
		t.Errorf("undeclared parameter: %v", err)
	}
}

// TestTokenLocationPicksAuthorizer: TokenLocation names the default
// authorizer; only the cookie one has an identity source (a Bearer-only
// request must reach the others), and the Rules refuse a cache without it.
func TestTokenLocationPicksAuthorizer(t *testing.T) {
	src := []byte(jwtgate.Template)
	for _, tt := range []struct {
		env      string
		identity string
	}{
		{"", "Cookie"}, {"cookies", "Cookie"}, {"headers", ""}, {"cookies, headers", ""}, {"headers,cookies", ""},
	} {
		params, err := samtemplate.ParametersFromEnv(src, envOf(map[string]string{"JWT_TOKEN_LOCATION": tt.env}))
		if err != nil {
			t.Fatal(err)
		}
		api, err := samtemplate.ParseWith(src, params)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(api.IdentityHeaders, ","); got != tt.identity || api.Authorizer != "AuthorizerFunction" {
			t.Errorf("JWT_TOKEN_LOCATION=%q: authorizer %q identity %q, want AuthorizerFunction with %q", tt.env, api.Authorizer, got, tt.identity)
		}
		if env := api.Functions["LoginFunction"].Env["JWT_TOKEN_LOCATION"]; tt.env != "" && strings.ReplaceAll(env, " ", "") != strings.ReplaceAll(tt.env, " ", "") {
			t.Errorf("functions get JWT_TOKEN_LOCATION=%q, want %q", env, tt.env)
		}
	}
	if _, err := samtemplate.ParametersFromEnv(src, envOf(map[string]string{"JWT_TOKEN_LOCATION": "json"})); !errors.Is(err, samtemplate.ErrParameter) {
		t.Errorf("a location the template has no value for: %v, want ErrParameter", err)
	}
	_, err := samtemplate.ParseWith(src, map[string]string{"TokenLocation": "headers", "AuthorizerCacheTtl": "300"})
	if !errors.Is(err, samtemplate.ErrParameter) || !strings.Contains(err.Error(), "CachingNeedsCookies") {
		t.Errorf("cached Bearer authorizer: %v, want the template's rule", err)
	}
}
