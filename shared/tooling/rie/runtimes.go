package rie

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

// loops are the runtime loops of the interpreted runtimes: small programs
// that speak the Lambda Runtime API under the emulator, as Amazon's runtime
// clients do inside Lambda.
//
//go:embed runtimes/python_loop.py runtimes/node_loop.mjs
var loops embed.FS

// ErrCannotRun is wrapped by the reason Prepare gives for a function it
// cannot run locally.
var ErrCannotRun = errors.New("rie: cannot run locally")

var (
	pythonRuntime = regexp.MustCompile(`^python3\.[0-9]+$`)
	nodeRuntime   = regexp.MustCompile(`^nodejs[0-9]+\.x$`)
)

// Prepared is what Prepare made of a template's functions.
type Prepared struct {
	// Functions are ready for a Pool.
	Functions map[string]Function
	// Descriptions say how each of Functions runs, for the start banner.
	Descriptions map[string]string
	// Unrunnable gives, for each function that cannot run, the reason
	// (wrapping ErrCannotRun).
	Unrunnable map[string]error
}

// Prepare makes the functions ids of tmpl runnable under the emulator, each
// as its Lambda runtime runs it:
//   - provided.* with Metadata BuildMethod makefile: built with `make
//     build-<LogicalId>` in its CodeUri, as sam build does;
//   - provided.* with a bootstrap already in its CodeUri: that bootstrap;
//   - python3.x: the machine's python3 running a runtime loop that imports
//     Handler (module.function) from CodeUri;
//   - nodejs*.x: the machine's node, likewise (file.export).
//
// Anything else is Unrunnable, with the reason. templateDir is the
// template's directory (CodeUri is relative to it); builds and the runtime
// loops go under workDir.
func Prepare(ctx context.Context, tmpl *samtemplate.Template, templateDir, workDir string, ids []string) (Prepared, error) {
	p := Prepared{Functions: map[string]Function{}, Descriptions: map[string]string{}, Unrunnable: map[string]error{}}
	var builds []string
	for _, id := range ids {
		fn, ok := tmpl.Functions[id]
		if !ok {
			p.Unrunnable[id] = fmt.Errorf("%w: %s is not a function of the template", ErrCannotRun, id)
			continue
		}
		code := fn.CodeUri
		if !filepath.IsAbs(code) {
			code = filepath.Join(templateDir, code)
		}
		code, err := filepath.Abs(code)
		if err != nil {
			return p, fmt.Errorf("rie: %s: %w", id, err)
		}
		base := Function{Env: maps.Clone(fn.Env), Timeout: fn.Timeout, MemoryMB: fn.MemoryMB}
		switch {
		case strings.HasPrefix(fn.Runtime, "provided") && fn.BuildMethod == "makefile":
			if _, err := os.Stat(filepath.Join(code, "Makefile")); err != nil {
				p.Unrunnable[id] = fmt.Errorf("%w: BuildMethod makefile, but no Makefile in CodeUri %s", ErrCannotRun, code)
				continue
			}
			base.Bootstrap = filepath.Join(workDir, id, "bootstrap")
			base.Dir = code
			p.Functions[id] = base
			p.Descriptions[id] = fmt.Sprintf("%s, built with make build-%s, under the Lambda emulator", fn.Runtime, id)
			builds = append(builds, id)
		case strings.HasPrefix(fn.Runtime, "provided"):
			boot := filepath.Join(code, "bootstrap")
			if st, err := os.Stat(boot); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				p.Unrunnable[id] = fmt.Errorf("%w: runtime %s without BuildMethod makefile needs an executable bootstrap in CodeUri %s", ErrCannotRun, fn.Runtime, code)
				continue
			}
			base.Bootstrap, base.Dir = boot, code
			p.Functions[id] = base
			p.Descriptions[id] = fmt.Sprintf("%s, %s, under the Lambda emulator", fn.Runtime, boot)
		case pythonRuntime.MatchString(fn.Runtime):
			f, desc, err := interpreted(ctx, fn, code, workDir, "python3", "python_loop.py")
			if err != nil {
				p.Unrunnable[id] = err
				continue
			}
			f.Env["PYTHONUNBUFFERED"] = "1"        // log lines reach the emulator as they are printed
			f.Env["PYTHONDONTWRITEBYTECODE"] = "1" // no __pycache__ in the source tree
			p.Functions[id], p.Descriptions[id] = f, desc
		case nodeRuntime.MatchString(fn.Runtime):
			f, desc, err := interpreted(ctx, fn, code, workDir, "node", "node_loop.mjs")
			if err != nil {
				p.Unrunnable[id] = err
				continue
			}
			p.Functions[id], p.Descriptions[id] = f, desc
		case fn.Runtime == "":
			p.Unrunnable[id] = fmt.Errorf("%w: no Runtime (an image function?); use sam local, which runs containers", ErrCannotRun)
		default:
			p.Unrunnable[id] = fmt.Errorf("%w: runtime %s: jwtgate dev runs provided.* (make build-<LogicalId>), python3.x and nodejs*.x; use sam local (Docker) for the others", ErrCannotRun, fn.Runtime)
		}
	}
	if len(builds) > 0 {
		errs := make([]error, len(builds))
		done := make(chan int)
		for i, id := range builds {
			go func() {
				errs[i] = Build(ctx, p.Functions[id].Dir, id, filepath.Dir(p.Functions[id].Bootstrap))
				done <- i
			}()
		}
		for range builds {
			i := <-done
			if errs[i] != nil {
				p.Unrunnable[builds[i]] = fmt.Errorf("%w: %w", ErrCannotRun, errs[i])
				delete(p.Functions, builds[i])
				delete(p.Descriptions, builds[i])
			}
		}
	}
	return p, nil
}

// interpreted prepares a function of an interpreted runtime: the machine's
// interpreter running the embedded loop, which takes the handler as its
// last argument (as Lambda's container images pass it), with the code
// directory as working directory and LAMBDA_TASK_ROOT.
func interpreted(ctx context.Context, fn samtemplate.Function, code, workDir, interpreter, loop string) (Function, string, error) {
	exe, err := exec.LookPath(interpreter)
	if err != nil {
		return Function{}, "", fmt.Errorf("%w: runtime %s needs %s on PATH", ErrCannotRun, fn.Runtime, interpreter)
	}
	if st, err := os.Stat(code); err != nil || !st.IsDir() {
		return Function{}, "", fmt.Errorf("%w: CodeUri %s is not a directory", ErrCannotRun, code)
	}
	if err := handlerFile(fn, code); err != nil {
		return Function{}, "", err
	}
	// A version manager's shim (pyenv, nvm) is a script that needs the
	// caller's environment; the function gets Lambda's, so run the real
	// interpreter, and name its version in the banner.
	query := map[string][]string{
		"python3": {"-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"},
		"node":    {"-e", "console.log(process.execPath); console.log(process.versions.node)"},
	}[interpreter]
	out, err := exec.CommandContext(ctx, exe, query...).Output()
	lines := strings.Fields(string(out))
	if err != nil || len(lines) != 2 {
		return Function{}, "", fmt.Errorf("%w: runtime %s: %s does not start: %v", ErrCannotRun, fn.Runtime, exe, err)
	}
	src, err := loops.ReadFile("runtimes/" + loop)
	if err != nil {
		return Function{}, "", fmt.Errorf("rie: %w", err)
	}
	dir := filepath.Join(workDir, fn.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Function{}, "", fmt.Errorf("rie: %w", err)
	}
	path := filepath.Join(dir, loop)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		return Function{}, "", fmt.Errorf("rie: %w", err)
	}
	f := Function{Bootstrap: lines[0], Args: []string{path, fn.Handler}, Dir: code, Handler: fn.Handler,
		Env: maps.Clone(fn.Env), Timeout: fn.Timeout, MemoryMB: fn.MemoryMB}
	f.Env["LAMBDA_TASK_ROOT"] = code
	desc := fmt.Sprintf("%s, handler %s in %s, under the Lambda emulator with the machine's %s %s", fn.Runtime, fn.Handler, code, interpreter, lines[1])
	return f, desc, nil
}

// handlerFile checks that the handler names a file in the code directory,
// so a typo is reported at start and not as a failed first request.
func handlerFile(fn samtemplate.Function, code string) error {
	module, _, ok := cutLast(fn.Handler, ".")
	if !ok || module == "" {
		return fmt.Errorf("%w: Handler %q: want file.function", ErrCannotRun, fn.Handler)
	}
	var candidates []string
	if pythonRuntime.MatchString(fn.Runtime) {
		m := strings.ReplaceAll(module, ".", "/")
		candidates = []string{m + ".py", filepath.Join(m, "__init__.py")}
	} else {
		candidates = []string{module + ".js", module + ".mjs", module + ".cjs"}
	}
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(code, c)); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%w: Handler %s: no %s in CodeUri %s", ErrCannotRun, fn.Handler, strings.Join(candidates, " or "), code)
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
