package rie

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// ErrNotInstalled means the aws-lambda-rie binary was found neither on PATH
// nor in <repo>/.tools/bin.
var ErrNotInstalled = errors.New("rie: aws-lambda-rie is not installed: run make tools-rie")

// BinaryName is the emulator's executable name.
const BinaryName = "aws-lambda-rie"

// HelloFunction is the logical ID of mk/rie.mk's hello-world aws-lambda-go
// function, the baseline of the cold-start report.
const HelloFunction = "HelloFunction"

// SDKFloorFunction is the logical ID of mk/rie.mk's second baseline: hello
// world plus the DynamoDB and Secrets Manager clients, the part of the
// authorizer's init that is the SDK's and not jwtgate's.
const SDKFloorFunction = "SDKFloorFunction"

// Find returns the emulator's path: PATH first, then repoRoot/.tools/bin,
// where `make tools-rie` installs it.
func Find(repoRoot string) (string, error) {
	if p, err := exec.LookPath(BinaryName); err == nil {
		return p, nil
	}
	p := filepath.Join(repoRoot, ".tools", "bin", BinaryName)
	if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return p, nil
	}
	return "", fmt.Errorf("%w (looked on PATH and in %s)", ErrNotInstalled, filepath.Dir(p))
}

// Build compiles function logicalID into dir/bootstrap with the repository's
// own make target (`make build-<LogicalId> ARTIFACTS_DIR=dir`, what `sam
// build` runs), for this machine's CPU: the template may say arm64, but the
// emulator runs the binary natively. repoRoot is the directory holding the
// Makefile (a function's CodeUri). mk/rie.mk is read too when there, for its
// build-HelloFunction and build-SDKFloorFunction targets; it guards against
// being included twice.
func Build(ctx context.Context, repoRoot, logicalID, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("rie: build %s: %w", logicalID, err)
	}
	args := []string{"--no-print-directory", "-f", "Makefile"}
	if _, err := os.Stat(filepath.Join(repoRoot, "mk", "rie.mk")); err == nil {
		args = append(args, "-f", filepath.Join("mk", "rie.mk"))
	}
	args = append(args, "build-"+logicalID, "ARTIFACTS_DIR="+abs, "GOARCH="+runtime.GOARCH)
	cmd := exec.CommandContext(ctx, "make", args...)
	cmd.Dir = repoRoot
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("rie: build %s: %w\n%s", logicalID, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// BuildAll builds every function in logicalIDs into dir/<LogicalId>/bootstrap,
// in parallel, and returns the bootstrap paths by logical ID.
func BuildAll(ctx context.Context, repoRoot, dir string, logicalIDs ...string) (map[string]string, error) {
	paths := make(map[string]string, len(logicalIDs))
	errs := make([]error, len(logicalIDs))
	done := make(chan struct{})
	for i, id := range logicalIDs {
		out := filepath.Join(dir, id)
		paths[id] = filepath.Join(out, "bootstrap")
		go func() {
			defer func() { done <- struct{}{} }()
			errs[i] = Build(ctx, repoRoot, id, out)
		}()
	}
	for range logicalIDs {
		<-done
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return paths, nil
}

// RepoRoot walks up from dir to the directory holding go.mod.
func RepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("rie: repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("rie: repo root: no go.mod above " + dir)
		}
		dir = parent
	}
}
