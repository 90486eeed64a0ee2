package tokens

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"
)

// ErrUnknownIdentity is a legacy token whose identity maps to no user
// (Options.MapLegacyIdentities): the username it stands for was not
// imported with it.
var ErrUnknownIdentity = errors.New("tokens: legacy identity names no user")

// errIdentity is an identity that is neither a JSON string nor an integer.
var errIdentity = errors.New("tokens: an identity is a JSON string or integer")

// jsonInteger is a JSON number without fraction or exponent: what Python's
// json writes for an int (flask's create_access_token(identity=user.id)).
var jsonInteger = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// CanonicalIdentity returns the one text a flask identity is stored and
// looked up under: a JSON integer as written (42), a string as Go's JSON
// encoder writes it without HTML escapes ("u-42"). 42 and "42" stay apart,
// as flask's tokens keep them apart. An empty string, a string that is not
// valid text (a lone surrogate decodes to U+FFFD, where two identities would
// meet), a fraction, an exponent, or any other JSON value is refused: none
// has one spelling.
func CanonicalIdentity(raw []byte) (string, error) {
	raw = bytes.TrimSpace(raw)
	if jsonInteger.Match(raw) {
		return string(raw), nil
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", errIdentity
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errIdentity
	}
	if s == "" || strings.ContainsRune(s, utf8.RuneError) {
		return "", errIdentity
	}
	return canonicalString(s), nil
}

// canonicalString is the canonical text of a string identity.
func canonicalString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// UnknownIdentity is the refusal of a legacy token whose identity (its
// canonical text) maps to no user, with flask-jwt-extended's message for a
// user its user_lookup_loader did not find: "Error loading the user 42"
// (the identity as Python formats it: a string without quotes).
func UnknownIdentity(identity string) error {
	shown := identity
	var s string
	if strings.HasPrefix(identity, `"`) && json.Unmarshal([]byte(identity), &s) == nil {
		shown = s
	}
	return refuse(ErrUnknownIdentity, "Error loading the user "+shown)
}

// legacyInteger reads raw, the identity claim, into c.LegacyIdentity when
// it is an integer that Parse allows here (numericIdentity: the window is
// open and identities are mapped) on a token without sid, and reports
// whether it did.
func (c *Claims) legacyInteger(raw []byte) bool {
	if !c.numericIdentity || c.SID != "" || !jsonInteger.Match(raw) {
		return false
	}
	c.LegacyIdentity = string(raw)
	return true
}

// identityNotString is the refusal of an identity that is not a string,
// with PyJWT's message for sub and flask's for a JWT_IDENTITY_CLAIM of
// another name.
func (s *Service) identityNotString() error {
	if s.opts.IdentityClaim != DefaultIdentityClaim {
		return refuse(ErrMalformed, "Identity claim ("+s.opts.IdentityClaim+") must be a string")
	}
	return refuse(ErrMalformed, "Subject must be a string")
}
