package webapp_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/testkit/capture"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
)

// The cross-origin and axios tests run `jwtgate dev` the way a user starts
// it: the command's own binary, configured only through its environment,
// with nothing of the test's in front of it but (for https) a TLS
// terminator. Whatever CORS and identity-source behaviour they see is what
// the command does.

// devBuild is the test process's one build of ./cmd/jwtgate, made when a
// test first needs it, into a directory TestMain removes.
var devBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
	out  []byte
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jwtgate-dev-bin-")
	if err != nil {
		panic(err)
	}
	devBuild.dir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// devBinary builds ./cmd/jwtgate once per test process.
func devBinary(t *testing.T) string {
	t.Helper()
	devBuild.once.Do(func() {
		root, err := rie.RepoRoot(".")
		if err != nil {
			devBuild.err = err
			return
		}
		devBuild.path = filepath.Join(devBuild.dir, "jwtgate")
		cmd := exec.Command("go", "build", "-o", devBuild.path, "./cmd/jwtgate")
		cmd.Dir = root
		devBuild.out, devBuild.err = cmd.CombinedOutput()
	})
	if devBuild.err != nil {
		t.Fatalf("go build ./cmd/jwtgate: %v\n%s", devBuild.err, devBuild.out)
	}
	return devBuild.path
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
	// stop ends the process (SIGINT) and waits for it; the test's cleanup
	// calls it too.
	stop func()
}

// Stop ends the process, as Ctrl-C does, before the test ends (a restart
// with other settings).
func (d *devProcess) Stop() { d.stop() }

func (d *devProcess) log() []seen {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]seen(nil), d.requests...)
}

var listening = regexp.MustCompile(`^jwtgate dev: (http://\S+) `)

// startDev runs `jwtgate dev --addr 127.0.0.1:0` (then flags, e.g.
// --dynamodb-endpoint) with env as the only JWT_*/JWTGATE_* settings,
// waits for its address line and stops it (SIGINT, as Ctrl-C does) when
// the test ends. With useTLS an https reverse proxy (httptest's
// certificate) stands in front, as API Gateway's https endpoint does; it
// records each request it passes on.
func startDev(t *testing.T, env map[string]string, useTLS bool, flags ...string) *devProcess {
	t.Helper()
	bin := devBinary(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, append([]string{"dev", "--addr", "127.0.0.1:0"}, flags...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "JWT_") && !strings.HasPrefix(k, "JWTGATE_") && k != "LOG_LEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr capture.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start jwtgate dev: %v", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("jwtgate dev stderr:\n%s", stderr.String())
			}
		})
	}
	t.Cleanup(stop)
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
		}
		if !sent {
			close(addr)
		}
	}()
	var base string
	select {
	case u, ok := <-addr:
		if !ok {
			t.Fatalf("jwtgate dev exited before listening:\n%s", stderr.String())
		}
		base = u
	case <-time.After(30 * time.Second):
		t.Fatalf("jwtgate dev did not print its address within 30 s:\n%s", stderr.String())
	}
	d := &devProcess{URL: base, stop: stop}
	if !useTLS {
		return d
	}
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		proxy.ServeHTTP(rec, r)
		_, cookieErr := r.Cookie("access_token_cookie")
		d.mu.Lock()
		d.requests = append(d.requests, seen{Method: r.Method, Path: r.URL.Path, Origin: r.Header.Get("Origin"),
			Cookie: cookieErr == nil, CSRF: r.Header.Get("X-CSRF-TOKEN") != "", Status: rec.status})
		d.mu.Unlock()
	}))
	ts.StartTLS()
	t.Cleanup(ts.Close)
	d.URL = ts.URL
	return d
}
