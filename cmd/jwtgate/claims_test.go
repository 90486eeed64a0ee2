package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
)

// TestUserClaimsEndToEnd is a user's own claim on the real path: set with
// the admin CLI on DynamoDB Local, written into the tokens at login,
// passed on by the authorizer (JWTGATE_USER_CLAIMS) and read by the Go
// example with identity.Claim and the Python one from the context, under
// the Lambda emulator through `jwtgate dev`; a change is seen at the next
// refresh. The same run has JWT_ERROR_MESSAGE_KEY set: the gateway's
// answers use it.
func TestUserClaimsEndToEnd(t *testing.T) {
	needEmulator(t)
	db := dynamolocal.Start(t)
	suffix := dynamolocal.RandomName()
	t.Setenv("USERS_TABLE", "users-"+suffix)
	t.Setenv("REVOCATION_TABLE", "rev-"+suffix)
	t.Setenv("JWTGATE_USER_CLAIMS", "tenant")
	t.Setenv("JWT_ERROR_MESSAGE_KEY", "error")
	base, banner := startDev(t, exampleTemplate(t), "--dynamodb-endpoint", db.URL)
	if !strings.Contains(banner, "DynamoDB at "+db.URL) {
		t.Fatalf("banner does not serve DynamoDB Local:\n%s", banner)
	}
	setClaims := func(args ...string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(context.Background(), append([]string{"user", "claims", "testuser", "--endpoint", db.URL}, args...), &out, &errOut); code != 0 {
			t.Fatalf("jwtgate user claims %v: exit %d: %s", args, code, errOut.String())
		}
	}
	// The seeded demo user has tenant=acme; the admin CLI changes it.
	setClaims("--set", "tenant=globex", "--set", "plan=pro")

	c := client(t, base, "testuser", "testpass")
	u, _ := url.Parse(base)
	jar := map[string]string{}
	for _, ck := range c.Jar.Cookies(u) {
		jar[ck.Name] = ck.Value
	}
	payload := tokenPayload(t, jar["access_token_cookie"])
	if payload["tenant"] != "globex" || payload["plan"] != "pro" || payload["sub"] != "testuser" {
		t.Fatalf("access token claims %v, want tenant globex and plan pro", payload)
	}
	wantTenant := func(tenant string) {
		t.Helper()
		for _, path := range []string{"/hello/go", "/hello/py"} {
			status, body := get(t, c, base+path)
			var got map[string]any
			if err := json.Unmarshal([]byte(body), &got); status != 200 || err != nil || got["tenant"] != tenant || got["hello"] != "testuser" {
				t.Errorf("GET %s = %d %s, want testuser with tenant %q", path, status, body, tenant)
			}
			if _, leaked := got["plan"]; leaked {
				t.Errorf("GET %s passed on plan, which JWTGATE_USER_CLAIMS does not name: %s", path, body)
			}
		}
	}
	wantTenant("globex")

	// Stored claims change: the live access token keeps the old value, the
	// next refresh (which re-reads the user) carries the new one.
	setClaims("--set", "tenant=initech")
	wantTenant("globex")
	req, _ := http.NewRequest(http.MethodPost, base+"/refresh", nil)
	req.Header.Set("X-CSRF-TOKEN", jar["csrf_refresh_token"])
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("refresh: %d", resp.StatusCode)
	}
	wantTenant("initech")

	anonymous := &http.Client{}
	if status, body := get(t, anonymous, base+"/hello/go"); status != 401 || body != `{"error":"Missing cookie \"access_token_cookie\""}` {
		t.Errorf("GET /hello/go without a cookie = %d %s, want the gateway's 401 under the key \"error\"", status, body)
	}
	other := &http.Client{}
	req, _ = http.NewRequest(http.MethodGet, base+"/hello/go", nil)
	req.Header.Set("Cookie", "access_token_cookie=garbage")
	resp, err = other.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var denied map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&denied)
	resp.Body.Close()
	if resp.StatusCode != 401 || len(denied) != 1 || denied["error"] != "Not enough segments" {
		t.Errorf("a garbage token = %d %v, want the authorizer's denial under the key \"error\"", resp.StatusCode, denied)
	}
}

// tokenPayload decodes a JWT's claims without verifying them.
func tokenPayload(t *testing.T, tok string) map[string]any {
	t.Helper()
	m := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, m); err != nil {
		t.Fatalf("not a JWT: %q: %v", tok, err)
	}
	return m
}
