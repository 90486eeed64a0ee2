package admin_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/tooling/admin"
)

// TestUserClaims: `jwtgate user claims` prints, sets and unsets a user's
// own claims on DynamoDB Local, and refuses a reserved name, the configured
// identity claim, an oversized value and a malformed --set before writing.
func TestUserClaims(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.vars["JWT_IDENTITY_CLAIM"] = "identity"
	f.mustRun("long enough pw\n", "user", "add", "alice", "--password-stdin")
	if r := f.mustRun("", "user", "claims", "alice"); r.stdout != "alice has no claims\n" {
		t.Fatalf("stdout %q, want no claims", r.stdout)
	}
	steps := []struct {
		args []string
		want map[string]string
	}{
		{[]string{"--set", "tenant=acme", "--set", "plan=pro"}, map[string]string{"tenant": "acme", "plan": "pro"}},
		{[]string{"--set", "tenant=globex", "--unset", "plan"}, map[string]string{"tenant": "globex"}},
		{[]string{"--set", "note=a=b"}, map[string]string{"tenant": "globex", "note": "a=b"}},
		{[]string{"--unset", "tenant", "--unset", "note", "--unset", "absent"}, nil},
	}
	for _, st := range steps {
		f.mustRun("", append([]string{"user", "claims", "alice"}, st.args...)...)
		if got := f.user("alice").Claims; !maps.Equal(got, st.want) {
			t.Fatalf("%v: claims %v, want %v", st.args, got, st.want)
		}
	}
	f.mustRun("", "user", "claims", "alice", "--set", "tenant=acme")
	if r := f.mustRun("", "user", "claims", "alice"); r.stdout != "  tenant=acme\n" {
		t.Fatalf("stdout %q, want the claim listed", r.stdout)
	}
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--set", "sid=x"}, admin.ExitFailure, `name "sid" is a claim jwtgate writes itself`},
		{[]string{"--set", "identity=x"}, admin.ExitFailure, `name "identity" is a claim jwtgate writes itself`},
		{[]string{"--set", "t=" + strings.Repeat("x", 300)}, admin.ExitFailure, "longer than 256 bytes"},
		{[]string{"--set", "9lives=x"}, admin.ExitFailure, "want a letter"},
		{[]string{"--set", "novalue"}, admin.ExitUsage, `want K=V`},
		{[]string{"--set", "a=1", "--unset", "a"}, admin.ExitUsage, "both set and unset"},
	} {
		r := f.run("", append([]string{"user", "claims", "alice"}, tt.args...)...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("%v: exit %d stderr %q, want %d with %q", tt.args, r.code, r.stderr, tt.code, tt.stderr)
		}
	}
	if got := f.user("alice").Claims; !maps.Equal(got, map[string]string{"tenant": "acme"}) {
		t.Fatalf("a refused edit wrote: claims %v", got)
	}
	if r := f.run("", "user", "claims", "ghost", "--set", "a=b"); r.code != admin.ExitFailure || !strings.Contains(r.stderr, "user ghost does not exist") {
		t.Errorf("ghost: exit %d stderr %q", r.code, r.stderr)
	}
}
