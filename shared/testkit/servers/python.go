package servers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// Python is Debian's interpreter, the one with python3-flask-jwt-extended
// (`make tools-flask`); a pyenv or virtualenv python3 earlier on PATH does
// not have it.
const Python = "/usr/bin/python3"

// ReferenceApp is the flask-jwt-extended reference app, relative to the
// repository root (provision.RepoRoot).
const ReferenceApp = "bench/flaskref/app.py"

var (
	// ErrNoPython is a machine without Python.
	ErrNoPython = errors.New("servers: " + Python + " not found (run `make tools-flask`)")
	// ErrNoModule is a library Python cannot import.
	ErrNoModule = errors.New("servers: " + Python + " lacks a library (run `make tools-flask`)")
)

// pythonReady is the line an app prints once it serves: "<name>: serving
// on <host>:<port>".
var pythonReady = regexp.MustCompile(`^\S+: serving on `)

// checkScript imports each module named on its command line and prints
// its name and version, one a line.
const checkScript = `import importlib, sys
for name in sys.argv[1:]:
    print(name, getattr(importlib.import_module(name), "__version__", "?"))`

// CheckPython imports modules in Python and returns their versions
// ("flask 2.2.2, flask_jwt_extended 4.4.4"). A missing interpreter is
// ErrNoPython, a module it cannot import ErrNoModule, each with the
// make target that installs them.
func CheckPython(ctx context.Context, modules ...string) (string, error) {
	if _, err := os.Stat(Python); err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoPython, err)
	}
	cmd := exec.CommandContext(ctx, Python, append([]string{"-c", checkScript}, modules...)...)
	cmd.Env = Env(nil)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: import %s: %w\n%s", ErrNoModule, strings.Join(modules, ", "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.Join(strings.Split(strings.TrimSpace(string(out)), "\n"), ", "), nil
}

// LaunchPython runs script (then args) under Python with Env(env) and
// PYTHONDONTWRITEBYTECODE=1, serving on a listening socket this process
// opened on 127.0.0.1 and passes as file descriptor 3 (`--fd 3`, before
// args), and returns once the script prints "<name>: serving on ...". An
// app that cannot import its libraries is ErrExited and ErrNoModule.
func LaunchPython(ctx context.Context, script string, env map[string]string, args ...string) (*Process, error) {
	if _, err := os.Stat(Python); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoPython, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("servers: listen for %s: %w", script, err)
	}
	// The child holds its own copy of the socket; this process's copies
	// close once it started.
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		return nil, fmt.Errorf("servers: listen for %s: %w", script, err)
	}
	defer f.Close()
	// Bytecode caches would land in the repository (bench/flaskref).
	full := map[string]string{"PYTHONDONTWRITEBYTECODE": "1"}
	maps.Copy(full, env)
	p, _, err := launch(ctx, Python, append([]string{script, "--fd", "3"}, args...), Env(full), []*os.File{f}, pythonReady)
	if err != nil {
		if errors.Is(err, ErrExited) && strings.Contains(err.Error(), "ModuleNotFoundError") {
			err = fmt.Errorf("%w: %w", ErrNoModule, err)
		}
		return nil, err
	}
	p.URL = "http://" + ln.Addr().String()
	return p, nil
}

// StartPython is LaunchPython for a test: it fails t when the app does
// not start and stops it when t ends.
func StartPython(t testing.TB, script string, env map[string]string, args ...string) *Process {
	t.Helper()
	p, err := LaunchPython(t.Context(), script, env, args...)
	return started(t, script, p, err)
}
