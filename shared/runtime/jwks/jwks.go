package jwks

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"strings"

	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// Paths the Handler serves.
const (
	JWKSPath      = "/.well-known/jwks.json"
	DiscoveryPath = "/.well-known/openid-configuration"
)

// MaxAge is how long a client may cache either document. A key retired
// here leaves third-party caches within MaxAge plus the verifiers' refresh
// (tokens.DefaultRefreshEvery); a new key must be published that long
// before it signs (docs/keys.md).
const MaxAge = 300

// ErrKeyType means a key has no JWK form here.
var ErrKeyType = errors.New("jwks: unsupported key type")

// JWK is one public key as RFC 7517 writes it.
type JWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// Set is a JWK Set.
type Set struct {
	Keys []JWK `json:"keys"`
}

var b64 = base64.RawURLEncoding

// Encode is k's public key as a JWK.
func Encode(k tokens.Key) (JWK, error) {
	j := JWK{Use: "sig", Alg: k.Algorithm, Kid: k.ID}
	switch p := k.Public.(type) {
	case ed25519.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64.EncodeToString(p)
	case *ecdsa.PublicKey:
		raw, err := p.Bytes() // 0x04 || X || Y, each padded to the field size
		if err != nil || len(raw) != 65 {
			return JWK{}, fmt.Errorf("%w: key %q: %v", ErrKeyType, k.ID, err)
		}
		j.Kty, j.Crv, j.X, j.Y = "EC", "P-256", b64.EncodeToString(raw[1:33]), b64.EncodeToString(raw[33:])
	case *rsa.PublicKey:
		j.Kty, j.N, j.E = "RSA", b64.EncodeToString(p.N.Bytes()), b64.EncodeToString(big.NewInt(int64(p.E)).Bytes())
	default:
		return JWK{}, fmt.Errorf("%w: key %q is a %T", ErrKeyType, k.ID, k.Public)
	}
	return j, nil
}

// EncodeSet is keys as a JWK Set, in order.
func EncodeSet(keys []tokens.Key) (Set, error) {
	set := Set{Keys: []JWK{}}
	for _, k := range keys {
		j, err := Encode(k)
		if err != nil {
			return Set{}, err
		}
		set.Keys = append(set.Keys, j)
	}
	return set, nil
}

// KeySource is what the Handler needs of the verifiers' keys
// (*tokens.Service).
type KeySource interface {
	PublicKeys() ([]tokens.Key, error)
	Algorithm() string
}

// Handler serves JWKSPath and DiscoveryPath. issuer is JWT_ENCODE_ISSUER:
// the discovery document exists only when tokens carry an iss to match.
// Error bodies are written under msgKey (JWT_ERROR_MESSAGE_KEY; "" is
// flask's "msg").
func Handler(keys KeySource, issuer string, log *slog.Logger, msgKey string) http.Handler {
	issuer = strings.TrimSuffix(issuer, "/")
	if msgKey == "" {
		msgKey = "msg"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			reply(w, http.StatusMethodNotAllowed, map[string]string{msgKey: "Method not allowed"}, false)
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, JWKSPath):
			ks, err := keys.PublicKeys()
			var set Set
			if err == nil {
				set, err = EncodeSet(ks)
			}
			if err != nil {
				// Fail closed: no stale or partial set is published.
				log.Error("jwks: keys unavailable", "err", err)
				reply(w, http.StatusServiceUnavailable, map[string]string{msgKey: "Keys unavailable"}, false)
				return
			}
			reply(w, http.StatusOK, set, true)
		case strings.HasSuffix(r.URL.Path, DiscoveryPath):
			if issuer == "" {
				reply(w, http.StatusNotFound, map[string]string{msgKey: "No issuer configured"}, false)
				return
			}
			reply(w, http.StatusOK, map[string]any{
				"issuer":                                issuer,
				"jwks_uri":                              issuer + JWKSPath,
				"id_token_signing_alg_values_supported": []string{keys.Algorithm()},
			}, true)
		default:
			reply(w, http.StatusNotFound, map[string]string{msgKey: "Not found"}, false)
		}
	})
}

func reply(w http.ResponseWriter, status int, body any, cache bool) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if cache {
		h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", MaxAge))
	} else {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
