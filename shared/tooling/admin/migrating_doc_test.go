package admin_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

// docBlocks returns the fenced blocks of lang in the guide.
func docBlocks(t *testing.T, lang string) []string {
	t.Helper()
	raw, err := os.ReadFile("../../../docs/migrating-from-flask.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatalf("no %s block in docs/migrating-from-flask.md", lang)
	}
	return out
}

// TestMigratingGuide runs the guide: its example files, with the elided
// hashes made by the real werkzeug and bcrypt, are imported by its own
// command lines against DynamoDB Local, and its settings load.
func TestMigratingGuide(t *testing.T) {
	t.Parallel()
	hs := flaskUsers(t, "alice-pass", "bob-pass", "carol-pass")
	real := func(elided string, i int) string {
		if strings.HasPrefix(elided, "$2b$") {
			return hs[1]
		}
		return hs[i]
	}
	// The JSON lines example, hashes filled in.
	var jsonl strings.Builder
	for i, line := range strings.Split(strings.TrimSpace(docBlocks(t, "json")[0]), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("guide's JSON line %d: %v", i+1, err)
		}
		rec["password_hash"] = real(rec["password_hash"].(string), i)
		b, _ := json.Marshal(rec)
		jsonl.Write(append(b, '\n'))
	}
	csvBody := strings.Replace(docBlocks(t, "csv")[0], "pbkdf2:sha256:260000$Qm9vdHN0cmFwU2Fs$...", hs[2], 1)
	// The Flask app of the key pair variant: an RSA key as
	// `openssl genrsa -traditional` writes it.
	flaskPEM := pemKey(t, newSigner(t, "RS256", 2048), "pkcs1")
	files := map[string]string{"users.jsonl": jsonl.String(), "users.csv": csvBody, "flask-secret": flaskKey + "\n",
		"flask-private.pem": flaskPEM}

	f := newFixture(t, true)
	env := map[string]string{}
	ran := 0
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "keys.json") // written by the guide's commands themselves
	// The key pair variant is another Flask app: its own key file, and the
	// public keys table it publishes to ($TABLE).
	pairFile := filepath.Join(dir, "pair-keys.json")
	table := "pub-" + dynamolocal.RandomName()
	if err := dynamostore.CreatePublicKeysTable(context.Background(), server.Client(t), table); err != nil {
		t.Fatal(err)
	}
	pairRan := false
	kid := ""
	deploys := 0
	for _, block := range docBlocks(t, "sh") {
		for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
			line, _, _ = strings.Cut(line, " #") // a comment
			pair := strings.Contains(line, "flask-private.pem")
			fields := strings.Fields(line)
			switch {
			case len(fields) == 2 && fields[0] == "export":
				k, v, _ := strings.Cut(fields[1], "=")
				env[k] = v
			case len(fields) > 0 && fields[0] == "jwtgate":
				args, stdin := fields[1:], ""
				if n := len(args); n >= 2 && args[n-2] == "<" {
					body, ok := files[args[n-1]]
					if !ok {
						t.Fatalf("guide line %q reads %s, which this test has no content for", line, args[n-1])
					}
					stdin, args = body, args[:n-2]
				}
				for i, a := range args {
					switch body, ok := files[a]; {
					case a == "keys.json" && pair:
						args[i] = pairFile
					case a == "keys.json":
						args[i] = keyFile
					case a == "$TABLE":
						args[i] = table
					case a == "KID":
						if kid == "" {
							t.Fatalf("guide line %q: KID before `keys import` printed one", line)
						}
						args[i] = kid
					case ok:
						args[i] = writeFile(t, a, body)
					}
				}
				r := f.mustRun(stdin, args...)
				ran++
				if strings.Contains(line, "user import") && !strings.Contains(r.stdout, "JWTGATE_LEGACY_HASH_COST=") {
					t.Errorf("%s: stdout %q, want the cost advice the guide promises", line, r.stdout)
				}
				if pair {
					pairRan = true
					continue
				}
				if strings.Contains(line, "keys import") {
					m := regexp.MustCompile(`imported key (k[0-9a-f]{16}) `).FindStringSubmatch(r.stdout)
					if m == nil {
						t.Fatalf("%s: stdout %q, want the key id the guide says it prints", line, r.stdout)
					}
					kid = m[1]
				}
			case len(fields) > 3 && strings.Join(fields[:3], " ") == "sam deploy --parameter-overrides":
				checkDeployOverrides(t, line, fields[3:])
				deploys++
			default:
				t.Fatalf("guide line %q: neither `export K=V`, a jwtgate command nor `sam deploy --parameter-overrides`; teach this test to run it", line)
			}
		}
	}
	// The guide's key steps end with one key, neither the Flask app's nor
	// one that verifies its tokens.
	if set := mustSet(t, keyFile); kid == "" || len(set.Keys) != 1 || set.Keys[0].KID == kid || set.Keys[0].Secret == flaskKey {
		t.Errorf("key set after the guide: %+v, want the rotated key alone (the imported %s retired)", set.Keys, kid)
	}
	if ran == 0 {
		t.Fatal("the guide runs no jwtgate command")
	}
	// The key pair variant: the Flask app's key signs, its public half is
	// published.
	if !pairRan {
		t.Error("the guide imports no key pair")
	} else if set := mustSet(t, pairFile); len(set.Keys) != 1 || set.Keys[0].Alg != "RS256" {
		t.Errorf("key set after the guide's key pair import: %+v, want the Flask app's RS256 key alone", set.Keys)
	} else if pub, err := dynamostore.NewPublicKeys(server.Client(t), table).PublicKeys(context.Background()); err != nil ||
		!strings.Contains(pub, set.Keys[0].KID) {
		t.Errorf("public keys table after the guide's key pair import: %q (%v), want %s", pub, err, set.Keys[0].KID)
	}
	// The CSV example imports too.
	f.mustRun("", "user", "import", "--file", writeFile(t, "users.csv", files["users.csv"]))
	for name, pw := range map[string]string{"alice": "alice-pass", "bob": "bob-pass", "carol": "carol-pass"} {
		if err := password.Verify(f.user(name).PasswordHash, pw); err != nil {
			t.Errorf("%s after the guide's import: %v", name, err)
		}
	}
	if deploys == 0 {
		t.Error("the guide sets the window on a deployed stack with no `sam deploy --parameter-overrides` line")
	}
	// The guide's settings load as the functions load them.
	cfg, err := config.Load(func(k string) (string, bool) {
		if k == "JWT_SECRET_KEY" {
			return "guide-secret-0123456789abcdef-0123456789", true
		}
		v, ok := env[k]
		return v, ok
	}, config.Lambda)
	if err != nil {
		t.Fatalf("the guide's settings: %v", err)
	}
	if cfg.Tokens.LegacyUntil.IsZero() || cfg.LegacyHashCost == "" || !cfg.Tokens.MapLegacyIdentities {
		t.Errorf("settings not read: %+v %q %v", cfg.Tokens.LegacyUntil, cfg.LegacyHashCost, cfg.Tokens.MapLegacyIdentities)
	}
	// The examples' identities were imported, in canonical form.
	for name, want := range map[string]string{"alice": "42", "bob": "17", "carol": "43"} {
		if got := f.user(name).Identity; got != want {
			t.Errorf("%s's identity after the guide's import = %q, want %q", name, got, want)
		}
	}
	if _, err := password.NewChecker(cfg.LegacyHashCost); err != nil {
		t.Errorf("the guide's JWTGATE_LEGACY_HASH_COST: %v", err)
	}
}

// checkDeployOverrides reads both templates with the guide's `sam deploy
// --parameter-overrides` values (AllowedPattern checked, as CloudFormation
// does) and wants the functions' environment to carry the same settings as
// the guide's `export` lines: the authorizer, refresh and logout the
// window and how identities are read, login the hash cost.
func checkDeployOverrides(t *testing.T, line string, overrides []string) {
	t.Helper()
	params := map[string]string{}
	for _, kv := range overrides {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			t.Fatalf("guide line %q: %q is not Name=Value", line, kv)
		}
		params[k] = v
	}
	exports := map[string]string{}
	for _, block := range docBlocks(t, "sh") {
		for _, l := range strings.Split(block, "\n") {
			if k, v, ok := strings.Cut(strings.TrimPrefix(l, "export "), "="); ok && strings.HasPrefix(l, "export ") {
				exports[k] = v
			}
		}
	}
	want := map[string][]string{
		"JWTGATE_LEGACY_TOKENS_UNTIL": {"AuthorizerFunction", "RefreshFunction", "LogoutFunction"},
		"JWTGATE_LEGACY_HASH_COST":    {"LoginFunction"},
		"JWTGATE_LEGACY_IDENTITIES":   {"AuthorizerFunction", "RefreshFunction", "LogoutFunction"},
	}
	for _, file := range []string{"template.yaml", "template-httpapi.yaml"} {
		src, err := os.ReadFile(filepath.Join("..", "..", "..", file))
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := samtemplate.ParseWith(src, params)
		if err != nil {
			t.Errorf("guide line %q on %s: %v", line, file, err)
			continue
		}
		for name, functions := range want {
			for _, id := range functions {
				if got := tmpl.Functions[id].Env[name]; got == "" || got != exports[name] {
					t.Errorf("%s deployed with the guide's overrides: %s %s=%q, want the guide's export %q", file, id, name, got, exports[name])
				}
			}
		}
	}
}
