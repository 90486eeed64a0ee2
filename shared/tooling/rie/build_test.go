package rie_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/tooling/rie"
)

// TestFindMissing: without the emulator the error says how to install it.
func TestFindMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := rie.Find(t.TempDir())
	if !errors.Is(err, rie.ErrNotInstalled) || !strings.Contains(err.Error(), "run make tools-rie") {
		t.Fatalf("got %v, want ErrNotInstalled saying run make tools-rie", err)
	}
}

// TestFindRepoTools finds the copy `make tools-rie` installed.
func TestFindRepoTools(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	got, err := rie.Find(root)
	if err != nil || !strings.HasSuffix(got, "/.tools/bin/aws-lambda-rie") {
		t.Fatalf("got %q, %v; want <repo>/.tools/bin/aws-lambda-rie", got, err)
	}
}
