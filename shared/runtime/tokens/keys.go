package tokens

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Algorithm errors. Every check of which algorithms and keys jwtgate
// accepts is made here; config and secret call these functions rather than
// keep lists of their own.
var (
	ErrUnsupportedAlgorithm = errors.New("tokens: unsupported algorithm")
	ErrKeyType              = errors.New("tokens: key does not fit the algorithm")
	ErrNoSigningKey         = errors.New("tokens: no private key to sign with")
)

// Algorithms are the JWT_ALGORITHM values jwtgate signs and verifies, in
// the order the error message lists them: the HMAC family
// flask-jwt-extended defaults to, and one algorithm of each asymmetric
// family (Ed25519, P-256, RSA). PS* and the larger EC and RSA hashes are
// left out on purpose: one per family is what a key pair is generated for,
// and each algorithm accepted is one more to keep apart from the others.
var Algorithms = []string{"HS256", "HS384", "HS512", "EdDSA", "ES256", "RS256"}

// MinRSABits is the smallest RSA modulus accepted (NIST SP 800-57: 2048
// bits until 2030).
const MinRSABits = 2048

// CheckAlgorithm reports whether alg is one of Algorithms.
func CheckAlgorithm(alg string) error {
	if slices.Contains(Algorithms, alg) {
		return nil
	}
	return fmt.Errorf("%w %q (supported: %v)", ErrUnsupportedAlgorithm, alg, Algorithms)
}

// Asymmetric reports whether alg signs with a private key and verifies with
// a public one, so verifiers can be given the public key alone.
func Asymmetric(alg string) bool {
	switch alg {
	case "EdDSA", "ES256", "RS256":
		return true
	}
	return false
}

// CheckKey reports whether k can verify (and, with a private key, sign)
// tokens of alg: an HMAC secret for HS*, a public key of the algorithm's
// type otherwise. An asymmetric key is bound to the one algorithm it names.
func CheckKey(k Key, alg string) error {
	if err := CheckAlgorithm(alg); err != nil {
		return err
	}
	if !Asymmetric(alg) {
		if len(k.Secret) == 0 || k.Public != nil || k.Private != nil {
			return fmt.Errorf("%w: key %q: %s needs an HMAC secret", ErrKeyType, k.ID, alg)
		}
		return nil
	}
	if k.Algorithm != alg {
		return fmt.Errorf("%w: key %q is for %q, not %s", ErrKeyType, k.ID, k.Algorithm, alg)
	}
	if len(k.Secret) != 0 || k.Public == nil {
		return fmt.Errorf("%w: key %q: %s needs a public key", ErrKeyType, k.ID, alg)
	}
	if err := checkPublic(k.Public, alg); err != nil {
		return fmt.Errorf("key %q: %w", k.ID, err)
	}
	if k.Private != nil {
		pub, ok := k.Private.Public().(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(k.Public) {
			return fmt.Errorf("%w: key %q: private and public keys are not a pair", ErrKeyType, k.ID)
		}
	}
	return nil
}

func checkPublic(pub crypto.PublicKey, alg string) error {
	switch p := pub.(type) {
	case ed25519.PublicKey:
		if alg == "EdDSA" && len(p) == ed25519.PublicKeySize {
			return nil
		}
	case *ecdsa.PublicKey:
		if alg == "ES256" && p.Curve == elliptic.P256() {
			return nil
		}
	case *rsa.PublicKey:
		if alg == "RS256" && p.N.BitLen() >= MinRSABits {
			return nil
		}
		if alg == "RS256" {
			return fmt.Errorf("%w: RSA keys need at least %d bits", ErrKeyType, MinRSABits)
		}
	}
	return fmt.Errorf("%w: a %T is not a %s key", ErrKeyType, pub, alg)
}

// GenerateKey makes a new key pair for alg (Ed25519, P-256, or 2048-bit
// RSA) named id.
func GenerateKey(alg, id string) (Key, error) {
	if !Asymmetric(alg) {
		return Key{}, fmt.Errorf("%w: %q is not an asymmetric algorithm", ErrUnsupportedAlgorithm, alg)
	}
	var priv crypto.Signer
	var err error
	switch alg {
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, MinRSABits)
	}
	if err != nil {
		return Key{}, fmt.Errorf("tokens: generate %s key: %w", alg, err)
	}
	return Key{ID: id, Algorithm: alg, Private: priv, Public: priv.Public()}, nil
}

// PublicOnly returns k without its private half: what a verifier is given.
func (k Key) PublicOnly() Key {
	k.Private = nil
	return k
}

// ParsePrivateKeyPEM reads a PEM private key for alg (PKCS #8, or the
// PKCS #1 and SEC 1 forms openssl and flask-jwt-extended's examples write)
// and returns it as a Key named id, with its public half.
func ParsePrivateKeyPEM(alg, id, text string) (Key, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return Key{}, fmt.Errorf("%w: key %q: no PEM block", ErrKeyType, id)
	}
	var parsed any
	var err error
	switch {
	case block.Type == "PUBLIC KEY" || block.Type == "RSA PUBLIC KEY" || block.Type == "CERTIFICATE":
		// The likeliest mix-up (flask's JWT_PUBLIC_KEY for its
		// JWT_PRIVATE_KEY): say so rather than x509's ASN.1 complaint.
		return Key{}, fmt.Errorf("%w: key %q: a %s block, not a private key", ErrKeyType, id, block.Type)
	case block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED"):
		// PyJWT cannot read it either: flask passes no passphrase.
		return Key{}, fmt.Errorf("%w: key %q: the private key is encrypted: decrypt it first (openssl pkey -in KEY -out PLAIN)", ErrKeyType, id)
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		parsed, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return Key{}, fmt.Errorf("%w: key %q: %v", ErrKeyType, id, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok {
		return Key{}, fmt.Errorf("%w: key %q: %T cannot sign", ErrKeyType, id, parsed)
	}
	k := Key{ID: id, Algorithm: alg, Private: priv, Public: priv.Public()}
	return k, CheckKey(k, alg)
}

// ParsePublicKeyPEM reads a PEM public key (SubjectPublicKeyInfo, the
// "PUBLIC KEY" block JWT_PUBLIC_KEY holds) for alg as a Key named id.
func ParsePublicKeyPEM(alg, id, text string) (Key, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return Key{}, fmt.Errorf("%w: key %q: no PEM block", ErrKeyType, id)
	}
	var pub any
	var err error
	if block.Type == "RSA PUBLIC KEY" {
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	} else {
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	}
	if err != nil {
		return Key{}, fmt.Errorf("%w: key %q: %v", ErrKeyType, id, err)
	}
	k := Key{ID: id, Algorithm: alg, Public: pub}
	return k, CheckKey(k, alg)
}

// PrivateKeyPEM encodes k's private key as PKCS #8 PEM.
func (k Key) PrivateKeyPEM() (string, error) {
	if k.Private == nil {
		return "", ErrNoSigningKey
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return "", fmt.Errorf("tokens: key %q: %w", k.ID, err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// PublicKeyPEM encodes k's public key as SubjectPublicKeyInfo PEM, the form
// flask-jwt-extended's JWT_PUBLIC_KEY and PyJWT read.
func (k Key) PublicKeyPEM() (string, error) {
	if k.Public == nil {
		return "", fmt.Errorf("%w: key %q has no public key", ErrKeyType, k.ID)
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public)
	if err != nil {
		return "", fmt.Errorf("tokens: key %q: %w", k.ID, err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// signingMethod maps a checked algorithm name to golang-jwt's method.
func signingMethod(alg string) (jwt.SigningMethod, error) {
	if err := CheckAlgorithm(alg); err != nil {
		return nil, err
	}
	m := jwt.GetSigningMethod(alg)
	if m == nil {
		return nil, fmt.Errorf("%w %q", ErrUnsupportedAlgorithm, alg)
	}
	return m, nil
}

// signingKey is what golang-jwt's Sign takes for k.
func (k Key) signingKey() (any, error) {
	if len(k.Secret) > 0 {
		return k.Secret, nil
	}
	if k.Private == nil {
		return nil, ErrNoSigningKey
	}
	return k.Private, nil
}

// verifyKey is what golang-jwt's Verify takes for a token of alg signed
// with k, or false when k cannot verify alg: a public key only for the
// algorithm it is bound to, an HMAC secret only for HS*. This is what keeps
// an RS256 public key from being used as an HS256 secret (algorithm
// confusion).
func (k Key) verifyKey(alg string) (any, bool) {
	if len(k.Secret) > 0 {
		return k.Secret, !Asymmetric(alg)
	}
	return k.Public, k.Public != nil && k.Algorithm == alg
}

// PublicKeys returns the public halves of the asymmetric keys this Service
// verifies with now (re-read as Parse would), in key-set order: what the
// JWKS publishes. HMAC secrets are never included.
func (s *Service) PublicKeys() ([]Key, error) {
	ks, err := s.current()
	if err != nil {
		return nil, err
	}
	var out []Key
	for _, k := range ks.keys {
		if k.Public != nil {
			out = append(out, k.PublicOnly())
		}
	}
	return out, nil
}

// Algorithm is the algorithm new tokens are signed with.
func (s *Service) Algorithm() string { return s.opts.Algorithm }
