package password

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// Checker verifies login passwords so that an unknown user, a user with an
// argon2id hash and a user with an imported legacy hash cost the same work,
// leaving no timing oracle for which names exist or which were imported.
//
// Every check does exactly one argon2id verification and, while legacy
// hashes remain (a legacy cost is configured), one verification at that
// legacy cost:
//
//	unknown user     argon2id dummy   + legacy dummy
//	argon2id hash    argon2id (real)  + legacy dummy
//	argon2i hash     argon2i (real)   + legacy dummy
//	legacy hash      argon2id dummy   + legacy (real)
//
// An imported argon2i hash takes the argon2id slot: it costs what the
// dummy costs when its parameters are the default ones.
//
// The three rows are equal when the imported hashes share the configured
// cost (one Flask app writes one cost; configure that one). A legacy hash
// of another cost differs by the difference of the two costs, which is why
// the cost is configured rather than guessed. The re-hash after a
// successful legacy login is extra work, but only after the password was
// right, which the answer reveals anyway.
type Checker struct {
	legacy *verifier
	count  func(cost string)
}

// CheckerOption changes a default of NewChecker.
type CheckerOption func(*Checker)

// WithWorkCounter calls count with the cost of each hash computation a
// check does ("argon2id:m=19456,t=2,p=1", "pbkdf2:sha256:260000"): tests
// compare the work of each path instead of timing it.
func WithWorkCounter(count func(cost string)) CheckerOption {
	return func(c *Checker) { c.count = count }
}

// NewChecker returns a Checker whose dummy legacy work costs legacyCost,
// written as the method part of the imported hashes: "pbkdf2:sha256:260000",
// "scrypt:32768:8:1", "bcrypt:12"; "" when no legacy hashes remain.
func NewChecker(legacyCost string, opts ...CheckerOption) (*Checker, error) {
	c := &Checker{count: func(string) {}}
	for _, o := range opts {
		o(c)
	}
	if legacyCost == "" {
		return c, nil
	}
	stored, err := dummyHash(legacyCost)
	if err != nil {
		return nil, err
	}
	v, err := parseAny(stored)
	if err != nil {
		return nil, fmt.Errorf("password: legacy cost %q: %w", legacyCost, err)
	}
	c.legacy = &v
	return c, nil
}

// ParseLegacyCost checks a legacy cost as NewChecker reads it (the config
// package validates the setting with it at start).
func ParseLegacyCost(legacyCost string) error {
	_, err := NewChecker(legacyCost)
	return err
}

// dummyHash builds a hash at cost whose digest matches no password (random
// salt, random digest).
func dummyHash(cost string) (string, error) {
	rnd := make([]byte, 16+scryptKeyLen)
	if _, err := rand.Read(rnd); err != nil {
		return "", fmt.Errorf("password: dummy salt: %w", err)
	}
	salt := hex.EncodeToString(rnd[:8])
	switch {
	case strings.HasPrefix(cost, "pbkdf2:"):
		return cost + "$" + salt + "$" + hex.EncodeToString(rnd[16:48]), nil
	case strings.HasPrefix(cost, "scrypt:"):
		return cost + "$" + salt + "$" + hex.EncodeToString(rnd[16:16+scryptKeyLen]), nil
	case strings.HasPrefix(cost, "bcrypt:"):
		n := strings.TrimPrefix(cost, "bcrypt:")
		if len(n) == 1 {
			n = "0" + n
		}
		const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		var b strings.Builder
		for i := range 53 {
			b.WriteByte(alphabet[int(rnd[i%len(rnd)])%len(alphabet)])
		}
		// bcrypt's last salt character carries 2 spare bits: keep it valid.
		s := []byte(b.String())
		s[21] = '.'
		return "$2b$" + n + "$" + string(s), nil
	}
	return "", fmt.Errorf("%w: legacy cost %q: want pbkdf2:<hash>:<iterations>, scrypt:<n>:<r>:<p> or bcrypt:<cost>", ErrFormat, cost)
}

// Verify checks pw against stored (any Scheme) with the equal work of the
// type comment. Errors are those of the package Verify.
func (c *Checker) Verify(stored, pw string) error {
	v, err := parseAny(stored)
	if err != nil {
		c.Dummy(pw) // an unreadable hash must not answer faster either
		return err
	}
	if v.scheme == Argon2id || v.scheme == Argon2i {
		// argon2i (an import from argon2-cffi or passlib) is argon2 work
		// too: with a dummy argon2id after it, its users took two argon2
		// computations where an unknown name takes one.
		err = c.run(v, pw)
		c.legacyDummy(pw)
		return err
	}
	err = c.run(v, pw)
	c.argon2Dummy(pw)
	return err
}

// Dummy spends the work of one check and always fails: call it when the
// user does not exist.
func (c *Checker) Dummy(pw string) error {
	c.argon2Dummy(pw)
	c.legacyDummy(pw)
	return ErrMismatch
}

func (c *Checker) run(v verifier, pw string) error {
	c.count(v.cost)
	return v.verify(pw)
}

func (c *Checker) argon2Dummy(pw string) {
	v, err := parseAny(dummy)
	if err != nil {
		panic("password: the dummy argon2id hash is unreadable") // a constant of this package
	}
	_ = c.run(v, pw)
}

func (c *Checker) legacyDummy(pw string) {
	if c.legacy != nil {
		_ = c.run(*c.legacy, pw)
	}
}
