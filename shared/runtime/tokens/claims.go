package tokens

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// UnmarshalJSON decodes the claims with the registered claims held to
// their JSON types: exp, iat and nbf numbers, iss, sub and jti strings, aud
// a string or an array of strings (a null sub, jti or aud is as good as
// absent). golang-jwt
// would read a numeric string as a date ("exp": "9999999999"), and PyJWT
// int()-converts one; a token whose claims have the wrong type was not
// made by an honest issuer, so it is refused with PyJWT's message for the
// claim.
func (c *Claims) UnmarshalJSON(b []byte) error {
	// plain has Claims' fields without this method; the raw fields of aux
	// sit shallower than the embedded RegisteredClaims' and so take their
	// JSON names, while every other claim (those added later too) decodes
	// straight into c.
	type plain Claims
	var aux struct {
		*plain
		ExpiresAt json.RawMessage `json:"exp"`
		IssuedAt  json.RawMessage `json:"iat"`
		NotBefore json.RawMessage `json:"nbf"`
		Issuer    json.RawMessage `json:"iss"`
		Subject   json.RawMessage `json:"sub"`
		ID        json.RawMessage `json:"jti"`
		Audience  json.RawMessage `json:"aud"`
	}
	aux.plain = (*plain)(c)
	c.LegacyIdentity = ""
	b, err := withoutFoldedNames(b)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	r := &c.RegisteredClaims
	for _, d := range []struct {
		raw json.RawMessage
		dst **jwt.NumericDate
		msg string
	}{
		{aux.IssuedAt, &r.IssuedAt, "Issued At claim (iat) must be an integer."},
		{aux.NotBefore, &r.NotBefore, "Not Before claim (nbf) must be an integer."},
		{aux.ExpiresAt, &r.ExpiresAt, "Expiration Time claim (exp) must be an integer."},
	} {
		if err := numericDate(d.raw, d.dst); err != nil {
			return refuse(ErrMalformed, d.msg)
		}
	}
	// A null iss is compared, and refused, by PyJWT; a null sub is not a
	// string, as PyJWT 2.10 (flask-jwt-extended 4.7) says; a null jti is
	// as good as missing.
	if bytes.Equal(aux.Issuer, []byte("null")) {
		return refuse(ErrIssuer, "Invalid issuer")
	}
	if bytes.Equal(aux.Subject, []byte("null")) {
		return refuse(ErrMalformed, "Subject must be a string")
	}
	if c.names == nil || c.names.identity == DefaultIdentityClaim {
		if c.legacyInteger(aux.Subject) {
			aux.Subject = nil // read into LegacyIdentity: Subject stays empty
		}
	}
	for _, s := range []struct {
		raw  json.RawMessage
		dst  *string
		kind error
		msg  string
	}{
		{aux.Issuer, &r.Issuer, ErrIssuer, "Invalid issuer"},
		{aux.Subject, &r.Subject, ErrMalformed, "Subject must be a string"},
		{aux.ID, &r.ID, ErrMalformed, "JWT ID must be a string"},
	} {
		if err := stringClaim(s.raw, s.dst); err != nil {
			return refuse(s.kind, s.msg)
		}
	}
	if err := audience(aux.Audience, &r.Audience); err != nil {
		return refuse(ErrAudience, "Invalid claim format in token")
	}
	if c.names != nil {
		// A configured identity claim or user claims: one more decode, of
		// only what the configuration names.
		return c.names.decodeExtra(b, c)
	}
	return nil
}

// structNames are the JSON names Claims.UnmarshalJSON decodes into
// fields: its own and those of the registered claims.
var structNames = []string{"fresh", "type", "csrf", "sid", "roles", "gen", "exp", "iat", "nbf", "iss", "sub", "jti", "aud"}

// withoutFoldedNames returns the payload b without its claims whose names
// differ from one of structNames but fold onto it ("Sub", "TYPE", "\u0053ub",
// "\u017fub"): encoding/json matches object keys to struct fields
// case-insensitively and the last match wins, so a flask token whose
// additional claims hold such a name (written after flask's own) would
// have it read as sub, type, fresh or sid, where PyJWT and flask read it
// as a claim of its own. A payload whose names are lowercase ASCII without
// escapes (jwtgate's own, whatever its values hold) is returned as it is,
// with no decode.
func withoutFoldedNames(b []byte) ([]byte, error) {
	if !foldableName(b) {
		return b, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	dropped := false
	for k := range m {
		if slices.Contains(structNames, k) {
			continue
		}
		f := fold(k)
		if slices.ContainsFunc(structNames, func(n string) bool { return fold(n) == f }) {
			delete(m, k)
			dropped = true
		}
	}
	if !dropped {
		return b, nil
	}
	return json.Marshal(m)
}

// foldableName reports whether an object member name in the JSON text b
// holds a byte that folding or an escape could turn into another name: an
// upper-case ASCII letter, a backslash, a non-ASCII byte. Only names are
// looked at (a string followed by a colon), so values such as a username
// "Alice" or a tenant "ACME" keep the authorizer on the single decode.
// Outside strings JSON has no quote, so every quote found here opens one.
func foldableName(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		risky := false
		j := i + 1
		for ; j < len(b) && b[j] != '"'; j++ {
			switch c := b[j]; {
			case c == '\\':
				risky = true
				j++ // the escaped byte, which may be a quote
			case 'A' <= c && c <= 'Z', c >= utf8.RuneSelf:
				risky = true
			}
		}
		k := j + 1
		for k < len(b) && (b[k] == ' ' || b[k] == '\t' || b[k] == '\n' || b[k] == '\r') {
			k++
		}
		if risky && k < len(b) && b[k] == ':' {
			return true
		}
		i = j
	}
	return false
}

// fold is encoding/json's folding of names: ToUpper(ToLower(r)) of every
// rune (so the long s and the Kelvin sign fold onto s and k).
func fold(s string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, s)
}

// absent reports a claim that is missing or null.
func absent(raw json.RawMessage) bool { return len(raw) == 0 || bytes.Equal(raw, []byte("null")) }

// numericDate reads a JSON number (integer or not, as RFC 7519 allows)
// into dst; a string, bool, null, array or object is an error (PyJWT fails
// on null with a TypeError, a 500 in flask).
func numericDate(raw json.RawMessage, dst **jwt.NumericDate) error {
	*dst = nil
	if len(raw) == 0 {
		return nil
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return ErrMalformed
	}
	d := new(jwt.NumericDate)
	if err := d.UnmarshalJSON(raw); err != nil {
		return err
	}
	*dst = d
	return nil
}

// stringClaim reads a JSON string into dst.
func stringClaim(raw json.RawMessage, dst *string) error {
	*dst = ""
	if absent(raw) {
		return nil
	}
	if raw[0] != '"' {
		return ErrMalformed
	}
	return json.Unmarshal(raw, dst)
}

// audience reads a string or an array of strings into dst. An empty string
// or array is no audience, as PyJWT treats it.
func audience(raw json.RawMessage, dst *jwt.ClaimStrings) error {
	*dst = nil
	if absent(raw) {
		return nil
	}
	var one string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &one); err != nil {
			return err
		}
		if one != "" {
			*dst = jwt.ClaimStrings{one}
		}
		return nil
	}
	if raw[0] != '[' {
		return ErrMalformed
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return err
	}
	if len(many) > 0 {
		*dst = many
	}
	return nil
}

// unexpectedAudience refuses an aud claim the configuration does not
// expect. Without JWT_DECODE_AUDIENCE golang-jwt checks no audience at all
// (nor does flask-jwt-extended, which turns PyJWT's check off); PyJWT's
// own default refuses a token carrying one, and so does jwtgate: a token
// minted for another service with a shared key is not for us. Tokens of
// this Service's own JWT_ENCODE_AUDIENCE still pass.
func (s *Service) unexpectedAudience(c *Claims) error {
	if len(s.opts.DecodeAudience) > 0 || len(c.Audience) == 0 {
		return nil // golang-jwt checked it, or there is none
	}
	for _, a := range c.Audience {
		if slices.Contains(s.opts.Audience, a) {
			return nil
		}
	}
	return refuse(ErrAudience, "Invalid audience")
}

// Freshness is the fresh claim. flask-jwt-extended writes a boolean, or, for
// timed freshness (create_access_token(fresh=timedelta)), the epoch time
// until which the token counts as fresh; its fresh-only routes accept both.
type Freshness struct {
	// Fresh is a boolean claim's value.
	Fresh bool
	// Until, when not zero, is a numeric claim: fresh up to that epoch
	// second (fractions kept, as flask compares float timestamps).
	Until float64
}

// FreshBool is a boolean fresh claim.
func FreshBool(fresh bool) Freshness { return Freshness{Fresh: fresh} }

// At reports whether the token is fresh at now: a boolean claim is what it
// says; a numeric one holds until its time has passed (flask refuses when
// fresh < now).
func (f Freshness) At(now time.Time) bool {
	if f.Until != 0 {
		return float64(now.UnixNano())/1e9 <= f.Until
	}
	return f.Fresh
}

// String is the claim as JSON writes it: "true", "false" or the time.
func (f Freshness) String() string {
	b, _ := f.MarshalJSON()
	return string(b)
}

// MarshalJSON writes the claim as it was read: a boolean or a number.
func (f Freshness) MarshalJSON() ([]byte, error) {
	if f.Until != 0 {
		return json.Marshal(f.Until)
	}
	return json.Marshal(f.Fresh)
}

// UnmarshalJSON reads a boolean or a number; null reads as false, as a
// missing claim does (flask's default). Anything else is malformed.
func (f *Freshness) UnmarshalJSON(b []byte) error {
	*f = Freshness{}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(b, &f.Fresh); err == nil {
		return nil
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	if n == 0 || math.IsNaN(n) {
		return nil // a zero timestamp has long passed: not fresh
	}
	f.Until = n
	return nil
}

// UnmarshalJSON reads the type claim. flask compares it with "refresh" and
// takes every other value, strings or not, for an access token, so a value
// that is not a string is kept as its JSON text rather than refused.
func (t *Type) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = Type(s)
		return nil
	}
	*t = Type(b)
	return nil
}

// MarshalJSON writes a single audience as a string, as flask-jwt-extended
// does (PyJWT encodes JWT_ENCODE_AUDIENCE as given, and a one-value setting
// is a string), and several as an array. golang-jwt would write an array
// always, or a string only through a package-level switch.
func (c Claims) MarshalJSON() ([]byte, error) {
	type plain Claims // the same fields without this method
	var aud any
	switch len(c.Audience) {
	case 0:
	case 1:
		aud = c.Audience[0]
	default:
		aud = []string(c.Audience)
	}
	b, err := json.Marshal(struct {
		plain
		Aud any `json:"aud,omitempty"` // shallower than RegisteredClaims' aud: it wins
	}{plain(c), aud})
	if err != nil {
		return nil, err
	}
	return c.names.encodeExtra(b, c)
}
