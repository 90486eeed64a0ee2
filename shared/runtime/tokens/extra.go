package tokens

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of a user's own claims (users.User.Claims). Every one of them
// rides in both cookies of every request: a browser drops a cookie over
// 4 KiB, and a token already carries about 600 bytes of jwtgate's claims,
// so ten claims of 1 KiB in all (about 1.4 KiB once base64-encoded) leave
// room for long role lists and issuers.
const (
	MaxUserClaims          = 10
	MaxUserClaimNameBytes  = 64
	MaxUserClaimValueBytes = 256
	MaxUserClaimsBytes     = 1024
)

// reservedClaims are the claim names jwtgate, flask-jwt-extended or JOSE
// headers use themselves; a user claim may not take one (nor the
// configured identity claim), so it can never stand in for a session id, a
// role list or an expiry.
var reservedClaims = []string{"sub", "iat", "nbf", "exp", "jti", "type", "fresh", "csrf", "sid", "roles", "gen", "iss", "aud", "kid", "alg", "typ"}

// ErrUserClaim refuses a user claim: a reserved or malformed name, a value
// that is too long or not printable text, too many claims.
var ErrUserClaim = errors.New("tokens: invalid user claim")

// claimName is the syntax of a user claim name: a letter, then letters,
// digits and _ . : / - (namespaced names such as
// "https://example.com/tenant" included).
var claimName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.:/-]*$`)

// CheckClaimName refuses a user claim name that is reserved (the claims
// jwtgate and flask write, and JOSE header names, in any letter case),
// equal to identity in any letter case (the configured identity claim,
// when not empty), longer than MaxUserClaimNameBytes or outside the name
// syntax (a letter, then letters, digits and _ . : / -).
func CheckClaimName(name, identity string) error {
	switch {
	case len(name) > MaxUserClaimNameBytes:
		return fmt.Errorf("%w: name %.20q... is longer than %d bytes", ErrUserClaim, name, MaxUserClaimNameBytes)
	case !claimName.MatchString(name):
		return fmt.Errorf("%w: name %q: want a letter, then letters, digits and _ . : / -", ErrUserClaim, name)
	case reserved(name) || (identity != "" && strings.EqualFold(name, identity)):
		return fmt.Errorf("%w: name %q is a claim jwtgate writes itself, in any case (reserved: %v)", ErrUserClaim, name, reservedClaims)
	}
	return nil
}

// reserved reports a name equal to a reserved claim in any letter case:
// encoding/json matches object keys to struct fields case-insensitively,
// so a "Roles" or "Iss" claim would be read as jwtgate's roles or iss
// when the real one is absent (and break the token when it is not a
// list), where PyJWT reads it as a claim of its own.
func reserved(name string) bool {
	return slices.ContainsFunc(reservedClaims, func(r string) bool { return strings.EqualFold(r, name) })
}

// CheckUserClaims refuses claims that CheckClaimName refuses a name of,
// that hold a value over MaxUserClaimValueBytes or one that is not
// printable UTF-8 text, or that exceed MaxUserClaims or, names and values
// together, MaxUserClaimsBytes. identity is the configured identity claim
// ("" when unknown: "sub" is reserved anyway).
func CheckUserClaims(claims map[string]string, identity string) error {
	if len(claims) > MaxUserClaims {
		return fmt.Errorf("%w: %d claims, at most %d", ErrUserClaim, len(claims), MaxUserClaims)
	}
	total := 0
	for _, name := range slices.Sorted(maps.Keys(claims)) {
		v := claims[name]
		if err := CheckClaimName(name, identity); err != nil {
			return err
		}
		if len(v) > MaxUserClaimValueBytes {
			return fmt.Errorf("%w: value of %q is longer than %d bytes", ErrUserClaim, name, MaxUserClaimValueBytes)
		}
		if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
			return fmt.Errorf("%w: value of %q is not printable UTF-8 text", ErrUserClaim, name)
		}
		total += len(name) + len(v)
	}
	if total > MaxUserClaimsBytes {
		return fmt.Errorf("%w: names and values add up to %d bytes, at most %d", ErrUserClaim, total, MaxUserClaimsBytes)
	}
	return nil
}

// claimNames is a Service's naming of claims beyond the struct tags: the
// identity claim (JWT_IDENTITY_CLAIM) and the user claims Parse decodes.
type claimNames struct {
	identity string
	extra    []string
}

// decodeExtra reads, from the token's payload b, the identity under its
// configured name and the user claims n lists. It runs only when the
// configuration names either, so the default hot path pays nothing.
func (n *claimNames) decodeExtra(b []byte, c *Claims) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if n.identity != DefaultIdentityClaim {
		if c.legacyInteger(m[n.identity]) {
			c.Subject = ""
		} else if err := stringClaim(m[n.identity], &c.Subject); err != nil {
			return refuse(ErrMalformed, "Identity claim ("+n.identity+") must be a string")
		}
	}
	c.Extra = nil
	for _, name := range n.extra {
		raw := m[name]
		if absent(raw) {
			continue
		}
		if c.Extra == nil {
			c.Extra = make(map[string]string, len(n.extra))
		}
		var s string
		if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			c.Extra[name] = s
			continue
		}
		c.Extra[name] = string(raw) // another issuer's number or object: its JSON text
	}
	return nil
}

// encodeExtra rewrites the struct's encoding b: the identity under its
// configured name, and the user claims added where no claim of that name
// is written already (a user claim never replaces one of jwtgate's, nor,
// stored before names were compared in any case, stands in for one).
func (n *claimNames) encodeExtra(b []byte, c Claims) ([]byte, error) {
	identity := DefaultIdentityClaim
	if n != nil {
		identity = n.identity
	}
	if identity == DefaultIdentityClaim && len(c.Extra) == 0 {
		return b, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if identity != DefaultIdentityClaim {
		m[identity] = m[DefaultIdentityClaim]
		delete(m, DefaultIdentityClaim)
	}
	for k, v := range c.Extra {
		if _, taken := m[k]; taken || reserved(k) || strings.EqualFold(k, identity) {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		m[k] = raw
	}
	return json.Marshal(m)
}
