package fidelity_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/shared/testkit/capture"
)

// python is the interpreter that has Debian's flask-jwt-extended; a pyenv
// or virtualenv python3 earlier on PATH does not.
const python = "/usr/bin/python3"

// startTimeout bounds how long a server may take to say it listens.
const startTimeout = 30 * time.Second

// secretKey is the HMAC key both servers sign and verify with, so a token
// the harness crafts means the same to both. A test-only value.
const secretKey = "fidelity-oracle-test-only-key-0123456789"

// repoRoot is the module root, found from this package's directory.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("fidelity: go.mod not found above the test directory")
		}
		dir = parent
	}
}

// buildJWTGate builds cmd/jwtgate into dir, the binary a user runs.
func buildJWTGate(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "jwtgate")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/jwtgate")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("fidelity: go build ./cmd/jwtgate: %w\n%s", err, out)
	}
	return bin, nil
}

// checkFlask fails with the install hint when the reference library is missing.
func checkFlask(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, python, "-c",
		"import flask, flask_jwt_extended, jwt, werkzeug; print(flask.__version__, flask_jwt_extended.__version__, jwt.__version__, werkzeug.__version__)")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("fidelity: %s cannot import flask and flask_jwt_extended (run `make tools-flask`): %w\n%s", python, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// server is one running reference app or jwtgate dev.
type server struct {
	URL  string
	cmd  *exec.Cmd
	logs *capture.Buffer
	done chan struct{}
}

// Logs is the server's output so far, for failure messages.
func (s *server) Logs() string { return s.logs.String() }

// Stop ends the server (it started as a child of this test) and waits.
func (s *server) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
	}
	<-s.done
}

// childEnv is the environment a server starts with: nothing of the test
// runner's JWT_* or JWTGATE_* settings, only what the configuration says.
func childEnv(extra map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8",
		"JWT_SECRET_KEY=" + secretKey}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

// errStartup is a server that exited before listening (e.g. a configuration
// it refuses); its message is the server's output.
var errStartup = errors.New("server exited before listening")

// start runs cmd and waits for the line ready matches on its stdout.
func start(cmd *exec.Cmd, ready *regexp.Regexp) (*server, []string, error) {
	s := &server{cmd: cmd, logs: &capture.Buffer{}, done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Stderr = s.logs
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("fidelity: start %s: %w", cmd.Path, err)
	}
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var sent bool
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.logs, line)
			if m := ready.FindStringSubmatch(line); m != nil && !sent {
				found <- m
				sent = true
			}
		}
		_, _ = io.Copy(s.logs, stdout)
		_ = cmd.Wait()
		close(s.done)
	}()
	select {
	case m := <-found:
		return s, m, nil
	case <-s.done:
		return nil, nil, fmt.Errorf("%w: %s", errStartup, strings.TrimSpace(s.Logs()))
	case <-time.After(startTimeout):
		s.Stop()
		return nil, nil, fmt.Errorf("fidelity: %s not listening after %s:\n%s", cmd.Path, startTimeout, s.Logs())
	}
}

var jwtgateReady = regexp.MustCompile(`^jwtgate dev: (http://127\.0\.0\.1:\d+) `)

// startJWTGate runs `jwtgate dev` on a free loopback port with env.
func startJWTGate(bin string, env map[string]string) (*server, error) {
	cmd := exec.Command(bin, "dev", "--addr", "127.0.0.1:0")
	cmd.Env = childEnv(env)
	s, m, err := start(cmd, jwtgateReady)
	if err != nil {
		return nil, err
	}
	s.URL = m[1]
	return s, nil
}

var flaskReady = regexp.MustCompile(`^flaskref: serving on `)

// startFlask runs the reference app on a socket this test listens on, so
// no port can be taken between choosing and binding it.
func startFlask(root string, env map[string]string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(python, filepath.Join(root, "bench", "flaskref", "app.py"), "--fd", "3")
	// Password hashing is not under test: a cheap pbkdf2 starts the app in
	// a fraction of the default's time.
	cmd.Env = append(childEnv(env), "PYTHONDONTWRITEBYTECODE=1", "FLASKREF_PASSWORD_METHOD=pbkdf2:sha256:1000")
	cmd.ExtraFiles = []*os.File{f}
	s, _, err := start(cmd, flaskReady)
	if err != nil {
		return nil, err
	}
	s.URL = "http://" + ln.Addr().String()
	return s, nil
}
