package admin_test

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// flaskUsers has werkzeug 2.2 and python3-bcrypt (the libraries of a Flask
// app) hash each password.
func flaskUsers(t *testing.T, pws ...string) []string {
	t.Helper()
	args := append([]string{"-c", `
import json, sys, bcrypt
from werkzeug.security import generate_password_hash
print(json.dumps([generate_password_hash(p) if i % 2 == 0 else bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=4)).decode()
                  for i, p in enumerate(sys.argv[1:])]))`}, pws...)
	out, err := exec.Command("/usr/bin/python3", args...).Output()
	if err != nil {
		t.Fatalf("python3 (werkzeug, python3-bcrypt; `make test` installs them): %v", err)
	}
	var hs []string
	if err := json.Unmarshal(out, &hs); err != nil {
		t.Fatal(err)
	}
	return hs
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUserImport(t *testing.T) {
	t.Parallel()
	hs := flaskUsers(t, "alice-pass", "bob-pass", "carol-pass")
	jsonl := `{"username":"alice","password_hash":"` + hs[0] + `","roles":["admin","user"],"claims":{"tenant":"acme","plan":"pro"}}` + "\n\n" +
		`{"username":"Bob","password_hash":"` + hs[1] + `","roles":["user"]}` + "\n"
	csvFile := "username,password_hash,roles\ncarol," + hs[2] + ",\"user,editor\"\n"
	// A byte-order mark (Windows editors) is read past, in both forms.
	for name, body := range map[string]string{"users.jsonl": jsonl, "users.csv": csvFile, "bom.jsonl": "\ufeff" + jsonl, "bom.csv": "\ufeff" + csvFile} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, true)
			r := f.mustRun("", "user", "import", "--file", writeFile(t, name, body))
			if !strings.Contains(r.stdout, "imported") {
				t.Errorf("stdout %q", r.stdout)
			}
			want := map[string]struct{ pw, roles string }{
				"alice": {"alice-pass", "admin,user"}, "bob": {"bob-pass", "user"}, "carol": {"carol-pass", "user,editor"},
			}
			n := 0
			for u, w := range want {
				got, err := f.users.Get(t.Context(), u)
				if errors.Is(err, users.ErrNotFound) {
					continue
				}
				n++
				if err != nil {
					t.Fatal(err)
				}
				if err := password.Verify(got.PasswordHash, w.pw); err != nil || !password.Legacy(got.PasswordHash) {
					t.Errorf("%s: stored hash %q (want the imported one, verifying): %v", u, got.PasswordHash, err)
				}
				if strings.Join(got.Roles, ",") != w.roles || got.Generation != 0 || got.Disabled {
					t.Errorf("%s: %+v", u, got)
				}
				// Only alice's line has claims ("claims" is optional).
				if wantClaims := map[string]string{"tenant": "acme", "plan": "pro"}; u == "alice" && !maps.Equal(got.Claims, wantClaims) || u != "alice" && got.Claims != nil {
					t.Errorf("%s: claims %v", u, got.Claims)
				}
			}
			if n == 0 {
				t.Fatal("no user imported")
			}
			if list := f.mustRun("", "user", "list").stdout; !strings.Contains(list, "pbkdf2") {
				t.Errorf("user list does not show the imported hash kind:\n%s", list)
			}
			advice := "JWTGATE_LEGACY_HASH_COST=pbkdf2:sha256:260000"
			if strings.Contains(body, "alice") {
				advice = "several costs were imported: bcrypt:4, pbkdf2:sha256:260000"
			}
			if !strings.Contains(r.stdout, advice) {
				t.Errorf("stdout %q, want the advice %q", r.stdout, advice)
			}
		})
	}
}

func TestUserImportRefusesBadFiles(t *testing.T) {
	t.Parallel()
	hs := flaskUsers(t, "alice-pass")
	good := `{"username":"alice","password_hash":"` + hs[0] + `","roles":["user"]}`
	tests := []struct {
		name, file, body string
		code             int
		inStderr         []string
	}{
		{"hash without iterations", "u.jsonl", good + "\n" + `{"username":"bob","password_hash":"pbkdf2:sha256$abc$` + strings.Repeat("ab", 32) + `"}`,
			1, []string{"line 2: user bob: password_hash", "explicit iteration count", "nothing imported"}},
		{"malformed JSON", "u.jsonl", good + "\n{\"username\": \n", 1, []string{"line 2: not a JSON object"}},
		{"unknown field", "u.jsonl", good + "\n" + `{"username":"x","password":"plain"}`, 1, []string{"line 2: not a JSON object", "unknown field"}},
		{"two objects on a line", "u.jsonl", good + ` {"username":"bob","password_hash":"` + hs[0] + `"}`, 1, []string{"line 1: not a JSON object", "more than one JSON value"}},
		{"text after the object", "u.jsonl", good + "x\n", 1, []string{"line 1: not a JSON object", "more than one JSON value"}},
		{"missing hash", "u.jsonl", `{"username":"x"}` + "\n" + good, 1, []string{"line 1: missing username or password_hash"}},
		{"duplicate", "u.jsonl", good + "\n" + good, 1, []string{"line 2: user alice is on line 1 already"}},
		{"bad username", "u.jsonl", strings.Replace(good, "alice", "a b", 1), 1, []string{`line 1: invalid username "a b"`}},
		{"reserved claim", "u.jsonl", strings.Replace(good, `"roles"`, `"claims":{"sid":"x"},"roles"`, 1), 1, []string{`line 1: user alice: users: claims:`, `"sid" is a claim jwtgate writes itself`}},
		{"claim not a string", "u.jsonl", strings.Replace(good, `"roles"`, `"claims":{"tenant":1},"roles"`, 1), 1, []string{"line 1: not a JSON object", "claims (an object of strings)"}},
		{"bad role", "u.jsonl", strings.Replace(good, `["user"]`, `["a b"]`, 1), 1, []string{"line 1: user alice: invalid role"}},
		{"hostile bcrypt cost", "u.csv", "username,password_hash\nalice," + hs[0] + "\nbob,$2b$31$" + strings.Repeat("a", 53) + "\n", 1, []string{"line 3: user bob", "cost"}},
		{"csv without header", "u.csv", "alice," + hs[0] + "\n", 1, []string{"line 1: the CSV header must name username and password_hash"}},
		{"csv short row", "u.csv", "username,password_hash,roles\nalice," + hs[0] + "\n", 1, []string{"line 2:"}},
		{"no file", "", "", 2, []string{"--file is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, true)
			args := []string{"user", "import"}
			if tt.file != "" {
				args = append(args, "--file", writeFile(t, tt.file, tt.body))
			}
			r := f.run("", args...)
			for _, s := range tt.inStderr {
				if r.code != tt.code || !strings.Contains(r.stderr, s) {
					t.Fatalf("exit %d stderr %q; want %d and %q", r.code, r.stderr, tt.code, s)
				}
			}
			for _, name := range []string{"alice", "bob", "x"} {
				if _, err := f.users.Get(t.Context(), name); !errors.Is(err, users.ErrNotFound) {
					t.Errorf("a refused file imported %s: %v", name, err)
				}
			}
		})
	}
	t.Run("claim named as the identity claim", func(t *testing.T) {
		// As `user claims` refuses it: the tokens would drop it silently.
		t.Parallel()
		f := newFixture(t, true)
		f.vars["JWT_IDENTITY_CLAIM"] = "identity"
		body := strings.Replace(good, `"roles"`, `"claims":{"Identity":"root"},"roles"`, 1)
		r := f.run("", "user", "import", "--file", writeFile(t, "u.jsonl", body))
		if r.code != 1 || !strings.Contains(r.stderr, `line 1: user alice: claims: tokens: invalid user claim: name "Identity" is a claim jwtgate writes itself`) {
			t.Fatalf("exit %d stderr %q; want 1 and the identity claim refused", r.code, r.stderr)
		}
		if _, err := f.users.Get(t.Context(), "alice"); !errors.Is(err, users.ErrNotFound) {
			t.Errorf("a refused file imported alice: %v", err)
		}
	})
	t.Run("user already in the table", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, true)
		f.mustRun("existing password\n", "user", "add", "alice", "--password-stdin")
		before := f.user("alice").PasswordHash
		body := `{"username":"carol","password_hash":"` + hs[0] + `"}` + "\n" + good
		r := f.run("", "user", "import", "--file", writeFile(t, "u.jsonl", body))
		if r.code != 1 || !strings.Contains(r.stderr, "line 2: user alice already exists") {
			t.Fatalf("exit %d stderr %q", r.code, r.stderr)
		}
		if _, err := f.users.Get(t.Context(), "carol"); !errors.Is(err, users.ErrNotFound) {
			t.Errorf("carol was imported before the refusal: %v", err)
		}
		if f.user("alice").PasswordHash != before {
			t.Error("alice was overwritten")
		}
	})
}

// TestUserImportNamesFoldedUsers: a username PRECIS folds ("ｄａｖｅ" is
// stored as "dave") still logs in, but the Flask app's tokens name the user
// as given, so refresh finds no such user and those sessions end: the
// import must say which names it changed, and only those.
func TestUserImportNamesFoldedUsers(t *testing.T) {
	t.Parallel()
	hs := flaskUsers(t, "dave-pass", "erin-pass")
	body := `{"username":"ｄａｖｅ","password_hash":"` + hs[0] + `"}` + "\n" + `{"username":"erin","password_hash":"` + hs[1] + `"}` + "\n"
	f := newFixture(t, true)
	r := f.mustRun("", "user", "import", "--file", writeFile(t, "u.jsonl", body))
	if !strings.Contains(r.stdout, `line 1: "ｄａｖｅ" is stored as "dave"`) || strings.Contains(r.stdout, `"erin"`) {
		t.Errorf("stdout %q, want a note for line 1 alone", r.stdout)
	}
	if got := f.user("dave"); password.Verify(got.PasswordHash, "dave-pass") != nil {
		t.Errorf("dave: %+v", got)
	}
}
