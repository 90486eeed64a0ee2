package password

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrWeakPassword is a password the policy refuses.
var ErrWeakPassword = errors.New("password: too weak")

// Policy bounds, following NIST SP 800-63B: a minimum length and no
// composition rules; the maximum keeps hashing cost bounded.
const (
	MinLen = 8
	MaxLen = 256
)

// CheckPolicy returns ErrWeakPassword (with the reason) when pw is too short
// or too long.
func CheckPolicy(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLen:
		return fmt.Errorf("%w: at least %d characters required", ErrWeakPassword, MinLen)
	case n > MaxLen:
		return fmt.Errorf("%w: at most %d characters allowed", ErrWeakPassword, MaxLen)
	}
	return nil
}
