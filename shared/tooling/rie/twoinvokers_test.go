package rie_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	jwtgate "github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
)

// exchange is what the seed flow compares: status, body, and each
// Set-Cookie with its value blanked (token values differ by nature).
type exchange struct {
	step    string
	status  int
	body    string
	cookies []string
}

// TestOneGatewayTwoInvokers runs the seed app's flow through the same dev
// gateway twice, once with the handlers in-process and once with the built
// bootstraps under the emulator, on the same DynamoDB Local tables and
// secret, and requires identical answers.
func TestOneGatewayTwoInvokers(t *testing.T) {
	rev, us, stores := tables(t)
	env := rie.LocalEnv(db.URL, rev, us, testSecret)
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	serve := func(t *testing.T, inv gateway.Invoker) []exchange {
		srv, err := devserver.New(context.Background(), devserver.Options{
			Template: []byte(jwtgate.Template), Getenv: getenv, Stores: stores, Invoker: inv,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Gateway)
		defer ts.Close()
		return seedFlow(t, ts.URL)
	}
	inProcess := serve(t, nil)
	emulated := serve(t, newPool(t, rev, us, nil))
	if len(inProcess) != len(emulated) {
		t.Fatalf("%d steps in-process, %d under the emulator", len(inProcess), len(emulated))
	}
	for i := range inProcess {
		a, b := inProcess[i], emulated[i]
		if a.status != b.status || a.body != b.body || !slices.Equal(a.cookies, b.cookies) {
			t.Errorf("%s:\n in-process: %d %s %q\n emulator:   %d %s %q", a.step, a.status, a.body, a.cookies, b.status, b.body, b.cookies)
		}
	}
	// The flow itself must be the seed app's, or equality proves nothing.
	want := map[string]int{"login": 200, "protected": 200, "admin as user": 401, "refresh": 200,
		"protected after refresh": 200, "logout": 200, "replay access after logout": 401,
		"replay refresh after logout": 401, "no cookie": 401}
	for _, e := range inProcess {
		if e.status != want[e.step] {
			t.Errorf("%s: %d %s, want %d", e.step, e.status, e.body, want[e.step])
		}
	}
}

// seedFlow is the demo: login, protected, admin refused (401), refresh, logout and
// replays of the old tokens.
func seedFlow(t *testing.T, base string) []exchange {
	t.Helper()
	jar := map[string]string{}
	var out []exchange
	do := func(step, method, path, body string, cookies map[string]string, csrf string) {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for _, name := range []string{"access_token_cookie", "csrf_access_token", "refresh_token_cookie", "csrf_refresh_token"} {
			if v := cookies[name]; v != "" {
				req.AddCookie(&http.Cookie{Name: name, Value: v})
			}
		}
		if csrf != "" {
			req.Header.Set("X-CSRF-TOKEN", csrf)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		e := exchange{step: step, status: resp.StatusCode, body: string(b)}
		for _, c := range resp.Cookies() {
			if c.Value != "" {
				jar[c.Name] = c.Value
			} else {
				delete(jar, c.Name)
			}
			c.Value = "<value>"
			e.cookies = append(e.cookies, c.String())
		}
		slices.Sort(e.cookies)
		out = append(out, e)
	}
	snapshot := func() map[string]string {
		m := map[string]string{}
		for k, v := range jar {
			m[k] = v
		}
		return m
	}
	do("login", "POST", "/login", `{"username":"testuser","password":"testpass"}`, nil, "")
	do("protected", "GET", "/protected", "", jar, "")
	do("admin as user", "GET", "/admin", "", jar, "")
	do("refresh", "POST", "/refresh", "", jar, jar["csrf_refresh_token"])
	do("protected after refresh", "GET", "/protected", "", jar, "")
	old := snapshot()
	do("logout", "POST", "/logout", "", jar, jar["csrf_access_token"])
	do("replay access after logout", "GET", "/protected", "", old, "")
	do("replay refresh after logout", "POST", "/refresh", "", old, old["csrf_refresh_token"])
	do("no cookie", "GET", "/protected", "", nil, "")
	return out
}
