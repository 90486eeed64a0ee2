package tokens

import (
	"errors"
	"fmt"
)

// Sentinel errors classify why a token was refused; branch on them with
// errors.Is. The client-facing wording lives in ValidationError.Msg.
var (
	ErrMalformed      = errors.New("tokens: malformed token")
	ErrSignature      = errors.New("tokens: signature verification failed")
	ErrAlgorithm      = errors.New("tokens: algorithm not allowed")
	ErrUnknownKey     = errors.New("tokens: unknown key id")
	ErrExpired        = errors.New("tokens: token expired")
	ErrNotYetValid    = errors.New("tokens: token not yet valid")
	ErrIssuer         = errors.New("tokens: invalid issuer")
	ErrAudience       = errors.New("tokens: invalid audience")
	ErrMissingClaim   = errors.New("tokens: missing claim")
	ErrWrongType      = errors.New("tokens: wrong token type")
	ErrTooLarge       = errors.New("tokens: token too large")
	ErrInvalidSubject = errors.New("tokens: invalid subject")
	// ErrLegacyWindow is a token without sid outside the legacy window, or
	// a window set longer than legacy tokens can live.
	ErrLegacyWindow = errors.New("tokens: legacy token window")
)

// errKidType is a kid header that is not a string, which PyJWT refuses
// before any key lookup.
var errKidType = errors.New("tokens: kid header not a string")

// ValidationError is a refused token: Kind is one of the sentinels above and
// Msg the flask-jwt-extended message a client is shown for it.
type ValidationError struct {
	Kind error
	Msg  string
}

func (e *ValidationError) Error() string { return fmt.Sprintf("%v: %s", e.Kind, e.Msg) }

// Unwrap lets errors.Is match the sentinel kind.
func (e *ValidationError) Unwrap() error { return e.Kind }

func refuse(kind error, msg string) *ValidationError { return &ValidationError{Kind: kind, Msg: msg} }

// Refuse returns the error of a request refused for kind, shown to the
// client as msg. Every refusal of the token contract, whether about the
// token (this package) or about how it was presented (shared/runtime/request),
// is a ValidationError, so one Message reads them all.
func Refuse(kind error, msg string) error { return refuse(kind, msg) }

// Message returns the client-facing message of a token error, and false for
// errors that are not about the token (which callers must not show).
func Message(err error) (string, bool) {
	var v *ValidationError
	if errors.As(err, &v) {
		return v.Msg, true
	}
	return "", false
}
