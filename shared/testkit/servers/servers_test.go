package servers_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/testkit/servers"
)

// getEnv asks the server at url for the environment it runs with
// (testdata/envserver.py answers it as JSON).
func getEnv(t *testing.T, url string) map[string]string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env map[string]string
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return env
}

// TestStartPython: the app serves on the socket it inherited, with exactly
// the given environment (plus PATH, HOME, LANG and the bytecode switch),
// and Stop ends it: its port no longer answers.
func TestStartPython(t *testing.T) {
	t.Setenv("JWT_SECRET_KEY", "the runner's, not the server's")
	p, err := servers.LaunchPython(t.Context(), "testdata/envserver.py", map[string]string{"FLASK_ALGORITHM": "ES256"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Errorf("URL %q, want http://127.0.0.1:<port>", p.URL)
	}
	got := getEnv(t, p.URL)
	want := map[string]string{"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "LANG": "C.UTF-8",
		"PYTHONDONTWRITEBYTECODE": "1", "FLASK_ALGORITHM": "ES256"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q in the app, want %q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && k != "LC_CTYPE" { // Python sets LC_CTYPE from LANG
			t.Errorf("the app has %s=%q, which nobody gave it", k, got[k])
		}
	}
	p.Stop()
	if _, err := http.Get(p.URL); err == nil {
		t.Errorf("GET %s after Stop answered", p.URL)
	}
	if !strings.Contains(p.Logs(), "envserver: serving on 127.0.0.1:") {
		t.Errorf("logs lack the banner:\n%s", p.Logs())
	}
}

// TestLaunchPythonFailures: an app that exits before serving is ErrExited
// with its message last; one missing a library is also ErrNoModule, whose
// text names the make target.
func TestLaunchPythonFailures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		want     error
		wantText string
	}{
		{"exits", []string{"--fail", "configuration refused"}, servers.ErrExited, "configuration refused"},
		{"missing module", []string{"--import", "no_such_module_here"}, servers.ErrNoModule, "make tools-flask"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := servers.LaunchPython(t.Context(), "testdata/envserver.py", nil, tc.args...)
			if err == nil {
				p.Stop()
				t.Fatal("started, want an error")
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, servers.ErrExited) || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %v, want %v (and ErrExited) saying %q", err, tc.want, tc.wantText)
			}
		})
	}
}

// TestCheckPython: versions of modules Python has, ErrNoModule with the
// make target for one it lacks.
func TestCheckPython(t *testing.T) {
	got, err := servers.CheckPython(t.Context(), "json", "socket")
	if want := regexp.MustCompile(`^json [0-9.]+, socket \?$`); err != nil || !want.MatchString(got) {
		t.Errorf("CheckPython(json, socket) = %q, %v; want %s", got, err, want)
	}
	_, err = servers.CheckPython(t.Context(), "json", "no_such_module_here")
	if !errors.Is(err, servers.ErrNoModule) || !strings.Contains(err.Error(), "make tools-flask") || !strings.Contains(err.Error(), "no_such_module_here") {
		t.Errorf("CheckPython(no_such_module_here) = %v, want ErrNoModule naming it and make tools-flask", err)
	}
}

// TestStartJWTGate: one build serves every start; jwtgate dev answers at
// the address of its banner, sees none of the runner's JWT_* settings (the
// runner's JWT_TOKEN_LOCATION would make it refuse to start), and a
// configuration it refuses is ErrExited carrying its reason.
func TestStartJWTGate(t *testing.T) {
	var b servers.Builder
	defer b.Close()
	bin, err := b.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again, err := b.Build(context.Background()); again != bin || err != nil {
		t.Errorf("second Build = %q, %v; want %q, the first build", again, err, bin)
	}
	t.Setenv("JWT_TOKEN_LOCATION", "banana")
	p := servers.StartJWTGate(t, bin, map[string]string{"JWT_SECRET_KEY": "servers-test-only-key-0123456789abcdef"})
	res, err := http.Post(p.URL+"/login", "application/json", strings.NewReader(`{"username":"admin","password":"adminpass"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("POST %s/login: %d, want 200", p.URL, res.StatusCode)
	}
	_, err = servers.LaunchJWTGate(t.Context(), bin, map[string]string{"JWT_TOKEN_LOCATION": "banana"})
	if !errors.Is(err, servers.ErrExited) || !strings.Contains(err.Error(), `JWT_TOKEN_LOCATION="banana"`) {
		t.Errorf("JWT_TOKEN_LOCATION=banana: %v, want ErrExited naming it", err)
	}
}
