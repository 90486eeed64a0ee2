package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/testkit/capture"
	"github.com/jwtgate/jwtgate/shared/testkit/provision"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

// exampleTemplate is what a team does with docs/your-own-functions.md: a
// copy of template.yaml, outside the repository, with the examples'
// resources pasted in (and any extra snippets), CodeUri pointing at the
// code.
func exampleTemplate(t *testing.T, extra ...string) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append([]string{filepath.Join(root, "examples", "template-snippet.yaml")}, extra...) {
		snippet, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := strings.ReplaceAll(string(snippet), "CodeUri: examples/", "CodeUri: "+filepath.Join(root, "examples")+"/")
		s = strings.ReplaceAll(s, "CodeUri: .\n", "CodeUri: "+root+"\n")
		if src, err = samtemplate.WithResources(src, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startDev runs `jwtgate dev --template path [args]` on a free port until
// the test ends, and returns its base URL and banner.
func startDev(t *testing.T, path string, args ...string) (base, banner string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr capture.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"dev", "--template", path, "--addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("jwtgate dev exited %d\n%s", code, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Errorf("jwtgate dev did not stop")
		}
	})
	addr := regexp.MustCompile(`jwtgate dev: (http://127\.0\.0\.1:[0-9]+)`)
	deadline := time.Now().Add(5 * time.Minute) // the Go example is built first
	for time.Now().Before(deadline) {
		out := stdout.String()
		if m := addr.FindStringSubmatch(out); m != nil && strings.Contains(out, "function RefreshFunction") {
			return m[1], out
		}
		select {
		case code := <-done:
			t.Fatalf("jwtgate dev exited %d before serving\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("jwtgate dev did not start\nstdout: %s\nstderr: %s", stdout.String(), stderr.String())
	return "", ""
}

// needEmulator installs aws-lambda-rie, which runs the examples, as `make
// test` does when it is missing (make tools-rie), and fails the test (never
// skips it) when it cannot.
func needEmulator(t *testing.T) {
	t.Helper()
	root, err := rie.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	find := func() error { _, err := rie.Find(root); return err }
	if err := provision.Ensure(ctx, root, provision.Tool{Target: "tools-rie", Check: find}); err != nil {
		t.Fatalf("the examples run under the Lambda emulator: %v", err)
	}
}

// client is a browser-like client: a cookie jar, logged in as user.
func client(t *testing.T, base, user, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	body := `{"username":"` + user + `","password":"` + password + `"}`
	resp, err := c.Post(base+"/login", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login %s: %d", user, resp.StatusCode)
	}
	return c
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestExamplesThroughDev calls the Go and Python examples through `jwtgate
// dev` behind the real authorizer: the identity they report is the
// caller's, the role rule gives 403 with flask's shape, and requests the
// authorizer refuses never reach them.
func TestExamplesThroughDev(t *testing.T) {
	needEmulator(t)
	t.Setenv("JWTGATE_ROLE_RULES", "GET /admin*=admin;GET /reports*=admin")
	base, banner := startDev(t, exampleTemplate(t))
	for _, want := range []string{
		"function HelloGoFunction      provided.al2023, built with make build-HelloGoFunction, under the Lambda emulator",
		"function HelloPyFunction      python3.12, handler app.handler in ",
		"function LoginFunction        Go, in process",
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner does not say %q:\n%s", want, banner)
		}
	}
	user := client(t, base, "testuser", "testpass")
	admin := client(t, base, "admin", "adminpass")
	anonymous := &http.Client{Timeout: 30 * time.Second}
	tests := []struct {
		name       string
		c          *http.Client
		path       string
		wantStatus int
		wantBody   string // exact, or, for the Go example, its fields
	}{
		{"python: the caller", user, "/hello/py", 200, `{"hello":"testuser","roles":["user"],"fresh":true,"function":"HelloPyFunction"}`},
		{"python: role rule refused at the gateway", user, "/reports", 401, `{"msg":"Forbidden: requires role admin"}`},
		{"python: role rule allows admin", admin, "/reports", 200, `{"hello":"admin","roles":["admin","user"],"fresh":true,"function":"HelloPyFunction"}`},
		{"python: no cookie", anonymous, "/hello/py", 401, `{"msg":"Missing cookie \"access_token_cookie\""}`},
		{"go: the caller", user, "/hello/go", 200, `{"fresh":true,"hello":"testuser","roles":["user"]}`},
		{"go: no cookie", anonymous, "/hello/go", 401, `{"msg":"Missing cookie \"access_token_cookie\""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, tt.c, base+tt.path)
			if strings.HasPrefix(tt.name, "go: the caller") {
				var got map[string]any
				if err := json.Unmarshal([]byte(body), &got); err != nil || got["sid"] == "" {
					t.Fatalf("%d %s: want JSON with a sid", status, body)
				}
				delete(got, "sid")
				b, _ := json.Marshal(got)
				body = string(b)
			}
			if status != tt.wantStatus || body != tt.wantBody {
				t.Errorf("GET %s = %d %s, want %d %s", tt.path, status, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	t.Run("revoked session never reaches the functions", func(t *testing.T) {
		c := client(t, base, "testuser", "testpass")
		u, _ := http.NewRequest(http.MethodPost, base+"/logout", nil)
		var csrf string
		for _, ck := range c.Jar.Cookies(u.URL) {
			if ck.Name == "csrf_access_token" {
				csrf = ck.Value
			}
		}
		// Keep the access cookie: logout clears it in the jar.
		cookies := c.Jar.Cookies(u.URL)
		u.Header.Set("X-CSRF-TOKEN", csrf)
		resp, err := c.Do(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("logout: %d", resp.StatusCode)
		}
		for _, path := range []string{"/hello/py", "/hello/go"} {
			req, _ := http.NewRequest(http.MethodGet, base+path, nil)
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			resp, err := anonymous.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 401 || string(b) != `{"msg":"Token has been revoked"}` {
				t.Errorf("GET %s with the logged-out cookie = %d %s, want 401 Token has been revoked", path, resp.StatusCode, b)
			}
		}
	})
}

// TestExamplesRoleDenialInFunction: with RoleDenial=function the request
// failing a role rule reaches the function, which answers 403 itself from
// the authorizer's forbidden value (the Python example's check).
func TestExamplesRoleDenialInFunction(t *testing.T) {
	needEmulator(t)
	t.Setenv("JWTGATE_ROLE_RULES", "GET /admin*=admin;GET /reports*=admin")
	t.Setenv("JWTGATE_ROLE_DENIAL", "function")
	base, _ := startDev(t, exampleTemplate(t))
	status, body := get(t, client(t, base, "testuser", "testpass"), base+"/reports")
	if status != http.StatusForbidden || body != `{"msg":"Forbidden: requires role admin"}` {
		t.Errorf("GET /reports = %d %s, want the function's 403", status, body)
	}
	status, body = get(t, client(t, base, "admin", "adminpass"), base+"/reports")
	if status != http.StatusOK || !strings.Contains(body, `"hello":"admin"`) {
		t.Errorf("GET /reports as admin = %d %s", status, body)
	}
}

// TestUnrunnableFunctionNamed: a function jwtgate dev cannot run is named
// at start with the reason, and its route answers API Gateway's 502.
func TestUnrunnableFunctionNamed(t *testing.T) {
	needEmulator(t)
	base, banner := startDev(t, exampleTemplate(t, "testdata/unrunnable-snippet.yaml"))
	want := "function ReportJavaFunction   CANNOT RUN (its routes answer 502): rie: cannot run locally: runtime java21:"
	if !strings.Contains(banner, want) {
		t.Errorf("banner does not say %q:\n%s", want, banner)
	}
	status, body := get(t, client(t, base, "testuser", "testpass"), base+"/reports/java")
	if status != http.StatusBadGateway || body != `{"message":"Internal server error"}` {
		t.Errorf("GET /reports/java = %d %s, want 502 Internal server error", status, body)
	}
}

// TestDevBanner: the banner says what a developer must know, in words
// that match the settings.
func TestDevBanner(t *testing.T) {
	soon := time.Now().Add(time.Hour).Truncate(time.Second).In(time.FixedZone("", 3600))
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"defaults", nil, []string{
			"signing secret: random per process",
			"cookies: not Secure, for plain http (dev mode only; deployed functions default to Secure)",
		}},
		{"short key, Secure on", map[string]string{"JWT_SECRET_KEY": "short", "JWT_COOKIE_SECURE": "true"}, []string{
			"warning: JWT_SECRET_KEY is accepted in dev mode only: deployed functions refuse it (secret shorter than 32 bytes)",
			"cookies: Secure (JWT_COOKIE_SECURE=true): browsers send them over https, or to http://localhost only",
		}},
		{"migration window open", map[string]string{"JWTGATE_LEGACY_TOKENS_UNTIL": soon.Format(time.RFC3339), "JWTGATE_LEGACY_HASH_COST": "pbkdf2:sha256:260000"}, []string{
			"migration: flask-jwt-extended's tokens (no sid) accepted until " + soon.UTC().Format(time.RFC3339) + " (JWTGATE_LEGACY_TOKENS_UNTIL)",
			"migration: every login also does one pbkdf2:sha256:260000 verification, real or dummy (JWTGATE_LEGACY_HASH_COST)",
		}},
		{"migration window closed", map[string]string{"JWTGATE_LEGACY_TOKENS_UNTIL": "2020-01-02T03:04:05+01:00"}, []string{
			"migration: the window closed at 2020-01-02T02:04:05Z: flask-jwt-extended's tokens get 401 (JWTGATE_LEGACY_TOKENS_UNTIL)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, banner := startDev(t, exampleTemplate(t))
			for _, w := range tt.want {
				if !strings.Contains(banner, w) {
					t.Errorf("banner does not say %q:\n%s", w, banner)
				}
			}
		})
	}
}
