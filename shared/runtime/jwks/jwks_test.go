package jwks_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/jwks"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// TestEncode: each JWK decodes back to the very public key (RFC 8037 for
// Ed25519, RFC 7518 6.2 and 6.3 for EC and RSA), and never carries a
// private member. PyJWT reads the same sets in shared/suites/interop.
func TestEncode(t *testing.T) {
	b64 := base64.RawURLEncoding
	for _, alg := range []string{"EdDSA", "ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			k, err := tokens.GenerateKey(alg, "kid-1")
			if err != nil {
				t.Fatal(err)
			}
			j, err := jwks.Encode(k)
			if err != nil {
				t.Fatal(err)
			}
			if j.Kid != "kid-1" || j.Alg != alg || j.Use != "sig" {
				t.Errorf("JWK %+v", j)
			}
			raw, _ := json.Marshal(j)
			if strings.Contains(string(raw), `"d"`) || strings.Contains(string(raw), `"p"`) {
				t.Errorf("JWK has a private member: %s", raw)
			}
			dec := func(s string) []byte {
				b, err := b64.DecodeString(s)
				if err != nil {
					t.Fatalf("%q is not base64url without padding: %v", s, err)
				}
				return b
			}
			var got any
			switch j.Kty {
			case "OKP":
				got = ed25519.PublicKey(dec(j.X))
			case "EC":
				x, y := dec(j.X), dec(j.Y)
				if len(x) != 32 || len(y) != 32 || j.Crv != "P-256" {
					t.Fatalf("EC coordinates %d, %d bytes on %s; want 32 each on P-256", len(x), len(y), j.Crv)
				}
				got = &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
			case "RSA":
				got = &rsa.PublicKey{N: new(big.Int).SetBytes(dec(j.N)), E: int(new(big.Int).SetBytes(dec(j.E)).Int64())}
			default:
				t.Fatalf("kty %q", j.Kty)
			}
			if !k.Public.(interface{ Equal(crypto.PublicKey) bool }).Equal(got) {
				t.Errorf("JWK %s does not decode to the key", raw)
			}
		})
	}
	if _, err := jwks.Encode(tokens.Key{ID: "h", Secret: []byte("an HMAC secret is never published")}); !errors.Is(err, jwks.ErrKeyType) {
		t.Errorf("HMAC key: err = %v, want ErrKeyType", err)
	}
}

type fakeKeys struct {
	keys []tokens.Key
	err  error
}

func (f fakeKeys) PublicKeys() ([]tokens.Key, error) { return f.keys, f.err }
func (fakeKeys) Algorithm() string                   { return "EdDSA" }

// TestHandler: both documents, their cache headers, and the failures.
func TestHandler(t *testing.T) {
	k, err := tokens.GenerateKey("EdDSA", "k1")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name, method, path, issuer string
		keys                       fakeKeys
		status                     int
		cache, body                string
	}{
		{"jwks", "GET", "/.well-known/jwks.json", "", fakeKeys{keys: []tokens.Key{k.PublicOnly()}}, 200, "public, max-age=300", `"kid":"k1"`},
		{"empty under HMAC", "GET", "/.well-known/jwks.json", "", fakeKeys{}, 200, "public, max-age=300", `{"keys":[]}`},
		{"keys unavailable fail closed", "GET", "/.well-known/jwks.json", "", fakeKeys{err: tokens.ErrKeysStale}, 503, "no-store", `{"msg":"Keys unavailable"}`},
		{"discovery", "GET", "/.well-known/openid-configuration", "https://auth.example.test/", fakeKeys{}, 200, "public, max-age=300",
			`{"id_token_signing_alg_values_supported":["EdDSA"],"issuer":"https://auth.example.test","jwks_uri":"https://auth.example.test/.well-known/jwks.json"}`},
		{"discovery without issuer", "GET", "/.well-known/openid-configuration", "", fakeKeys{}, 404, "no-store", `{"msg":"No issuer configured"}`},
		{"POST", "POST", "/.well-known/jwks.json", "", fakeKeys{}, 405, "no-store", `{"msg":"Method not allowed"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			jwks.Handler(tt.keys, tt.issuer, log, "").ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			body := strings.TrimSpace(rec.Body.String())
			if rec.Code != tt.status || rec.Header().Get("Cache-Control") != tt.cache || !strings.Contains(body, tt.body) ||
				rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("%d %q %s; want %d %q containing %s", rec.Code, rec.Header().Get("Cache-Control"), body, tt.status, tt.cache, tt.body)
			}
		})
	}
}
