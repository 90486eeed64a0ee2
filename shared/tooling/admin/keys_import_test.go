package admin_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/testkit/motoserver"
	"github.com/jwtgate/jwtgate/shared/testkit/servers"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
)

// flaskKey is the Flask app's JWT_SECRET_KEY in these tests: a 32-byte key,
// the shortest jwtgate takes outside dev mode.
const flaskKey = "flask-app-secret-key-0123456789ab"

// flaskAccessToken has the real flask-jwt-extended log name in with key
// and returns the access token its login sets.
func flaskAccessToken(t *testing.T, key, name string) string {
	t.Helper()
	return servers.MintFlask(t, servers.Mint{Secret: key, Identity: name})["access_token_cookie"]
}

// flaskVerdict is what a @jwt_required() route of the real flask-jwt-extended
// configured with key answers for token in an Authorization header.
func flaskVerdict(t *testing.T, key, token string) (int, string) {
	t.Helper()
	return flaskDecode(t, map[string]string{"token": token, "secret": key})
}

// flaskDecode runs flask_decode.py on one request line (the token and the
// key settings of the Flask app) and returns the status and msg it answers.
func flaskDecode(t *testing.T, request map[string]string) (int, string) {
	t.Helper()
	cmd := exec.Command("/usr/bin/python3", "../../runtime/tokens/testdata/flask_decode.py")
	line, _ := json.Marshal(request)
	cmd.Stdin = strings.NewReader(string(line) + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("flask_decode.py: %v", err)
	}
	var v struct {
		Status int
		Msg    *string
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("flask_decode.py printed %q: %v", out, err)
	}
	if v.Msg == nil {
		return v.Status, ""
	}
	return v.Status, *v.Msg
}

// keysOf builds the functions' token service from a key file, as the
// functions do from JWT_SECRET_KEY, with the legacy token window open.
func keysOf(t *testing.T, file string) *tokens.Service {
	t.Helper()
	return keysFor(t, file, "")
}

// keysFor is keysOf with JWT_ALGORITHM=alg ("" for the default).
func keysFor(t *testing.T, file, alg string) *tokens.Service {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.Parse(string(raw), config.Lambda)
	if err != nil {
		t.Fatalf("the functions would not start on %s: %v", file, err)
	}
	svc, err := tokens.New(tokens.Options{Algorithm: alg, Keys: keys, LegacyUntil: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// TestKeysImport follows the key through a migration: imported, both apps
// sign with it and accept each other's tokens (the real flask-jwt-extended
// on the other side); rotated away from, the Flask app's tokens still
// verify, so nobody is logged out; retired once they have expired, they no
// longer verify.
func TestKeysImport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "keys.json")
	flaskTok := flaskAccessToken(t, flaskKey, "alice")
	kid := secret.DerivedKID(flaskKey)

	// A new key file holds the one key, readable by its owner only.
	fresh := filepath.Join(dir, "new.json")
	if r := runCLI(t, nil, flaskKey+"\r\n", "keys", "import", "--file", fresh); r.code != admin.ExitOK ||
		!strings.Contains(r.stdout, "it signs from now on, it alone verifies") {
		t.Fatalf("keys import into a new file: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	if st, err := os.Stat(fresh); err != nil || st.Mode().Perm() != 0o600 || len(mustSet(t, fresh).Keys) != 1 ||
		mustSet(t, fresh).Keys[0].Secret != flaskKey {
		t.Fatalf("new key file: %v %v %+v, want mode 0600 and the key without its line ending", st.Mode(), err, mustSet(t, fresh))
	}

	// A key file the deployment already had: a generated jwtgate key.
	r := runCLI(t, nil, "", "keys", "generate")
	if r.code != admin.ExitOK {
		t.Fatalf("keys generate: %d %s", r.code, r.stderr)
	}
	if err := os.WriteFile(file, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	var before secret.KeySet
	if err := json.Unmarshal([]byte(r.stdout), &before); err != nil {
		t.Fatal(err)
	}

	r = runCLI(t, nil, flaskKey+"\n", "keys", "import", "--file", file)
	if r.code != admin.ExitOK || !strings.Contains(r.stdout, "imported key "+kid+" into "+file+": it signs from now on, 2 keys verify") ||
		!strings.Contains(r.stdout, "keys retire --kid "+kid) {
		t.Fatalf("keys import: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, flaskKey) {
		t.Errorf("keys import printed the key: %q %q", r.stdout, r.stderr)
	}
	svc := keysOf(t, file)
	if _, err := svc.Parse(flaskTok); err != nil {
		t.Fatalf("flask's token after the import: %v, want it verified", err)
	}
	ours, err := svc.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "sid-1", true)
	if err != nil {
		t.Fatal(err)
	}
	if status, msg := flaskVerdict(t, flaskKey, ours.Token); status != 200 {
		t.Fatalf("the Flask app refuses jwtgate's token signed after the import: %d %q", status, msg)
	}
	// The generated key still verifies what it signed.
	if got := keysOf(t, file); len(mustSet(t, file).Keys) != 2 || mustSet(t, file).Keys[1].KID != before.Keys[0].KID || got == nil {
		t.Fatalf("key set after import = %+v, want the imported key, then %s", mustSet(t, file), before.Keys[0].KID)
	}

	// Importing again moves it to the front, without a second copy.
	if r := runCLI(t, nil, "", "keys", "rotate", "--file", file, "--keep", "3"); r.code != admin.ExitOK {
		t.Fatalf("keys rotate: %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, nil, flaskKey, "keys", "import", "--file", file); r.code != admin.ExitOK ||
		!strings.Contains(r.stdout, "3 keys verify") || mustSet(t, file).Keys[0].KID != kid {
		t.Fatalf("second import: exit %d %q %q, set %+v", r.code, r.stdout, r.stderr, mustSet(t, file))
	}

	// Rotating away: a new key signs, the Flask key still verifies.
	if r := runCLI(t, nil, "", "keys", "rotate", "--file", file); r.code != admin.ExitOK {
		t.Fatalf("keys rotate: %d %s", r.code, r.stderr)
	}
	svc = keysOf(t, file)
	if _, err := svc.Parse(flaskTok); err != nil {
		t.Fatalf("flask's token after rotating away from its key: %v, want it still verified (nobody logged out)", err)
	}
	after, err := svc.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "sid-2", true)
	if err != nil {
		t.Fatal(err)
	}
	if status, msg := flaskVerdict(t, flaskKey, after.Token); status != 422 || msg != "Signature verification failed" {
		t.Errorf("the Flask app on a token signed after the rotation: %d %q, want 422 \"Signature verification failed\" (the new key signs)", status, msg)
	}

	// Retired: the Flask app's tokens stop verifying.
	if r := runCLI(t, nil, "", "keys", "retire", "--file", file, "--kid", kid); r.code != admin.ExitOK {
		t.Fatalf("keys retire: %d %s", r.code, r.stderr)
	}
	if _, err := keysOf(t, file).Parse(flaskTok); err == nil || !strings.Contains(err.Error(), "Signature verification failed") {
		t.Errorf("flask's token after `keys retire --kid %s`: %v, want Signature verification failed", kid, err)
	}
}

func mustSet(t *testing.T, file string) secret.KeySet {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var set secret.KeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return set
}

// TestKeysImportRefuses: a key the functions would refuse, a key given the
// wrong way, or a set it cannot join is refused with the reason, and the
// key file is left as it was.
func TestKeysImportRefuses(t *testing.T) {
	t.Parallel()
	pair := runCLI(t, nil, "", "keys", "generate", "--algorithm", "EdDSA")
	hmac := runCLI(t, nil, "", "keys", "generate")
	for _, tc := range []struct {
		name, existing, stdin string
		args                  []string
		code                  int
		want                  string
	}{
		{"short key", "", "too-short-flask-key\n", nil, admin.ExitFailure, "secret: imported key: secret shorter than 32 bytes"},
		{"demo key", "", config.DevDemoSecret, nil, admin.ExitFailure, "the dev-only demo secret is refused"},
		{"no key", hmac.stdout, "", nil, admin.ExitUsage, "no key on stdin (it is read from there, never from the command line)"},
		{"two lines", hmac.stdout, flaskKey + "\n" + flaskKey + "\n", nil, admin.ExitUsage, "stdin holds several lines"},
		{"too long", hmac.stdout, strings.Repeat("k", 5000), nil, admin.ExitUsage, "stdin holds more than 4096 bytes"},
		{"HMAC key as a key pair", hmac.stdout, flaskKey, []string{"--algorithm", "RS256"}, admin.ExitFailure, "no PEM block"},
		{"unknown algorithm", hmac.stdout, flaskKey, []string{"--algorithm", "none"}, admin.ExitUsage, "--algorithm:"},
		{"set of key pairs", pair.stdout, flaskKey, nil, admin.ExitFailure, "is an EdDSA key pair: an HMAC key cannot join the set"},
		{"argument", hmac.stdout, "", []string{flaskKey}, admin.ExitUsage, "keys import"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "keys.json")
			if tc.existing != "" {
				if err := os.WriteFile(file, []byte(tc.existing), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"keys", "import", "--file", file}, tc.args...)
			r := runCLI(t, nil, tc.stdin, args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d stderr %q, want %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
			if strings.Contains(r.stdout+r.stderr, flaskKey) {
				t.Errorf("the key was printed: %q %q", r.stdout, r.stderr)
			}
			got, err := os.ReadFile(file)
			if tc.existing == "" && err == nil || tc.existing != "" && string(got) != tc.existing {
				t.Errorf("key file after a refused import: %q (%v), want it untouched", got, err)
			}
		})
	}
}

// TestKeysImportStack imports into a deployed stack's secret (moto's
// CloudFormation and Secrets Manager): the template's generated secret
// stays, for the sessions it signed.
func TestKeysImportStack(t *testing.T) {
	moto := motoserver.Start(t)
	awsEnv(t, map[string]string{"AWS_ENDPOINT_URL": moto})
	outputs := deployStack(t, "jwtgate-import")
	r := runCLI(t, map[string]string{admin.EnvStack: "jwtgate-import"}, flaskKey+"\n", "keys", "import")
	if r.code != admin.ExitOK || !strings.Contains(r.stdout, "into "+outputs["JwtSecretArn"]) {
		t.Fatalf("keys import with JWTGATE_STACK: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	sm, err := secretsClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(outputs["JwtSecretArn"])})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.Parse(aws.ToString(got.SecretString), config.Lambda)
	if err != nil || len(keys) != 2 || keys[0].ID != secret.DerivedKID(flaskKey) || string(keys[0].Secret) != flaskKey ||
		string(keys[1].Secret) != "generated-by-cloudformation-0123456789abcdef0123456789abcdef" {
		t.Fatalf("stack secret after import: %d keys (%v), want the Flask key signing, then the generated one", len(keys), err)
	}
	svc, err := tokens.New(tokens.Options{Keys: keys, Clock: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := svc.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "sid-1", true)
	if err != nil {
		t.Fatal(err)
	}
	if status, msg := flaskVerdict(t, flaskKey, ours.Token); status != 200 {
		t.Errorf("the Flask app refuses a token the stack signs after the import: %d %q", status, msg)
	}
}
