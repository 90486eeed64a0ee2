package admin_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/tooling/admin"
)

// TestKeysRotateNamesDroppedKeys: after a migration's `keys import` the set
// holds the Flask app's key and the stack's own, and a rotation with the
// default --keep 2 drops the own one, ending the sessions it signed. The
// command said only "2 keys kept"; it must name the key it dropped, and
// --keep 3 must drop none.
func TestKeysRotateNamesDroppedKeys(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		keep    []string
		dropped bool
	}{{nil, true}, {[]string{"--keep", "3"}, false}} {
		file := filepath.Join(t.TempDir(), "keys.json")
		gen := runCLI(t, nil, "", "keys", "generate")
		if gen.code != admin.ExitOK {
			t.Fatalf("keys generate: %d %s", gen.code, gen.stderr)
		}
		if err := os.WriteFile(file, []byte(gen.stdout), 0o600); err != nil {
			t.Fatal(err)
		}
		own := mustSet(t, file).Keys[0].KID
		if r := runCLI(t, nil, flaskKey, "keys", "import", "--file", file); r.code != admin.ExitOK {
			t.Fatalf("keys import: %d %s", r.code, r.stderr)
		}
		r := runCLI(t, nil, "", append([]string{"keys", "rotate", "--file", file}, tc.keep...)...)
		if r.code != admin.ExitOK {
			t.Fatalf("keys rotate %v: %d %s", tc.keep, r.code, r.stderr)
		}
		kept := false
		for _, k := range mustSet(t, file).Keys {
			kept = kept || k.KID == own
		}
		said := strings.Contains(r.stdout, "dropped key "+own)
		if kept == tc.dropped || said != tc.dropped {
			t.Errorf("keys rotate %v: own key %s kept=%v, stdout %q; want dropped=%v and said so", tc.keep, own, kept, r.stdout, tc.dropped)
		}
	}
}
