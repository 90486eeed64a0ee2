package servers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/jwtgate/jwtgate/shared/testkit/provision"
)

// Builder builds ./cmd/jwtgate once, into a temporary directory of its
// own: a test binary holds one (made in TestMain) and every test starting
// jwtgate dev shares its build. The zero value is ready to use; Close
// removes the build.
type Builder struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Build returns the path of the jwtgate binary, building it on the first
// call (which ctx bounds); later calls return the first call's result.
func (b *Builder) Build(ctx context.Context) (string, error) {
	b.once.Do(func() { b.path, b.err = b.build(ctx) })
	return b.path, b.err
}

func (b *Builder) build(ctx context.Context) (string, error) {
	root, err := provision.RepoRoot(".")
	if err != nil {
		return "", fmt.Errorf("servers: build jwtgate: %w", err)
	}
	if b.dir, err = os.MkdirTemp("", "jwtgate-testkit-"); err != nil {
		return "", fmt.Errorf("servers: build jwtgate: %w", err)
	}
	bin := filepath.Join(b.dir, "jwtgate")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/jwtgate")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("servers: go build ./cmd/jwtgate: %w\n%s", err, out)
	}
	return bin, nil
}

// Close removes the build. Call it after the tests ran (m.Run returned).
func (b *Builder) Close() error {
	if b.dir == "" {
		return nil
	}
	return os.RemoveAll(b.dir)
}
