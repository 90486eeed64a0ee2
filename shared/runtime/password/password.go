package password

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
)

// ErrMismatch is a wrong password; ErrFormat a stored hash we cannot read.
var (
	ErrMismatch = errors.New("password: mismatch")
	ErrFormat   = errors.New("password: unreadable hash")
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// Default is OWASP's argon2id recommendation (see the package doc).
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// dummy is a hash of a random, forgotten password with Default parameters.
// Verifying against it costs what a real verification costs, so an unknown
// username takes as long as a wrong password.
const dummy = "$argon2id$v=19$m=19456,t=2,p=1$jfYUAV0rdIbraLneA98c6A$+LOVuo807RvMxkKWxE8n3vvHQ6aS6Jy7zDuVB4+yQiQ"

// Hash returns the PHC string of pw with fresh salt from rand.
func Hash(rnd io.Reader, pw string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// HashDefault hashes pw with Default parameters and crypto/rand.
func HashDefault(pw string) (string, error) { return Hash(rand.Reader, pw, Default) }

var b64 = base64.RawStdEncoding

// Verify returns nil when pw matches the stored hash, ErrMismatch when it
// does not, and ErrFormat (wrapped, with the reason) when stored cannot be
// read. stored may be any Scheme; each digest is compared in constant time.
// Login uses a Checker instead, which makes every outcome cost the same.
func Verify(stored, pw string) error {
	v, err := parseAny(stored)
	if err != nil {
		return err
	}
	return v.verify(pw)
}

// VerifyDummy spends the work of one argon2id verification with Default
// parameters and always fails.
func VerifyDummy(pw string) error {
	_ = Verify(dummy, pw)
	return ErrMismatch
}

func parse(phc string) (Params, []byte, []byte, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return Params{}, nil, nil, ErrFormat
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return Params{}, nil, nil, ErrFormat
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return Params{}, nil, nil, ErrFormat
	}
	// Refuse parameters that would let a tampered hash exhaust the function.
	if p.Memory < 8 || p.Memory > 256*1024 || p.Time < 1 || p.Time > 10 || p.Threads < 1 {
		return Params{}, nil, nil, ErrFormat
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return Params{}, nil, nil, ErrFormat
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return Params{}, nil, nil, ErrFormat
	}
	return p, salt, key, nil
}
