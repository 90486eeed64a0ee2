package webapp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jwtgate/jwtgate/shared/testkit/servers"
)

// The cross-origin and axios tests run `jwtgate dev` the way a user starts
// it: the command's own binary, configured only through its environment,
// with nothing of the test's in front of it but (for https) a TLS
// terminator. Whatever CORS and identity-source behaviour they see is what
// the command does.

// jwtgateBuild is the test process's one build of ./cmd/jwtgate, made
// when a test first needs it; TestMain removes it.
var jwtgateBuild *servers.Builder

func TestMain(m *testing.M) {
	jwtgateBuild = &servers.Builder{}
	code := m.Run()
	_ = jwtgateBuild.Close()
	os.Exit(code)
}

// devBinary builds ./cmd/jwtgate once per test process.
func devBinary(t *testing.T) string {
	t.Helper()
	bin, err := jwtgateBuild.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// devProcess is a running `jwtgate dev`.
type devProcess struct {
	// URL is where the browser reaches it: the command's own address, or
	// the TLS terminator's.
	URL string
	mu  sync.Mutex
	// requests are the requests the TLS terminator passed on (none
	// without TLS).
	requests []seen
	proc     *servers.Process
}

// Stop ends the process, as Ctrl-C does, before the test ends (a restart
// with other settings).
func (d *devProcess) Stop() { d.proc.Stop() }

func (d *devProcess) log() []seen {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]seen(nil), d.requests...)
}

// startDev runs `jwtgate dev --addr 127.0.0.1:0` (then flags, e.g.
// --dynamodb-endpoint) with env as its only settings (servers.Env) and
// stops it (SIGINT, as Ctrl-C does) when the test ends. With useTLS an
// https reverse proxy (httptest's certificate) stands in front, as API
// Gateway's https endpoint does; it records each request it passes on.
func startDev(t *testing.T, env map[string]string, useTLS bool, flags ...string) *devProcess {
	t.Helper()
	p := servers.StartJWTGate(t, devBinary(t), env, flags...)
	d := &devProcess{URL: p.URL, proc: p}
	if !useTLS {
		return d
	}
	target, err := url.Parse(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(rec, r)
		d.mu.Lock()
		d.requests = append(d.requests, seenOf(r, rec.status))
		d.mu.Unlock()
	}))
	ts.StartTLS()
	t.Cleanup(ts.Close)
	d.URL = ts.URL
	return d
}
