package password

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/pbkdf2"
	"golang.org/x/crypto/scrypt"
)

// Scheme names a stored hash's algorithm.
type Scheme string

// The schemes Verify reads. Argon2id is the only one Hash writes; the
// others are imported from a Flask app (werkzeug's pbkdf2 and scrypt,
// bcrypt, argon2i) and replaced with argon2id at the user's next login.
const (
	Argon2id Scheme = "argon2id"
	Argon2i  Scheme = "argon2i"
	PBKDF2   Scheme = "pbkdf2"
	Scrypt   Scheme = "scrypt"
	Bcrypt   Scheme = "bcrypt"
)

// ErrAmbiguous is a werkzeug hash that does not say its cost
// ("pbkdf2:sha256$..."): its iteration count is the default of whichever
// werkzeug wrote it, which the hash does not record.
var ErrAmbiguous = fmt.Errorf("%w: werkzeug hash without an explicit iteration count (its value depends on the werkzeug version that wrote it)", ErrFormat)

// Cost bounds of imported hashes. A stored hash chooses its own cost, so a
// hostile or corrupt one could otherwise make one login burn seconds of
// CPU or gigabytes of memory. Each bound sits well above the libraries'
// current defaults (werkzeug 3: pbkdf2 600000 iterations, scrypt
// n=32768,r=8,p=1; bcrypt 12).
const (
	MaxPBKDF2Iterations = 1_200_000
	MaxScryptMemory     = 64 << 20 // bytes: 128*n*r*p
	MaxBcryptCost       = 14
)

// scryptKeyLen is werkzeug 3's dklen for scrypt.
const scryptKeyLen = 64

// Identify returns the scheme of a stored hash without checking that the
// rest of it is readable (Check does that).
func Identify(stored string) (Scheme, error) {
	switch {
	case strings.HasPrefix(stored, "$argon2id$"):
		return Argon2id, nil
	case strings.HasPrefix(stored, "$argon2i$"):
		return Argon2i, nil
	case strings.HasPrefix(stored, "$2a$"), strings.HasPrefix(stored, "$2b$"), strings.HasPrefix(stored, "$2y$"):
		return Bcrypt, nil
	case strings.HasPrefix(stored, "pbkdf2:"):
		return PBKDF2, nil
	case strings.HasPrefix(stored, "scrypt:"):
		return Scrypt, nil
	}
	return "", ErrFormat
}

// Legacy reports whether stored should be replaced with an argon2id hash
// at the next successful login (it is not argon2id, or not readable as
// one).
func Legacy(stored string) bool {
	s, err := Identify(stored)
	return err != nil || s != Argon2id
}

// Check parses stored without computing anything: nil when Verify could
// check a password against it, otherwise ErrFormat (or ErrAmbiguous) with
// the reason. `jwtgate user import` runs it on every line first.
func Check(stored string) error {
	_, err := parseAny(stored)
	return err
}

// verifier is one parsed hash: work computes the candidate's digest, want
// is the stored one. bcrypt has neither (its library compares).
type verifier struct {
	scheme Scheme
	// cost names the work one verification does ("pbkdf2:sha256:260000"),
	// the unit the dummy work is matched and counted in.
	cost   string
	work   func(pw string) []byte
	want   []byte
	bcrypt []byte
}

func (v verifier) verify(pw string) error {
	if v.bcrypt != nil {
		err := bcrypt.CompareHashAndPassword(v.bcrypt, []byte(pw))
		if err == nil {
			return nil
		}
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return ErrMismatch
		}
		return fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if subtle.ConstantTimeCompare(v.work(pw), v.want) != 1 {
		return ErrMismatch
	}
	return nil
}

func parseAny(stored string) (verifier, error) {
	s, err := Identify(stored)
	if err != nil {
		return verifier{}, err
	}
	switch s {
	case Argon2id, Argon2i:
		return parseArgon2(stored, s)
	case PBKDF2:
		return parsePBKDF2(stored)
	case Scrypt:
		return parseScrypt(stored)
	default:
		return parseBcrypt(stored)
	}
}

func parseArgon2(stored string, s Scheme) (verifier, error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 6 || Scheme(parts[1]) != s {
		return verifier{}, ErrFormat
	}
	p, salt, want, err := parse(strings.Join(append([]string{"", string(Argon2id)}, parts[2:]...), "$"))
	if err != nil {
		return verifier{}, err
	}
	key := argon2.IDKey
	if s == Argon2i {
		key = argon2.Key
	}
	return verifier{
		scheme: s, cost: fmt.Sprintf("%s:m=%d,t=%d,p=%d", s, p.Memory, p.Time, p.Threads), want: want,
		work: func(pw string) []byte { return key([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want))) },
	}, nil
}

// splitWerkzeug splits werkzeug's "method$salt$hexdigest".
func splitWerkzeug(stored string) (method []string, salt string, want []byte, err error) {
	parts := strings.Split(stored, "$")
	if len(parts) != 3 || parts[1] == "" {
		return nil, "", nil, fmt.Errorf("%w: want method$salt$hexdigest", ErrFormat)
	}
	want, err = hex.DecodeString(parts[2])
	if err != nil || len(want) < 16 {
		return nil, "", nil, fmt.Errorf("%w: digest is not hexadecimal of at least 16 bytes", ErrFormat)
	}
	return strings.Split(parts[0], ":"), parts[1], want, nil
}

var pbkdf2Hashes = map[string]func() hash.Hash{
	"sha1": sha1.New, "sha224": sha256.New224, "sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New,
}

func parsePBKDF2(stored string) (verifier, error) {
	method, salt, want, err := splitWerkzeug(stored)
	if err != nil {
		return verifier{}, err
	}
	if len(method) == 2 {
		return verifier{}, ErrAmbiguous
	}
	if len(method) != 3 {
		return verifier{}, fmt.Errorf("%w: want pbkdf2:<hash>:<iterations>", ErrFormat)
	}
	h, ok := pbkdf2Hashes[method[1]]
	if !ok {
		return verifier{}, fmt.Errorf("%w: unsupported pbkdf2 hash %q", ErrFormat, method[1])
	}
	iter, err := strconv.Atoi(method[2])
	if err != nil || iter < 1 || iter > MaxPBKDF2Iterations {
		return verifier{}, fmt.Errorf("%w: pbkdf2 iterations must be 1..%d", ErrFormat, MaxPBKDF2Iterations)
	}
	return verifier{
		// The cost in canonical digits: JWTGATE_LEGACY_HASH_COST takes it
		// as `user import` prints it, and "+260000" is 260000 here.
		scheme: PBKDF2, cost: fmt.Sprintf("pbkdf2:%s:%d", method[1], iter), want: want,
		// werkzeug hashes the salt string's UTF-8 bytes, not a decoding of it.
		work: func(pw string) []byte { return pbkdf2.Key([]byte(pw), []byte(salt), iter, len(want), h) },
	}, nil
}

func parseScrypt(stored string) (verifier, error) {
	method, salt, want, err := splitWerkzeug(stored)
	if err != nil {
		return verifier{}, err
	}
	if len(method) != 4 {
		return verifier{}, fmt.Errorf("%w: want scrypt:<n>:<r>:<p> (werkzeug 3)", ErrFormat)
	}
	var n [3]int
	for i, v := range method[1:] {
		if n[i], err = strconv.Atoi(v); err != nil || n[i] < 1 {
			return verifier{}, fmt.Errorf("%w: scrypt parameters must be positive integers", ErrFormat)
		}
	}
	N, r, p := n[0], n[1], n[2]
	// N is bounded before it is multiplied: 128*N of a huge N overflows
	// to 0 and would pass the product's bound.
	if N < 2 || N&(N-1) != 0 || N > MaxScryptMemory/128 || r > 64 || p > 16 || 128*N*r*p > MaxScryptMemory {
		return verifier{}, fmt.Errorf("%w: scrypt n must be a power of 2 and 128*n*r*p at most %d bytes", ErrFormat, MaxScryptMemory)
	}
	if len(want) != scryptKeyLen {
		return verifier{}, fmt.Errorf("%w: scrypt digest must be %d bytes", ErrFormat, scryptKeyLen)
	}
	return verifier{
		scheme: Scrypt, cost: fmt.Sprintf("scrypt:%d:%d:%d", N, r, p), want: want,
		work: func(pw string) []byte {
			k, err := scrypt.Key([]byte(pw), []byte(salt), N, r, p, scryptKeyLen)
			if err != nil {
				return nil // parameters were checked above; a nil key never matches
			}
			return k
		},
	}, nil
}

func parseBcrypt(stored string) (verifier, error) {
	cost, err := bcrypt.Cost([]byte(stored))
	if err != nil {
		return verifier{}, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if cost > MaxBcryptCost {
		return verifier{}, fmt.Errorf("%w: bcrypt cost above %d", ErrFormat, MaxBcryptCost)
	}
	if len(stored) != 60 {
		return verifier{}, fmt.Errorf("%w: a bcrypt hash has 60 characters", ErrFormat)
	}
	return verifier{scheme: Bcrypt, cost: "bcrypt:" + strconv.Itoa(cost), bcrypt: []byte(stored)}, nil
}

// Cost returns the work one verification against stored does, in the form
// JWTGATE_LEGACY_HASH_COST takes ("pbkdf2:sha256:260000", "bcrypt:12";
// argon2 as "argon2id:m=...,t=...,p=..."), or the error of Check.
func Cost(stored string) (string, error) {
	v, err := parseAny(stored)
	if err != nil {
		return "", err
	}
	return v.cost, nil
}
