package admin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/tooling/admin"
)

// TestKeyPairChangeWithoutPublicTableWarns: retiring or rotating a key
// pair without naming the public keys table changes the secret only;
// verifiers keep the dropped public key, so the command must say so
// (a review finding: it used to print "stop verifying" and nothing else).
func TestKeyPairChangeWithoutPublicTableWarns(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys.json")
	gen := runCLI(t, nil, "", "keys", "generate", "--algorithm", "EdDSA")
	if gen.code != admin.ExitOK {
		t.Fatalf("keys generate: %d %s", gen.code, gen.stderr)
	}
	if err := os.WriteFile(file, []byte(gen.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "", "keys", "rotate", "--file", file, "--algorithm", "EdDSA")
	if r.code != admin.ExitOK {
		t.Fatalf("keys rotate: %d %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "no public keys table") {
		t.Errorf("rotate of a key pair without a public keys table: stderr %q, want the warning", r.stderr)
	}
	h := runCLI(t, nil, "", "keys", "generate")
	if err := os.WriteFile(file, []byte(h.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, nil, "", "keys", "rotate", "--file", file)
	if r.code != admin.ExitOK || strings.Contains(r.stderr, "warning") {
		t.Errorf("HMAC rotate: %d, stderr %q, want no warning (HMAC verifiers read the secret)", r.code, r.stderr)
	}
}
