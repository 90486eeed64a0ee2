package tokens_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

var asymmetric = []string{"EdDSA", "ES256", "RS256"}

func generate(t *testing.T, alg, id string) tokens.Key {
	t.Helper()
	k, err := tokens.GenerateKey(alg, id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestAsymmetricRoundTrip: a signer holding the private key issues tokens a
// verifier holding only the public key accepts, with the algorithm and kid
// in the header; the verifier cannot sign.
func TestAsymmetricRoundTrip(t *testing.T) {
	for _, alg := range asymmetric {
		t.Run(alg, func(t *testing.T) {
			clk := &fakeClock{now: t0}
			k := generate(t, alg, "k1")
			signer := newService(t, clk, func(o *tokens.Options) { o.Algorithm = alg; o.Keys = []tokens.Key{k} })
			verifier := newService(t, clk, func(o *tokens.Options) { o.Algorithm = alg; o.Keys = []tokens.Key{k.PublicOnly()} })
			iss, err := signer.Issue(tokens.Access, tokens.Subject{Name: "alice", Roles: []string{"user"}}, "s1", true)
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := jwt.NewParser().ParseUnverified(iss.Token, jwt.MapClaims{})
			if err != nil {
				t.Fatal(err)
			}
			if tok.Header["alg"] != alg || tok.Header["kid"] != "k1" {
				t.Errorf("header = %v, want alg %s kid k1", tok.Header, alg)
			}
			c, err := verifier.Parse(iss.Token)
			if err != nil || c.Subject != "alice" || !c.Fresh.Fresh {
				t.Fatalf("verifier Parse = %+v, %v", c, err)
			}
			if _, err := verifier.Issue(tokens.Access, tokens.Subject{Name: "mallory"}, "s2", true); !errors.Is(err, tokens.ErrNoSigningKey) {
				t.Errorf("verifier Issue: err = %v, want ErrNoSigningKey", err)
			}
			// Another key pair of the same algorithm under the same kid.
			other := generate(t, alg, "k1")
			forger := newService(t, clk, func(o *tokens.Options) { o.Algorithm = alg; o.Keys = []tokens.Key{other} })
			forged, err := forger.Issue(tokens.Access, tokens.Subject{Name: "mallory"}, "s3", true)
			if err != nil {
				t.Fatal(err)
			}
			_, err = verifier.Parse(forged.Token)
			wantRefused(t, err, tokens.ErrSignature, "Signature verification failed")
		})
	}
}

// TestPEMRoundTrip: keys survive PKCS #8 / SPKI PEM, the forms stored in
// the secret and given to flask-jwt-extended.
func TestPEMRoundTrip(t *testing.T) {
	for _, alg := range asymmetric {
		t.Run(alg, func(t *testing.T) {
			k := generate(t, alg, "k1")
			privPEM, err := k.PrivateKeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			pubPEM, err := k.PublicKeyPEM()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(privPEM, "-----BEGIN PRIVATE KEY-----") || !strings.HasPrefix(pubPEM, "-----BEGIN PUBLIC KEY-----") {
				t.Fatalf("PEM blocks:\n%s\n%s", privPEM, pubPEM)
			}
			priv, err := tokens.ParsePrivateKeyPEM(alg, "k1", privPEM)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := tokens.ParsePublicKeyPEM(alg, "k1", pubPEM)
			if err != nil {
				t.Fatal(err)
			}
			clk := &fakeClock{now: t0}
			signer := newService(t, clk, func(o *tokens.Options) { o.Algorithm = alg; o.Keys = []tokens.Key{priv} })
			verifier := newService(t, clk, func(o *tokens.Options) { o.Algorithm = alg; o.Keys = []tokens.Key{pub} })
			iss, err := signer.Issue(tokens.Refresh, tokens.Subject{Name: "bob"}, "s", false)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := verifier.Parse(iss.Token); err != nil {
				t.Fatal(err)
			}
			// A key of one family read as another is refused.
			for _, wrong := range asymmetric {
				if wrong == alg {
					continue
				}
				if _, err := tokens.ParsePublicKeyPEM(wrong, "k1", pubPEM); !errors.Is(err, tokens.ErrKeyType) {
					t.Errorf("%s key read as %s: err = %v, want ErrKeyType", alg, wrong, err)
				}
			}
		})
	}
}

// TestAlgorithmConfusion: with RS256 and HS256 both accepted, a token
// signed with HS256 using the RSA public key's PEM as the HMAC secret (the
// classic attack on libraries that let the header choose how a key is
// used) is refused: a public key verifies only its own algorithm.
func TestAlgorithmConfusion(t *testing.T) {
	clk := &fakeClock{now: t0}
	k := generate(t, "RS256", "rsa")
	pubPEM, err := k.PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	s := newService(t, clk, func(o *tokens.Options) {
		o.Algorithm = "RS256"
		o.DecodeAlgorithms = []string{"RS256", "HS256"}
		o.Keys = []tokens.Key{k.PublicOnly(), {ID: "hmac", Secret: secret}}
	})
	for _, tc := range []struct {
		name   string
		header map[string]any
	}{
		{"kid of the RSA key", map[string]any{"kid": "rsa"}},
		{"no kid", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forged := sign(t, jwt.SigningMethodHS256, validClaims(t0), []byte(pubPEM), tc.header)
			c, err := s.Parse(forged)
			if c != nil || err == nil {
				t.Fatalf("forged token accepted: %+v", c)
			}
			if !errors.Is(err, tokens.ErrAlgorithm) && !errors.Is(err, tokens.ErrSignature) {
				t.Fatalf("err = %v, want ErrAlgorithm or ErrSignature", err)
			}
		})
	}
	t.Run("the HMAC key still verifies HS256", func(t *testing.T) {
		good := sign(t, jwt.SigningMethodHS256, validClaims(t0), secret, map[string]any{"kid": "hmac"})
		if _, err := s.Parse(good); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAlgorithmChecks: New refuses algorithms outside the list and keys
// that do not fit the algorithm, in the one place config and secret call.
func TestAlgorithmChecks(t *testing.T) {
	ed := generate(t, "EdDSA", "ed")
	es := generate(t, "ES256", "es")
	tests := []struct {
		name string
		opts tokens.Options
		want error
	}{
		{"PS256 unsupported", tokens.Options{Algorithm: "PS256", Keys: []tokens.Key{ed}}, tokens.ErrUnsupportedAlgorithm},
		{"none unsupported", tokens.Options{Algorithm: "none", Keys: []tokens.Key{{Secret: secret}}}, tokens.ErrUnsupportedAlgorithm},
		{"decode none unsupported", tokens.Options{DecodeAlgorithms: []string{"HS256", "none"}, Keys: []tokens.Key{{Secret: secret}}}, tokens.ErrUnsupportedAlgorithm},
		{"HMAC secret for EdDSA", tokens.Options{Algorithm: "EdDSA", Keys: []tokens.Key{{ID: "h", Secret: secret}}}, tokens.ErrKeyType},
		{"Ed25519 key for HS256", tokens.Options{Keys: []tokens.Key{ed}}, tokens.ErrKeyType},
		{"P-256 key for EdDSA", tokens.Options{Algorithm: "EdDSA", Keys: []tokens.Key{es}}, tokens.ErrKeyType},
		{"verify-only key outside the decode algorithms", tokens.Options{Algorithm: "EdDSA", Keys: []tokens.Key{ed, es.PublicOnly()}}, tokens.ErrKeyType},
		{"mismatched pair", tokens.Options{Algorithm: "EdDSA", Keys: []tokens.Key{{ID: "x", Algorithm: "EdDSA", Private: ed.Private, Public: generate(t, "EdDSA", "y").Public}}}, tokens.ErrKeyType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tokens.New(tt.opts); !errors.Is(err, tt.want) {
				t.Fatalf("New: err = %v, want %v", err, tt.want)
			}
		})
	}
	for _, alg := range tokens.Algorithms {
		if err := tokens.CheckAlgorithm(alg); err != nil {
			t.Errorf("CheckAlgorithm(%s) = %v", alg, err)
		}
	}
	if _, err := tokens.New(tokens.Options{Algorithm: "EdDSA", DecodeAlgorithms: []string{"EdDSA", "ES256"},
		Keys: []tokens.Key{ed, es.PublicOnly()}}); err != nil {
		t.Errorf("a verify-only ES256 key beside an EdDSA signer: %v", err)
	}
}

// TestRemovedKeyStopsVerifying (issue 12, item 12): a warm container re-reads
// its keys every RefreshEvery, so a key removed from the key source stops
// verifying within that bound without any unknown kid; while the source
// cannot be read the last good keys serve up to MaxKeyAge, then every token
// is refused.
func TestRemovedKeyStopsVerifying(t *testing.T) {
	clk := &fakeClock{now: t0}
	compromised := generate(t, "EdDSA", "old")
	next := generate(t, "EdDSA", "new")
	source := []tokens.Key{next.PublicOnly(), compromised.PublicOnly()}
	var sourceErr error
	reads := 0
	verifier := newService(t, clk, func(o *tokens.Options) {
		o.Algorithm = "EdDSA"
		o.Keys = source
		o.Reload = func() ([]tokens.Key, error) { reads++; return source, sourceErr }
	})
	stolen := newService(t, clk, func(o *tokens.Options) { o.Algorithm = "EdDSA"; o.Keys = []tokens.Key{compromised} })
	honest := newService(t, clk, func(o *tokens.Options) { o.Algorithm = "EdDSA"; o.Keys = []tokens.Key{next} })
	mint := func(s *tokens.Service) string {
		t.Helper()
		iss, err := s.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "s", true)
		if err != nil {
			t.Fatal(err)
		}
		return iss.Token
	}
	if _, err := verifier.Parse(mint(stolen)); err != nil {
		t.Fatalf("before the removal: %v", err)
	}
	source = []tokens.Key{next.PublicOnly()} // the emergency removal
	clk.Advance(tokens.DefaultRefreshEvery - time.Second)
	if _, err := verifier.Parse(mint(stolen)); err != nil || reads != 0 {
		t.Fatalf("within the refresh period: %v (reads %d)", err, reads)
	}
	clk.Advance(time.Second)
	_, err := verifier.Parse(mint(stolen))
	wantRefused(t, err, tokens.ErrUnknownKey, "Unknown signing key")
	if reads != 1 {
		t.Errorf("reads = %d, want 1 periodic re-read", reads)
	}
	if _, err := verifier.Parse(mint(honest)); err != nil {
		t.Fatalf("the remaining key: %v", err)
	}

	t.Run("failing source fails closed after MaxKeyAge", func(t *testing.T) {
		sourceErr = errors.New("secrets manager unreachable")
		clk.Advance(tokens.DefaultRefreshEvery)
		if _, err := verifier.Parse(mint(honest)); err != nil {
			t.Fatalf("a failed re-read keeps the last good keys: %v", err)
		}
		clk.Advance(tokens.DefaultMaxKeyAge - tokens.DefaultRefreshEvery)
		c, err := verifier.Parse(mint(honest))
		if c != nil || !errors.Is(err, tokens.ErrKeysStale) {
			t.Fatalf("past MaxKeyAge: %+v, %v; want ErrKeysStale", c, err)
		}
		if _, ok := tokens.Message(err); ok {
			t.Errorf("ErrKeysStale carries a client message: it is a failure, not a token verdict")
		}
		sourceErr = nil
		clk.Advance(tokens.DefaultReloadEvery)
		if _, err := verifier.Parse(mint(honest)); err != nil {
			t.Fatalf("after the source recovers: %v", err)
		}
	})
}
