package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDevReadsTemplateLiterals: a setting with no parameter, written into
// the template's Globals as docs/configuration.md says, configures `jwtgate
// dev` as it configures the deployed functions; the process environment
// still overrides it, as sam local's --env-vars do.
func TestDevReadsTemplateLiterals(t *testing.T) {
	src, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const anchor = "        JWT_IDENTITY_CLAIM: !Ref IdentityClaim\n"
	if !strings.Contains(string(src), anchor) {
		t.Fatal("template.yaml: the Globals anchor moved")
	}
	edited := strings.Replace(string(src), anchor, anchor+
		"        JWT_REFRESH_COOKIE_PATH: /api/refresh\n        JWT_ACCESS_CSRF_COOKIE_NAME: xsrf_access\n", 1)
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		env      map[string]string
		wantPath string
	}{
		{"template value", nil, "/api/refresh"},
		{"environment overrides it", map[string]string{"JWT_REFRESH_COOKIE_PATH": "/auth"}, "/auth"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			base, _ := startDev(t, path)
			resp, err := http.Post(base+"/login", "application/json", strings.NewReader(`{"username":"testuser","password":"testpass"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := map[string]string{}
			for _, c := range resp.Cookies() {
				got[c.Name] = c.Path
			}
			if resp.StatusCode != http.StatusOK || got["refresh_token_cookie"] != tt.wantPath || got["xsrf_access"] != "/" {
				t.Fatalf("login: %d, cookie paths %v; want refresh_token_cookie at %s and xsrf_access written", resp.StatusCode, got, tt.wantPath)
			}
		})
	}
}
