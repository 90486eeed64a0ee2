package devserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
)

// TestHostPrefixCookies (issue 12 item 13): with __Host- cookie names the
// session works end to end, and every cookie is set as browsers require of
// the prefix (Secure, Path=/, no Domain), so no sibling subdomain can plant
// or shadow it. A configuration breaking the prefix does not start.
func TestHostPrefixCookies(t *testing.T) {
	names := map[string]string{
		"JWT_ACCESS_COOKIE_NAME": "__Host-access_token_cookie", "JWT_REFRESH_COOKIE_NAME": "__Host-refresh_token_cookie",
		"JWT_ACCESS_CSRF_COOKIE_NAME": "__Host-csrf_access_token", "JWT_REFRESH_CSRF_COOKIE_NAME": "__Host-csrf_refresh_token",
	}
	env := map[string]string{"JWT_COOKIE_SECURE": "true"}
	for k, v := range names {
		env[k] = v
	}
	h := newHarness(t, env)
	res := h.raw("POST", "/login", `{"username":"testuser","password":"testpass"}`, jsonCT)
	expect(t, "login", res, 200, `{"login":true}`)
	jar := map[string]string{}
	for _, line := range res.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(c.Name, "__Host-") || !c.Secure || c.Path != "/" || c.Domain != "" {
			t.Errorf("Set-Cookie %q breaks the __Host- prefix rules", line)
		}
		jar[c.Name] = c.Value
	}
	if len(jar) != 4 {
		t.Fatalf("cookies %v, want the four __Host- cookies", jar)
	}
	access := "__Host-access_token_cookie=" + jar["__Host-access_token_cookie"]
	expect(t, "protected", h.raw("GET", "/protected", "", cookieHeader(access)), 200, `{"logged_in_as":"testuser"}`)
	expect(t, "the unprefixed name is another cookie", h.raw("GET", "/protected", "", cookieHeader("access_token_cookie="+jar["__Host-access_token_cookie"])),
		401, msg(`Missing cookie "__Host-access_token_cookie"`))
	expect(t, "refresh", h.raw("POST", "/refresh", "", map[string]string{
		"Cookie": "__Host-refresh_token_cookie=" + jar["__Host-refresh_token_cookie"], "X-CSRF-TOKEN": jar["__Host-csrf_refresh_token"]}), 200, `{"refresh":true}`)

	for _, bad := range []map[string]string{
		{"JWT_COOKIE_DOMAIN": "example.com"},
		{"JWT_COOKIE_SECURE": "false"},
		{"JWT_ACCESS_COOKIE_PATH": "/api"},
	} {
		vars := map[string]string{"JWT_SECRET_KEY": testSecret}
		for k, v := range env {
			vars[k] = v
		}
		for k, v := range bad {
			vars[k] = v
		}
		_, err := devserver.New(context.Background(), devserver.Options{Template: []byte(jwtgate.Template),
			Getenv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
		if err == nil || !strings.Contains(err.Error(), "__Host-") {
			t.Errorf("jwtgate dev with %v = %v, want refused naming the __Host- rule", bad, err)
		}
	}
}
