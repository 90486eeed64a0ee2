package webapp_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/tooling/webapp"
)

func TestHandlerFiles(t *testing.T) {
	tests := []struct {
		path, contentType, contains string
	}{
		{"/", "text/html; charset=utf-8", `<form id="login-form"`},
		{"/index.html", "text/html; charset=utf-8", `<script type="module" src="/app.js">`},
		{"/app.css", "text/css; charset=utf-8", "[hidden]"},
		{"/app.js", "text/javascript; charset=utf-8", `from "./jwtgate-client.js"`},
		{"/jwtgate-client.js", "text/javascript; charset=utf-8", "export function createClient"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			webapp.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			h := rec.Result().Header
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if got := h.Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if got := h.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control = %q, want no-cache", got)
			}
			if got := h.Get("Content-Security-Policy"); got != webapp.ContentSecurityPolicy {
				t.Errorf("Content-Security-Policy = %q", got)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("body does not contain %q", tt.contains)
			}
		})
	}
}

// TestHandlerCSPStrict: the policy must not allow inline or eval'd script,
// and the page must not need it.
func TestHandlerCSPStrict(t *testing.T) {
	csp := webapp.ContentSecurityPolicy
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*", "data:"} {
		if strings.Contains(csp, bad) {
			t.Errorf("CSP %q allows %q", csp, bad)
		}
	}
	rec := httptest.NewRecorder()
	webapp.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	page := rec.Body.String()
	for _, bad := range []string{"<script>", " onclick=", " onsubmit=", "<style", " style=", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("index.html contains %q (inline code or a remote resource)", bad)
		}
	}
}

// TestHandlerOtherRequests: anything but the app's files gets API
// Gateway's answer for a missing route, so the API is unchanged.
func TestHandlerOtherRequests(t *testing.T) {
	tests := []struct{ method, path string }{
		{http.MethodPost, "/"},
		{http.MethodPost, "/nope"},
		{http.MethodDelete, "/login"},
		{http.MethodOptions, "/protected"},
		{http.MethodPut, "/app.js"},
		{http.MethodGet, "/nope"},
		{http.MethodGet, "/refresh"},
		{http.MethodGet, "/static/app.js"},
		{http.MethodGet, "/../webapp.go"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			webapp.Handler().ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != http.StatusForbidden || rec.Body.String() != `{"message":"Missing Authentication Token"}` {
				t.Errorf("got %d %s, want 403 Missing Authentication Token", rec.Code, rec.Body)
			}
			if got := rec.Result().Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q", got)
			}
		})
	}
}

func TestHandlerHead(t *testing.T) {
	rec := httptest.NewRecorder()
	webapp.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Result().Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("HEAD /: %d, %d bytes, %q", rec.Code, rec.Body.Len(), rec.Result().Header.Get("Content-Type"))
	}
}
