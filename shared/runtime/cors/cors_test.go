package cors_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/cors"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		value   *string
		want    []string
		wantErr error
	}{
		{name: "unset", value: nil, want: nil},
		{name: "empty", value: new(""), want: nil},
		{name: "one", value: new("https://app.example.com"), want: []string{"https://app.example.com"}},
		{name: "normalized", value: new(" HTTPS://App.Example.COM:443/ , http://localhost:5173,https://app.example.com"),
			want: []string{"https://app.example.com", "http://localhost:5173"}},
		{name: "ipv6", value: new("http://[::1]:8080"), want: []string{"http://[::1]:8080"}},
		{name: "star", value: new("*"), wantErr: cors.ErrWildcard},
		{name: "star among others", value: new("https://a.example,*"), wantErr: cors.ErrWildcard},
		{name: "wildcard subdomain", value: new("https://*.example.com"), wantErr: cors.ErrWildcard},
		{name: "null", value: new("null"), wantErr: cors.ErrOrigin},
		{name: "path", value: new("https://app.example.com/app"), wantErr: cors.ErrOrigin},
		{name: "query", value: new("https://app.example.com?x=1"), wantErr: cors.ErrOrigin},
		{name: "userinfo", value: new("https://user@app.example.com"), wantErr: cors.ErrOrigin},
		{name: "no scheme", value: new("app.example.com"), wantErr: cors.ErrOrigin},
		{name: "ftp", value: new("ftp://app.example.com"), wantErr: cors.ErrOrigin},
		{name: "bad port", value: new("https://app.example.com:99999"), wantErr: cors.ErrOrigin},
		// Issue 12 item 14: credentialed answers only to origins a network
		// attacker cannot inject a page into.
		{name: "http remote", value: new("http://app.example.com"), wantErr: cors.ErrInsecureOrigin},
		{name: "http remote among https", value: new("https://app.example.com,http://app.example.com:8080"), wantErr: cors.ErrInsecureOrigin},
		{name: "http private address", value: new("http://192.168.1.10:5173"), wantErr: cors.ErrInsecureOrigin},
		{name: "http localhost look-alike", value: new("http://localhost.example.com"), wantErr: cors.ErrInsecureOrigin},
		{name: "http 127.0.0.1", value: new("http://127.0.0.1:5173"), want: []string{"http://127.0.0.1:5173"}},
		{name: "http 127.x loopback", value: new("http://127.0.0.2:8080"), want: []string{"http://127.0.0.2:8080"}},
		{name: "http localhost subdomain", value: new("http://app.localhost:5173"), want: []string{"http://app.localhost:5173"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]string{}
			if tt.value != nil {
				m[cors.EnvOrigins] = *tt.value
			}
			got, err := cors.FromEnv(env(m))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("FromEnv(%q) error = %v, want %v", *tt.value, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), cors.EnvOrigins) {
					t.Errorf("error %q does not name %s", err, cors.EnvOrigins)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			if !slices.Equal(got.Origins, tt.want) {
				t.Errorf("Origins = %q, want %q", got.Origins, tt.want)
			}
		})
	}
}

func TestMiddleware(t *testing.T) {
	const app = "https://app.example.com"
	opts := cors.Options{Origins: []string{app}}
	tests := []struct {
		name        string
		opts        cors.Options
		method      string
		origin      string
		preflight   bool
		wantStatus  int
		wantNext    bool
		wantACAO    string
		wantVary    bool
		wantMethods bool
	}{
		{name: "allowed GET", opts: opts, method: "GET", origin: app,
			wantStatus: 200, wantNext: true, wantACAO: app, wantVary: true},
		{name: "allowed POST", opts: opts, method: "POST", origin: app,
			wantStatus: 200, wantNext: true, wantACAO: app, wantVary: true},
		{name: "allowed preflight", opts: opts, method: "OPTIONS", origin: app, preflight: true,
			wantStatus: 204, wantACAO: app, wantVary: true, wantMethods: true},
		{name: "other origin GET is served without CORS headers", opts: opts, method: "GET", origin: "https://evil.test",
			wantStatus: 200, wantNext: true, wantVary: true},
		{name: "look-alike origin", opts: opts, method: "GET", origin: app + ".evil.test",
			wantStatus: 200, wantNext: true, wantVary: true},
		{name: "other origin preflight refused", opts: opts, method: "OPTIONS", origin: "https://evil.test", preflight: true,
			wantStatus: 403, wantVary: true},
		{name: "null origin preflight refused", opts: opts, method: "OPTIONS", origin: "null", preflight: true,
			wantStatus: 403, wantVary: true},
		{name: "same-origin request", opts: opts, method: "POST",
			wantStatus: 200, wantNext: true, wantVary: true},
		{name: "OPTIONS without preflight header goes through", opts: opts, method: "OPTIONS", origin: app,
			wantStatus: 200, wantNext: true, wantACAO: app, wantVary: true},
		{name: "disabled passes through", opts: cors.Options{}, method: "OPTIONS", origin: app, preflight: true,
			wantStatus: 200, wantNext: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				w.WriteHeader(http.StatusOK)
			})
			req := httptest.NewRequest(tt.method, "/protected", nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.preflight {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "content-type,x-csrf-token")
			}
			rec := httptest.NewRecorder()
			cors.Middleware(tt.opts, next).ServeHTTP(rec, req)
			h := rec.Result().Header
			if rec.Code != tt.wantStatus || called != tt.wantNext {
				t.Fatalf("status %d next %v, want %d next %v (body %s)", rec.Code, called, tt.wantStatus, tt.wantNext, rec.Body)
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.wantACAO {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tt.wantACAO)
			}
			wantCreds := ""
			if tt.wantACAO != "" {
				wantCreds = "true"
			}
			if got := h.Get("Access-Control-Allow-Credentials"); got != wantCreds {
				t.Errorf("Access-Control-Allow-Credentials = %q, want %q", got, wantCreds)
			}
			if got := slices.Contains(h.Values("Vary"), "Origin"); got != tt.wantVary {
				t.Errorf("Vary = %q, want Origin listed: %v", h.Values("Vary"), tt.wantVary)
			}
			if tt.wantMethods {
				if got := h.Get("Access-Control-Allow-Headers"); got != "Content-Type, X-CSRF-TOKEN" {
					t.Errorf("Access-Control-Allow-Headers = %q", got)
				}
				if got := h.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "POST") {
					t.Errorf("Access-Control-Allow-Methods = %q", got)
				}
				if h.Get("Access-Control-Max-Age") != "600" {
					t.Errorf("Access-Control-Max-Age = %q, want 600", h.Get("Access-Control-Max-Age"))
				}
			}
			if tt.wantStatus == 403 && !strings.Contains(rec.Body.String(), `"msg":"CORS origin not allowed"`) {
				t.Errorf("body = %s", rec.Body)
			}
		})
	}
}

// TestMiddlewareTwice: the function and the dev gateway may both wrap; each
// header must still appear once.
func TestMiddlewareTwice(t *testing.T) {
	const app = "https://app.example.com"
	opts := cors.Options{Origins: []string{app}}
	h := cors.Middleware(opts, cors.Middleware(opts, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	req := httptest.NewRequest("GET", "/protected", nil)
	req.Header.Set("Origin", app)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, k := range []string{"Vary", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials"} {
		if n := len(rec.Result().Header.Values(k)); n != 1 {
			t.Errorf("%s sent %d times: %q", k, n, rec.Result().Header.Values(k))
		}
	}
}
