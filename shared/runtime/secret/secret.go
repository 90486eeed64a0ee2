package secret

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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
// {"keys":[{"kid":"...","secret":"..."}, ...]}. The first key signs; every
// key verifies, so tokens signed before a rotation stay valid.
type KeySet struct {
	Keys []KeyEntry `json:"keys"`
}

// KeyEntry is one key of a KeySet.
type KeyEntry struct {
	KID    string `json:"kid"`
	Secret string `json:"secret"`
}

// Parse reads a secret value: a KeySet in JSON, or a plain secret string
// (what the template's generated secret is), whose kid is derived from a
// hash of it so tokens carry a kid either way.
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
	for i, k := range set.Keys {
		if k.KID == "" {
			return nil, fmt.Errorf("%w: key %d has no kid", ErrKeySet, i)
		}
		if err := config.CheckSecret([]byte(k.Secret), mode); err != nil {
			return nil, fmt.Errorf("secret: key %q: %w", k.KID, err)
		}
		keys = append(keys, tokens.Key{ID: k.KID, Secret: []byte(k.Secret)})
	}
	return keys, nil
}

// DerivedKID names a plain secret: 8 bytes of its SHA-256, which identify
// the key without revealing anything usable about a 256-bit secret.
func DerivedKID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "k" + hex.EncodeToString(sum[:8])
}

// Loader reads the keys cfg names.
type Loader struct {
	Config config.Config
	// API is Secrets Manager; nil when JWT_SECRET_KEY is set.
	API SecretsAPI
	// Timeout bounds one Secrets Manager call made by Reload.
	Timeout time.Duration
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
	d := l.Timeout
	if d <= 0 {
		d = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return l.Load(ctx)
}

// NewKey returns a key with 48 random bytes (64 base64 characters) and a
// kid naming the time it was made.
func NewKey(now time.Time) (KeyEntry, error) {
	b := make([]byte, 48)
	if _, err := rand.Read(b); err != nil {
		return KeyEntry{}, fmt.Errorf("secret: %w", err)
	}
	return KeyEntry{KID: now.UTC().Format("20060102T150405Z"), Secret: base64.RawURLEncoding.EncodeToString(b)}, nil
}

// Rotate returns the key set of raw (a KeySet or a plain secret) with next
// in front (it signs from now on) and at most keep keys in all.
func Rotate(raw string, next KeyEntry, keep int) (KeySet, error) {
	keys, err := Parse(raw, config.Lambda)
	if err != nil {
		return KeySet{}, err
	}
	set := KeySet{Keys: []KeyEntry{next}}
	for _, k := range keys {
		if k.ID == next.KID {
			return KeySet{}, fmt.Errorf("%w: kid %q already present", ErrKeySet, next.KID)
		}
		if len(set.Keys) < max(keep, 2) {
			set.Keys = append(set.Keys, KeyEntry{KID: k.ID, Secret: string(k.Secret)})
		}
	}
	return set, nil
}
