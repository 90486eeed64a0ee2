package admin_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
)

// flaskPair is a Flask app's key pair as its config holds it:
// JWT_PRIVATE_KEY in the PEM form the test names, JWT_PUBLIC_KEY as
// SubjectPublicKeyInfo PEM.
type flaskPair struct {
	alg, private, public string
}

// pemKey encodes priv in form: "pkcs8", "pkcs1" (RSA PRIVATE KEY, what
// `openssl genrsa -traditional` writes) or "sec1" (EC PRIVATE KEY, what
// `openssl ecparam -genkey` writes).
func pemKey(t *testing.T, priv crypto.Signer, form string) string {
	t.Helper()
	var block pem.Block
	var err error
	switch form {
	case "pkcs1":
		block = pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv.(*rsa.PrivateKey))}
	case "sec1":
		block.Type = "EC PRIVATE KEY"
		block.Bytes, err = x509.MarshalECPrivateKey(priv.(*ecdsa.PrivateKey))
	default:
		block.Type = "PRIVATE KEY"
		block.Bytes, err = x509.MarshalPKCS8PrivateKey(priv)
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&block))
}

func publicPEM(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// newSigner makes a private key for alg; bits sizes an RSA key.
func newSigner(t *testing.T, alg string, bits int) crypto.Signer {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, bits)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil || priv == nil {
		t.Fatalf("generate %s key: %v", alg, err)
	}
	return priv
}

func newFlaskPair(t *testing.T, alg, form string) flaskPair {
	t.Helper()
	priv := newSigner(t, alg, 2048)
	return flaskPair{alg: alg, private: pemKey(t, priv, form), public: publicPEM(t, priv.Public())}
}

// flaskPairToken has the real flask-jwt-extended, configured with
// JWT_ALGORITHM, JWT_PRIVATE_KEY and JWT_PUBLIC_KEY, log name in and returns its access
// token.
func flaskPairToken(t *testing.T, p flaskPair, name string) string {
	t.Helper()
	cmd := exec.Command("/usr/bin/python3", "../../runtime/tokens/testdata/flask_mint.py", "", name)
	cmd.Env = append(os.Environ(), "FLASK_ALGORITHM="+p.alg, "FLASK_PRIVATE_KEY="+p.private, "FLASK_PUBLIC_KEY="+p.public)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("flask_mint.py with JWT_PRIVATE_KEY (python3-python-flask-jwt-extended; `make test` installs it): %v", err)
	}
	var jar map[string]string
	if err := json.Unmarshal(out, &jar); err != nil || jar["access_token_cookie"] == "" {
		t.Fatalf("flask_mint.py printed %q (%v)", out, err)
	}
	return jar["access_token_cookie"]
}

// flaskPairVerdict is what a @jwt_required() route of the real
// flask-jwt-extended configured with JWT_ALGORITHM and JWT_PUBLIC_KEY
// answers for token.
func flaskPairVerdict(t *testing.T, p flaskPair, token string) (int, string) {
	t.Helper()
	return flaskDecode(t, map[string]string{"token": token, "algorithm": p.alg, "public_key": p.public})
}

// TestKeysImportKeyPair follows a Flask app's key pair (JWT_PRIVATE_KEY,
// in each PEM form flask users have) through a migration: imported with
// --algorithm, it signs in front of the set, the public set is published,
// and both apps (the real flask-jwt-extended with JWT_ALGORITHM and
// JWT_PUBLIC_KEY on the other side) accept each other's tokens; rotated
// away from, flask's tokens still verify; retired, they no longer do.
func TestKeysImportKeyPair(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		alg, form string
		// existing is the key file before the import: "" none, "hmac" a
		// generated HMAC set (the stack's default, dropped), "pair" a
		// generated key pair of the same algorithm (kept).
		existing string
	}{
		{"RS256", "pkcs8", "pair"},
		{"RS256", "pkcs1", "hmac"},
		{"ES256", "sec1", ""},
		{"ES256", "pkcs8", "pair"},
		{"EdDSA", "pkcs8", "hmac"},
	} {
		t.Run(tc.alg+"-"+tc.form, func(t *testing.T) {
			t.Parallel()
			p := newFlaskPair(t, tc.alg, tc.form)
			flaskTok := flaskPairToken(t, p, "alice")
			kid := secret.DerivedKID(p.public)
			file := filepath.Join(t.TempDir(), "keys.json")
			table := "pub-" + dynamolocal.RandomName()
			if err := dynamostore.CreatePublicKeysTable(context.Background(), server.Client(t), table); err != nil {
				t.Fatal(err)
			}
			vars := map[string]string{"DYNAMODB_ENDPOINT": server.URL}
			wantVerify, wantDropped := "it alone verifies", ""
			switch tc.existing {
			case "hmac", "pair":
				var gen []string
				if tc.existing == "pair" {
					gen, wantVerify = []string{"--algorithm", tc.alg}, "2 keys verify"
				}
				r := runCLI(t, nil, "", append([]string{"keys", "generate"}, gen...)...)
				if r.code != admin.ExitOK {
					t.Fatalf("keys generate: %d %s", r.code, r.stderr)
				}
				if err := os.WriteFile(file, []byte(r.stdout), 0o600); err != nil {
					t.Fatal(err)
				}
				if tc.existing == "hmac" {
					wantDropped = "dropped key " + mustSet(t, file).Keys[0].KID + " (HMAC): tokens it signed stop verifying"
				}
			}

			r := runCLI(t, vars, p.private, "keys", "import", "--algorithm", tc.alg, "--file", file, "--public-keys-table", table)
			if r.code != admin.ExitOK || !strings.Contains(r.stdout, "imported key "+kid+" into "+file+": it signs from now on, "+wantVerify) ||
				!strings.Contains(r.stdout, "set JWT_ALGORITHM="+tc.alg) || !strings.Contains(r.stdout, "`jwtgate keys rotate --algorithm "+tc.alg+"`") || !strings.Contains(r.stdout, "published ") ||
				!strings.Contains(r.stdout, wantDropped) {
				t.Fatalf("keys import --algorithm %s: exit %d stdout %q stderr %q, want kid %s, %q, %q", tc.alg, r.code, r.stdout, r.stderr, kid, wantVerify, wantDropped)
			}
			if body := strings.Split(p.private, "\n")[1]; strings.Contains(r.stdout+r.stderr, body) {
				t.Errorf("keys import printed the private key: %q %q", r.stdout, r.stderr)
			}
			set := mustSet(t, file)
			if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 || set.Keys[0].KID != kid || set.Keys[0].Alg != tc.alg ||
				set.Keys[0].PrivateKey == "" {
				t.Fatalf("key file after import: %v %v %+v, want mode 0600 and the imported private key in front", st, err, set)
			}

			// The public set verifiers read holds flask's JWT_PUBLIC_KEY in front.
			published, err := dynamostore.NewPublicKeys(server.Client(t), table).PublicKeys(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var pub secret.KeySet
			if err := json.Unmarshal([]byte(published), &pub); err != nil || len(pub.Keys) != len(set.Keys) || pub.Keys[0].KID != kid ||
				pub.Keys[0].PublicKey != p.public || strings.Contains(published, "PRIVATE") {
				t.Fatalf("published public set %s (%v), want flask's public key under %s and no private key", published, err, kid)
			}

			// Each app accepts the other's tokens.
			svc := keysFor(t, file, tc.alg)
			if _, err := svc.Parse(flaskTok); err != nil {
				t.Fatalf("flask's %s token after the import: %v, want it verified", tc.alg, err)
			}
			ours, err := svc.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "sid-1", true)
			if err != nil {
				t.Fatal(err)
			}
			if status, msg := flaskPairVerdict(t, p, ours.Token); status != 200 {
				t.Fatalf("the Flask app (JWT_PUBLIC_KEY) refuses jwtgate's token signed after the import: %d %q", status, msg)
			}

			// Importing again only moves it to the front.
			if r := runCLI(t, nil, "", "keys", "rotate", "--algorithm", tc.alg, "--file", file, "--keep", "3"); r.code != admin.ExitOK {
				t.Fatalf("keys rotate: %d %s", r.code, r.stderr)
			}
			n := len(mustSet(t, file).Keys)
			if r := runCLI(t, nil, p.private, "keys", "import", "--algorithm", tc.alg, "--file", file); r.code != admin.ExitOK ||
				mustSet(t, file).Keys[0].KID != kid || len(mustSet(t, file).Keys) != n {
				t.Fatalf("second import: exit %d %q %q, set %+v, want %s in front of %d keys", r.code, r.stdout, r.stderr, mustSet(t, file), kid, n)
			}

			// Rotated away from: a new key signs, flask's tokens still verify.
			if r := runCLI(t, nil, "", "keys", "rotate", "--algorithm", tc.alg, "--file", file, "--keep", "3"); r.code != admin.ExitOK {
				t.Fatalf("keys rotate: %d %s", r.code, r.stderr)
			}
			svc = keysFor(t, file, tc.alg)
			if _, err := svc.Parse(flaskTok); err != nil {
				t.Fatalf("flask's token after rotating away from its key: %v, want it still verified", err)
			}
			after, err := svc.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "sid-2", true)
			if err != nil {
				t.Fatal(err)
			}
			if status, msg := flaskPairVerdict(t, p, after.Token); status != 422 || msg != "Signature verification failed" {
				t.Errorf("the Flask app on a token signed after the rotation: %d %q, want 422 \"Signature verification failed\"", status, msg)
			}

			// Retired: flask's tokens stop verifying.
			if r := runCLI(t, nil, "", "keys", "retire", "--file", file, "--kid", kid); r.code != admin.ExitOK {
				t.Fatalf("keys retire: %d %s", r.code, r.stderr)
			}
			_, err = keysFor(t, file, tc.alg).Parse(flaskTok)
			if msg, _ := tokens.Message(err); msg != "Signature verification failed" {
				t.Errorf("flask's token after `keys retire --kid %s`: %v (%q), want it refused", kid, err, msg)
			}
		})
	}
}

// TestKeysImportKeyPairRefuses: a private key that does not fit the
// algorithm, a weak one, a public key in its place, an encrypted one, two
// keys at once or no PEM at all is refused with the reason, the key is not
// printed, and the key file is left as it was.
func TestKeysImportKeyPairRefuses(t *testing.T) {
	t.Parallel()
	rsaKey := newSigner(t, "RS256", 2048)
	ecKey := newSigner(t, "ES256", 0)
	weak := newSigner(t, "RS256", 1024)
	pkcs8 := pemKey(t, rsaKey, "pkcs8")
	block, _ := pem.Decode([]byte(pkcs8))
	encrypted := string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: block.Bytes}))
	legacyEncrypted := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00000000000000000000000000000000"},
		Bytes:   x509.MarshalPKCS1PrivateKey(rsaKey.(*rsa.PrivateKey))}))
	pair := runCLI(t, nil, "", "keys", "generate", "--algorithm", "RS256")
	for _, tc := range []struct {
		name, alg, stdin string
		code             int
		want             string
	}{
		{"EC key as RS256", "RS256", pemKey(t, ecKey, "sec1"), admin.ExitFailure,
			"is not a RS256 key (it is an ES256 key: --algorithm ES256"},
		{"RSA key as EdDSA", "EdDSA", pkcs8, admin.ExitFailure, "(it is an RS256 key: --algorithm RS256"},
		{"RSA 1024 bits", "RS256", pemKey(t, weak, "pkcs1"), admin.ExitFailure, "RSA keys need at least 2048 bits"},
		{"public key", "RS256", publicPEM(t, rsaKey.Public()), admin.ExitFailure, "a PUBLIC KEY block, not a private key"},
		{"encrypted PKCS #8", "RS256", encrypted, admin.ExitFailure, "the private key is encrypted: decrypt it first"},
		{"encrypted PKCS #1", "RS256", legacyEncrypted, admin.ExitFailure, "the private key is encrypted: decrypt it first"},
		{"two keys", "RS256", pkcs8 + pemKey(t, ecKey, "pkcs8"), admin.ExitFailure, "more than one PEM block; want the private key alone"},
		{"garbage", "ES256", "not a key at all\n", admin.ExitFailure, "no PEM block"},
		{"HMAC key", "RS256", flaskKey, admin.ExitFailure, "no PEM block"},
		{"garbage in a PEM block", "ES256", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", admin.ExitFailure,
			"tokens: key does not fit the algorithm"},
		{"no key", "RS256", "", admin.ExitUsage, "no key on stdin"},
		{"too long", "RS256", strings.Repeat("k", 17<<10), admin.ExitUsage, "stdin holds more than 16384 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "keys.json")
			if err := os.WriteFile(file, []byte(pair.stdout), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, nil, tc.stdin, "keys", "import", "--algorithm", tc.alg, "--file", file)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d stderr %q, want %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
			if lines := strings.Split(tc.stdin, "\n"); len(lines) > 2 && strings.Contains(r.stdout+r.stderr, lines[1]) {
				t.Errorf("the key was printed: %q %q", r.stdout, r.stderr)
			}
			if got, err := os.ReadFile(file); err != nil || string(got) != pair.stdout {
				t.Errorf("key file after a refused import: %q (%v), want it untouched", got, err)
			}
		})
	}
	// A new file is not created by a refused import either.
	fresh := filepath.Join(t.TempDir(), "new.json")
	if r := runCLI(t, nil, publicPEM(t, ecKey.Public()), "keys", "import", "--algorithm", "ES256", "--file", fresh); r.code == admin.ExitOK {
		t.Errorf("importing a public key into a new file: exit %d", r.code)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("a refused import created %s (%v)", fresh, err)
	}
	// The secret loader refuses a public key where a private one goes with
	// the same words (the one place: tokens.ParsePrivateKeyPEM).
	raw := `{"keys":[{"kid":"x","alg":"RS256","private_key":` + jsonString(publicPEM(t, rsaKey.Public())) + `}]}`
	if _, err := secret.Parse(raw, config.Lambda); err == nil || !strings.Contains(err.Error(), "a PUBLIC KEY block, not a private key") {
		t.Errorf("secret.Parse with a public key as private_key: %v", err)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
