package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/shared/tooling/rie"
)

// ErrFailed means the make target ran and failed, or ran and still left
// the tool unusable.
var ErrFailed = errors.New("provision: could not install the tool")

// LockDir is where the lock files live, relative to the repository root:
// inside .tools/, which git ignores and `make tools` owns.
const LockDir = ".tools/.locks"

// lockPoll is how often a waiting process retries the lock; the ones that
// wait do so for an install that takes tens of seconds.
const lockPoll = 100 * time.Millisecond

// maxOutput bounds how much of make's output an error carries: the end,
// where the reason is.
const maxOutput = 8 << 10

// Tool is one developer tool a test needs.
type Tool struct {
	// Target is the make target that installs it, e.g. "tools-dynamodb".
	Target string
	// Check reports whether the tool is usable: nil when it is, otherwise
	// why not. Ensure calls it before and after running make.
	Check func() error
}

// Ensure makes tool usable: it returns at once when tool.Check passes, and
// otherwise runs `make <Target>` in root under the target's lock and checks
// again. The error (wrapping ErrFailed) names the target.
func Ensure(ctx context.Context, root string, tool Tool) error {
	if tool.Check() == nil {
		return nil
	}
	unlock, err := lock(ctx, filepath.Join(root, LockDir, tool.Target+".lock"))
	if err != nil {
		return fmt.Errorf("%w: make %s: %w", ErrFailed, tool.Target, err)
	}
	defer unlock()
	// Another process may have installed it while this one waited.
	if tool.Check() == nil {
		return nil
	}
	start := time.Now()
	fmt.Fprintf(os.Stderr, "provision: running make %s in %s\n", tool.Target, root)
	out, err := runMake(ctx, root, tool.Target)
	if err != nil {
		return fmt.Errorf("%w: make %s (in %s): %w\n%s", ErrFailed, tool.Target, root, err, out)
	}
	if err := tool.Check(); err != nil {
		return fmt.Errorf("%w: make %s (in %s) succeeded, but: %w\n%s", ErrFailed, tool.Target, root, err, out)
	}
	fmt.Fprintf(os.Stderr, "provision: make %s done in %s\n", tool.Target, time.Since(start).Round(time.Millisecond))
	return nil
}

// runMake runs `make target` in root as a top-level make, the way a
// developer would from the repository root, and returns the end of its
// output. The caller's make variables (go test run from a recipe) are not
// passed on: they would make it a sub-make of a make it is not part of.
func runMake(ctx context.Context, root, target string) (string, error) {
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", target)
	cmd.Dir = root
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return name == "MAKEFLAGS" || name == "MFLAGS" || name == "MAKELEVEL"
	})
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	b := bytes.TrimSpace(out.Bytes())
	if len(b) > maxOutput {
		b = append([]byte("..."), b[len(b)-maxOutput:]...)
	}
	return string(b), err
}

// lock takes the exclusive lock on path, creating it, and waits for it
// until ctx ends. The lock is released by the returned function, or by
// the kernel when the process dies.
func lock(ctx context.Context, path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			return func() { _ = unlockFile(f); f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(lockPoll):
		}
	}
}

// RepoRoot walks up from dir to the directory holding go.mod: where the
// Makefile and .tools/ are. It is rie.RepoRoot, which builds the
// bootstraps from the same root.
func RepoRoot(dir string) (string, error) { return rie.RepoRoot(dir) }
