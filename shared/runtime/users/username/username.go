// Package username normalises usernames with the PRECIS
// UsernameCasePreserved profile (RFC 8265). It stands apart from package
// users so that code which only stores and reads accounts (the DynamoDB
// store, which the authorizer links) carries neither the PRECIS tables nor
// their initialisation at every cold start.
package username

import (
	"errors"
	"fmt"

	"golang.org/x/text/secure/precis"
)

// ErrInvalid refuses a name the profile does not accept, or an empty or
// too long one.
var ErrInvalid = errors.New("username: invalid username")

// MaxLen bounds usernames (in bytes, after normalisation).
const MaxLen = 64

// Normalize applies the PRECIS UsernameCasePreserved profile: width-folded,
// NFC-normalised, no spaces, control characters or unassigned code points.
// Names that differ only in such details become the same name; names the
// profile refuses (CR, LF, NUL, ...) are ErrInvalid. Letters that merely
// look alike across scripts stay distinct names.
func Normalize(name string) (string, error) {
	n, err := precis.UsernameCasePreserved.String(name)
	if err != nil || n == "" || len(n) > MaxLen {
		return "", fmt.Errorf("%w: %q", ErrInvalid, name)
	}
	return n, nil
}
