package password

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Password policy limits. MinLen follows NIST SP 800-63B for user-chosen
// secrets; MaxLen only bounds the work one login request can cause.
const (
	MinLen = 8    // characters (Unicode code points)
	MaxLen = 1024 // bytes
)

// ErrWeakPassword is a password the policy refuses.
var ErrWeakPassword = errors.New("password: does not meet the policy")

// CheckPolicy returns nil when pw may be set as a password: valid UTF-8,
// at least MinLen characters and at most MaxLen bytes. Otherwise it returns
// ErrWeakPassword with the reason.
func CheckPolicy(pw string) error {
	switch {
	case !utf8.ValidString(pw):
		return fmt.Errorf("%w: not valid UTF-8", ErrWeakPassword)
	case utf8.RuneCountInString(pw) < MinLen:
		return fmt.Errorf("%w: shorter than %d characters", ErrWeakPassword, MinLen)
	case len(pw) > MaxLen:
		return fmt.Errorf("%w: longer than %d bytes", ErrWeakPassword, MaxLen)
	}
	return nil
}
