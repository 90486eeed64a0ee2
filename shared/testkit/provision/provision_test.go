package provision_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/testkit/provision"
)

// fakeMakefile installs "tool" with a recipe that notices when two runs
// overlap: each run makes the directory busy/ first (mkdir fails when it
// exists), takes a while, and appends a line to runs.log.
const fakeMakefile = `
.PHONY: tools-fake tools-broken tools-noop
tools-fake:
	@mkdir busy || { echo "another install is running" >&2; exit 1; }
	@sleep 0.5
	@echo installed > tool
	@echo run >> runs.log
	@rmdir busy
tools-broken:
	@echo "npm ERR! 404 no such package" >&2; exit 3
tools-noop:
	@echo nothing to do
`

// fakeRoot is a repository root holding fakeMakefile.
func fakeRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "Makefile"), []byte(fakeMakefile), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// installed is the Check of the fake tool.
func installed(root string) func() error {
	return func() error {
		_, err := os.Stat(filepath.Join(root, "tool"))
		return err
	}
}

func runs(t *testing.T, root string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "runs.log"))
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "run\n")
}

func TestEnsure(t *testing.T) {
	tests := []struct {
		name         string
		target       string
		preinstalled bool
		wantErr      []string // substrings; nil: success
		wantRuns     int
	}{
		{name: "present: make not run", target: "tools-fake", preinstalled: true, wantRuns: 0},
		{name: "missing: make installs it", target: "tools-fake", wantRuns: 1},
		{name: "make fails", target: "tools-broken",
			wantErr: []string{"make tools-broken", "Error 3", "npm ERR! 404 no such package"}},
		{name: "make succeeds but the tool is still missing", target: "tools-noop",
			wantErr: []string{"make tools-noop", "succeeded, but", "no such file", "nothing to do"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := fakeRoot(t)
			if tt.preinstalled {
				if err := os.WriteFile(filepath.Join(root, "tool"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := provision.Ensure(t.Context(), root, provision.Tool{Target: tt.target, Check: installed(root)})
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Ensure: %v", err)
				}
			} else {
				if !errors.Is(err, provision.ErrFailed) {
					t.Fatalf("Ensure = %v, want ErrFailed", err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
			}
			if got := runs(t, root); got != tt.wantRuns {
				t.Errorf("make ran the install %d times, want %d", got, tt.wantRuns)
			}
		})
	}
}

// helperRootEnv tells TestHelperEnsure, run in a child process, which
// fake root to provision.
const helperRootEnv = "PROVISION_TEST_HELPER_ROOT"

// TestHelperEnsure is the child process of TestEnsureAcrossProcesses; it
// does nothing in a normal run.
func TestHelperEnsure(t *testing.T) {
	root := os.Getenv(helperRootEnv)
	if root == "" {
		return
	}
	if err := provision.Ensure(t.Context(), root, provision.Tool{Target: "tools-fake", Check: installed(root)}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// TestEnsureAcrossProcesses starts several processes at once that all find
// the tool missing, as parallel go test packages do: exactly one runs the
// install, none sees another's install in progress, and all succeed.
func TestEnsureAcrossProcesses(t *testing.T) {
	const procs = 4
	root := fakeRoot(t)
	var wg sync.WaitGroup
	errs := make([]error, procs)
	outs := make([][]byte, procs)
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperEnsure$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperRootEnv+"="+root)
		wg.Go(func() { outs[i], errs[i] = cmd.CombinedOutput() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	if got := runs(t, root); got != 1 {
		t.Errorf("the install ran %d times, want 1", got)
	}
}

// TestEnsureWaitsForTheLock: while another holder has the target's lock,
// Ensure waits, and gives up when its context ends, naming the target.
func TestEnsureWaitsForTheLock(t *testing.T) {
	root := fakeRoot(t)
	path := filepath.Join(root, provision.LockDir, "tools-fake.lock")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	holder := exec.Command("flock", path, "sleep", "30")
	if err := holder.Start(); err != nil {
		t.Fatalf("flock(1): %v", err)
	}
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
	// Let flock(1) take the lock before Ensure tries.
	deadline := time.Now().Add(5 * time.Second)
	for !lockHeld(path) {
		if time.Now().After(deadline) {
			t.Fatal("flock(1) did not take the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	err := provision.Ensure(ctx, root, provision.Tool{Target: "tools-fake", Check: installed(root)})
	if !errors.Is(err, provision.ErrFailed) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "make tools-fake") {
		t.Fatalf("Ensure = %v, want ErrFailed and the deadline, naming make tools-fake", err)
	}
	if got := runs(t, root); got != 0 {
		t.Errorf("the install ran %d times while the lock was held, want 0", got)
	}
}

// lockHeld asks flock(1) whether path's lock is taken (-n: do not wait).
func lockHeld(path string) bool {
	return exec.Command("flock", "-n", path, "true").Run() != nil
}

func TestRepoRoot(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := provision.RepoRoot(deep)
	if err != nil || got != root {
		t.Fatalf("RepoRoot(%s) = %q, %v; want %q", deep, got, err, root)
	}
	if _, err := provision.RepoRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no go.mod") {
		t.Fatalf("RepoRoot outside a module = %v, want no go.mod", err)
	}
}
