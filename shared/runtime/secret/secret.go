package secret

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// Errors of key loading.
var (
	ErrNoSecret = errors.New("secret: no signing secret configured")
	ErrKeySet   = errors.New("secret: unreadable key set")
)

// SecretsAPI is the Secrets Manager call the loader makes.
type SecretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// KeySet is the JSON form of several keys, written by `jwtgate keys`:
// {"keys":[{"kid":"...","secret":"..."}, ...]} for HMAC,
// {"keys":[{"kid":"...","alg":"EdDSA","private_key":"-----BEGIN..."}]} for
// key pairs (the signing functions' secret) and the same with "public_key"
// for the public set verifiers read. The first key signs; every key
// verifies, so tokens signed before a rotation stay valid.
type KeySet struct {
	Keys []KeyEntry `json:"keys"`
}

// KeyEntry is one key of a KeySet: an HMAC secret (no alg), or a key pair's
// PEM private key (PKCS #8) or PEM public key (SubjectPublicKeyInfo) with
// the one algorithm it is for.
type KeyEntry struct {
	KID        string `json:"kid"`
	Alg        string `json:"alg,omitempty"`
	Secret     string `json:"secret,omitempty"`
	PrivateKey string `json:"private_key,omitempty"`
	PublicKey  string `json:"public_key,omitempty"`
}

// Parse reads a secret value: a KeySet in JSON, or a plain secret string
// (what the template's generated secret is), whose kid is derived from a
// hash of it so tokens carry a kid either way. Which key fits which
// algorithm is tokens' to check (tokens.New); Parse only decodes.
func Parse(raw string, mode config.Mode) ([]tokens.Key, error) {
	raw = strings.TrimSpace(raw)
	var set KeySet
	if strings.HasPrefix(raw, "{") {
		if err := json.Unmarshal([]byte(raw), &set); err != nil || len(set.Keys) == 0 {
			return nil, fmt.Errorf("%w: want {\"keys\":[{\"kid\",\"secret\"}]}", ErrKeySet)
		}
	} else {
		set.Keys = []KeyEntry{{KID: DerivedKID(raw), Secret: raw}}
	}
	keys := make([]tokens.Key, 0, len(set.Keys))
	for i, e := range set.Keys {
		if e.KID == "" {
			return nil, fmt.Errorf("%w: key %d has no kid", ErrKeySet, i)
		}
		k, err := e.key(mode)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func (e KeyEntry) key(mode config.Mode) (tokens.Key, error) {
	switch {
	case e.Alg == "":
		if err := config.CheckSecret([]byte(e.Secret), mode); err != nil {
			return tokens.Key{}, fmt.Errorf("secret: key %q: %w", e.KID, err)
		}
		return tokens.Key{ID: e.KID, Secret: []byte(e.Secret)}, nil
	case e.Secret != "":
		return tokens.Key{}, fmt.Errorf("%w: key %q: an %s key has no \"secret\"", ErrKeySet, e.KID, e.Alg)
	case e.PrivateKey != "":
		return tokens.ParsePrivateKeyPEM(e.Alg, e.KID, e.PrivateKey)
	case e.PublicKey != "":
		return tokens.ParsePublicKeyPEM(e.Alg, e.KID, e.PublicKey)
	}
	return tokens.Key{}, fmt.Errorf("%w: key %q has neither private_key nor public_key", ErrKeySet, e.KID)
}

// Entry is the KeySet form of k: its secret, or its private key when it
// has one, else its public key.
func Entry(k tokens.Key) (KeyEntry, error) {
	if len(k.Secret) > 0 {
		return KeyEntry{KID: k.ID, Secret: string(k.Secret)}, nil
	}
	e := KeyEntry{KID: k.ID, Alg: k.Algorithm}
	var err error
	if k.Private != nil {
		e.PrivateKey, err = k.PrivateKeyPEM()
	} else {
		e.PublicKey, err = k.PublicKeyPEM()
	}
	return e, err
}

// PublicSet is the public half of keys, in order: what verifiers and the
// JWKS read. HMAC secrets have no public half and are left out.
func PublicSet(keys []tokens.Key) (KeySet, error) {
	set := KeySet{Keys: []KeyEntry{}}
	for _, k := range keys {
		if len(k.Secret) > 0 {
			continue
		}
		e, err := Entry(k.PublicOnly())
		if err != nil {
			return KeySet{}, err
		}
		set.Keys = append(set.Keys, e)
	}
	return set, nil
}

// JSON is the set as stored.
func (s KeySet) JSON() string {
	b, _ := json.Marshal(s) // strings only: cannot fail
	return string(b)
}

// DerivedKID names a plain secret, or an imported key pair by its public
// key's PEM: 8 bytes of its SHA-256, which identify the key without
// revealing anything usable about a 256-bit secret.
func DerivedKID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "k" + hex.EncodeToString(sum[:8])
}

// PublicSource is where verifiers read the public key set when the
// algorithm is asymmetric (dynamostore.PublicKeys, a DynamoDB item the
// stack's functions can read and none can write).
type PublicSource interface {
	PublicKeys(ctx context.Context) (string, error)
}

// Loader reads the keys cfg names.
type Loader struct {
	Config config.Config
	// API is Secrets Manager; nil when JWT_SECRET_KEY is set, and on
	// verifiers of an asymmetric algorithm.
	API SecretsAPI
	// Public is the public key set, for LoadPublic.
	Public PublicSource
	// Timeout bounds one call made by Reload or ReloadPublic.
	Timeout time.Duration
}

// LoadPublic returns the public keys a verifier needs: from JWT_SECRET_KEY
// when set (its public halves; dev and tests), else from Public. It never
// reads the private key's secret.
func (l Loader) LoadPublic(ctx context.Context) ([]tokens.Key, error) {
	if l.Config.SecretKey != "" {
		keys, err := Parse(l.Config.SecretKey, l.Config.Mode)
		if err != nil {
			return nil, err
		}
		for i := range keys {
			keys[i] = keys[i].PublicOnly()
		}
		return keys, nil
	}
	if l.Public == nil {
		return nil, ErrNoSecret
	}
	raw, err := l.Public.PublicKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("secret: public keys: %w", err)
	}
	keys, err := Parse(raw, l.Config.Mode)
	if err != nil {
		return nil, fmt.Errorf("secret: public keys: %w", err)
	}
	for _, k := range keys {
		if k.Private != nil || len(k.Secret) > 0 {
			return nil, fmt.Errorf("%w: the public key set holds a private key or secret (%q)", ErrKeySet, k.ID)
		}
	}
	return keys, nil
}

// ReloadPublic is LoadPublic for tokens.Options.Reload.
func (l Loader) ReloadPublic() ([]tokens.Key, error) {
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout())
	defer cancel()
	return l.LoadPublic(ctx)
}

func (l Loader) timeout() time.Duration {
	if l.Timeout <= 0 {
		return 2 * time.Second
	}
	return l.Timeout
}

// Load returns the keys: JWT_SECRET_KEY when set, else the Secrets Manager
// secret JWT_SECRET_ARN.
func (l Loader) Load(ctx context.Context) ([]tokens.Key, error) {
	raw := l.Config.SecretKey
	if raw == "" {
		if l.Config.SecretARN == "" || l.API == nil {
			return nil, ErrNoSecret
		}
		out, err := l.API.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(l.Config.SecretARN)})
		if err != nil {
			return nil, fmt.Errorf("secret: get %s: %w", l.Config.SecretARN, err)
		}
		raw = aws.ToString(out.SecretString)
	}
	return Parse(raw, l.Config.Mode)
}

// Reload is Load for tokens.Options.Reload: a fresh, bounded context.
func (l Loader) Reload() ([]tokens.Key, error) {
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout())
	defer cancel()
	return l.Load(ctx)
}

// NewKey returns a key with 48 random bytes (64 base64 characters) and a
// kid naming the time it was made (newKID).
func NewKey(now time.Time) (KeyEntry, error) {
	b := make([]byte, 48)
	if _, err := rand.Read(b); err != nil {
		return KeyEntry{}, fmt.Errorf("secret: %w", err)
	}
	kid, err := newKID(now)
	if err != nil {
		return KeyEntry{}, err
	}
	return KeyEntry{KID: kid, Secret: base64.RawURLEncoding.EncodeToString(b)}, nil
}

// NewKeyPair returns a new key pair for alg (tokens.GenerateKey) with a kid
// naming the time it was made (newKID).
func NewKeyPair(alg string, now time.Time) (KeyEntry, error) {
	kid, err := newKID(now)
	if err != nil {
		return KeyEntry{}, err
	}
	k, err := tokens.GenerateKey(alg, kid)
	if err != nil {
		return KeyEntry{}, err
	}
	return Entry(k)
}

// newKID names a key by when it was made, which sorts and reads well in a
// key set, plus four random hex digits: two keys made in the same second
// (a generate then a rotate in one script) must not share a kid.
func newKID(now time.Time) (string, error) {
	var b [2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("secret: kid: %w", err)
	}
	return fmt.Sprintf("%s-%x", now.UTC().Format("20060102T150405Z"), b), nil
}

// entries re-reads raw (a KeySet or a plain secret) as entries, checking
// every key decodes.
func entries(raw string) ([]KeyEntry, error) {
	keys, err := Parse(raw, config.Lambda)
	if err != nil {
		return nil, err
	}
	out := make([]KeyEntry, 0, len(keys))
	for _, k := range keys {
		e, err := Entry(k)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func index(es []KeyEntry, kid string) int {
	for i, e := range es {
		if e.KID == kid {
			return i
		}
	}
	return -1
}

// Rotate returns the key set of raw (a KeySet or a plain secret) with next
// in front (it signs from now on) and at most keep keys in all.
func Rotate(raw string, next KeyEntry, keep int) (KeySet, error) {
	es, err := entries(raw)
	if err != nil {
		return KeySet{}, err
	}
	if index(es, next.KID) >= 0 {
		return KeySet{}, fmt.Errorf("%w: kid %q already present", ErrKeySet, next.KID)
	}
	set := KeySet{Keys: []KeyEntry{next}}
	for _, e := range es {
		if len(set.Keys) < max(keep, 2) {
			set.Keys = append(set.Keys, e)
		}
	}
	return set, nil
}

// Add returns raw's key set with next after the signing key: it verifies
// (and is published) but does not sign until Promote. This is the first
// step of a rotation third-party verifiers follow without a gap.
func Add(raw string, next KeyEntry) (KeySet, error) {
	es, err := entries(raw)
	if err != nil {
		return KeySet{}, err
	}
	if index(es, next.KID) >= 0 {
		return KeySet{}, fmt.Errorf("%w: kid %q already present", ErrKeySet, next.KID)
	}
	return KeySet{Keys: append([]KeyEntry{es[0], next}, es[1:]...)}, nil
}

// Promote returns raw's key set with kid in front: it signs from now on,
// and the previous signing key still verifies.
func Promote(raw, kid string) (KeySet, error) {
	es, err := entries(raw)
	if err != nil {
		return KeySet{}, err
	}
	i := index(es, kid)
	if i < 0 {
		return KeySet{}, fmt.Errorf("%w: no key %q", ErrKeySet, kid)
	}
	out := append([]KeyEntry{es[i]}, es[:i]...)
	return KeySet{Keys: append(out, es[i+1:]...)}, nil
}

// Retire returns raw's key set without kid: tokens it signed stop
// verifying. The signing key cannot be retired (promote another first).
func Retire(raw, kid string) (KeySet, error) {
	es, err := entries(raw)
	if err != nil {
		return KeySet{}, err
	}
	switch i := index(es, kid); {
	case i < 0:
		return KeySet{}, fmt.Errorf("%w: no key %q", ErrKeySet, kid)
	case i == 0:
		return KeySet{}, fmt.Errorf("%w: %q is the signing key: promote another key first", ErrKeySet, kid)
	default:
		return KeySet{Keys: append(es[:i:i], es[i+1:]...)}, nil
	}
}

// Import returns raw's key set with key, the HMAC secret another app (the
// Flask app being migrated) signs with, in front: it signs from now on, so
// that app verifies jwtgate's tokens, and every key raw held still
// verifies. Its kid is DerivedKID(key); a set already holding it only
// moves it to the front. raw "" is an empty set (a new key file). A set of
// key pairs is refused: their verifiers read the public keys table and
// never an HMAC secret, so the key could not verify the other app's tokens.
func Import(raw, key string) (KeySet, error) {
	if err := config.CheckSecret([]byte(key), config.Lambda); err != nil {
		return KeySet{}, fmt.Errorf("secret: imported key: %w", err)
	}
	next := KeyEntry{KID: DerivedKID(key), Secret: key}
	if strings.TrimSpace(raw) == "" {
		return KeySet{Keys: []KeyEntry{next}}, nil
	}
	es, err := entries(raw)
	if err != nil {
		return KeySet{}, err
	}
	for _, e := range es {
		if e.Alg != "" {
			return KeySet{}, fmt.Errorf("%w: key %q is an %s key pair: an HMAC key cannot join the set (its verifiers never read a secret)", ErrKeySet, e.KID, e.Alg)
		}
	}
	if i := index(es, next.KID); i >= 0 {
		return Promote(raw, next.KID)
	}
	return KeySet{Keys: append([]KeyEntry{next}, es...)}, nil
}

// importedID names an imported key pair while it is read, before its kid
// (derived from its public key) is known.
const importedID = "imported"

// ImportKeyPair returns raw's key set with the key pair another app signs
// with (the Flask app's JWT_PRIVATE_KEY: PEM, PKCS #8 or the PKCS #1 and
// SEC 1 forms) for alg in front: it signs from now on, so that app's
// JWT_PUBLIC_KEY verifies jwtgate's tokens, and every key raw held still
// verifies. Which key fits alg is tokens' to say (ParsePrivateKeyPEM calls
// CheckKey). Its kid is DerivedKID of its public key's PEM, so a set
// already holding it only moves it to the front. raw "" is an empty set.
// Keys of another algorithm are kept here; the caller drops them, as a
// rotation to another algorithm does.
func ImportKeyPair(raw, alg, privatePEM string) (KeySet, error) {
	if !tokens.Asymmetric(alg) {
		return KeySet{}, fmt.Errorf("%w: %q is not a key pair algorithm", tokens.ErrUnsupportedAlgorithm, alg)
	}
	privatePEM, err := soleKeyBlock(privatePEM)
	if err != nil {
		return KeySet{}, err
	}
	k, err := tokens.ParsePrivateKeyPEM(alg, importedID, privatePEM)
	if err != nil {
		return KeySet{}, fmt.Errorf("secret: imported key: %w%s", err, fittingAlgorithm(alg, privatePEM))
	}
	pub, err := k.PublicKeyPEM()
	if err != nil {
		return KeySet{}, err
	}
	k.ID = DerivedKID(pub)
	next, err := Entry(k)
	if err != nil {
		return KeySet{}, err
	}
	if strings.TrimSpace(raw) == "" {
		return KeySet{Keys: []KeyEntry{next}}, nil
	}
	es, err := entries(raw)
	if err != nil {
		return KeySet{}, err
	}
	// The same key already in the set (a re-import, or its public half
	// kept to verify) gives way to the entry just read, which holds the
	// private key: the front entry must be able to sign.
	if i := index(es, next.KID); i >= 0 {
		es = append(es[:i:i], es[i+1:]...)
	}
	return KeySet{Keys: append([]KeyEntry{next}, es...)}, nil
}

// soleKeyBlock returns the one PEM block of an imported private key, past
// the EC PARAMETERS block `openssl ecparam -genkey` writes before it (PyJWT
// reads such a file as JWT_PRIVATE_KEY); a second key block is refused,
// since which one the other app signs with cannot be told.
func soleKeyBlock(text string) (string, error) {
	rest := []byte(text)
	var key []byte
	for {
		block, next := pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "EC PARAMETERS" {
			if key != nil {
				return "", errors.New("secret: imported key: more than one PEM block; want the private key alone")
			}
			key = rest[:len(rest)-len(next)]
		}
		rest = next
	}
	if key == nil {
		return text, nil // not PEM: ParsePrivateKeyPEM says so
	}
	return string(key), nil
}

// fittingAlgorithm names the algorithm a private key that does not fit alg
// is for, when it is one jwtgate takes: the likeliest mistake is the flag.
func fittingAlgorithm(alg, privatePEM string) string {
	for _, a := range tokens.Algorithms {
		if a == alg || !tokens.Asymmetric(a) {
			continue
		}
		if _, err := tokens.ParsePrivateKeyPEM(a, importedID, privatePEM); err == nil {
			return fmt.Sprintf(" (it is an %s key: --algorithm %s, and JWT_ALGORITHM=%s as the other app has it)", a, a, a)
		}
	}
	return ""
}
