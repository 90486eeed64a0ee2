package tokens_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// payload decodes a token's claims without verifying it.
func payload(t *testing.T, tok string) map[string]any {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, c); err != nil {
		t.Fatalf("parse unverified: %v", err)
	}
	return c
}

// TestIdentityClaim: with JWT_IDENTITY_CLAIM set, the identity is written
// and read under that name only, and a token holding it under sub alone is
// refused with flask's message for the configured name.
func TestIdentityClaim(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, func(o *tokens.Options) { o.IdentityClaim = "identity" })
	iss, err := s.Issue(tokens.Access, tokens.Subject{Name: "alice", Roles: []string{"user"}}, "s1", true)
	if err != nil {
		t.Fatal(err)
	}
	p := payload(t, iss.Token)
	if p["identity"] != "alice" {
		t.Errorf("identity claim = %v, want alice", p["identity"])
	}
	if _, has := p["sub"]; has {
		t.Errorf("sub written beside the identity claim: %v", p)
	}
	c, err := s.Parse(iss.Token)
	if err != nil || c.Subject != "alice" {
		t.Fatalf("Parse = %+v, %v; want subject alice", c, err)
	}
	for _, tt := range []struct {
		name string
		mod  func(jwt.MapClaims)
		kind error
		msg  string
	}{
		{"identity present", func(m jwt.MapClaims) { m["identity"] = "alice"; delete(m, "sub") }, nil, ""},
		{"sub only", func(m jwt.MapClaims) {}, tokens.ErrMissingClaim, "Missing claim: identity"},
		{"identity empty", func(m jwt.MapClaims) { m["identity"] = ""; delete(m, "sub") }, tokens.ErrMissingClaim, "Missing claim: identity"},
		{"identity number", func(m jwt.MapClaims) { m["identity"] = 42; delete(m, "sub") }, tokens.ErrMalformed, "Identity claim (identity) must be a string"},
		{"identity and no exp", func(m jwt.MapClaims) { delete(m, "sub"); delete(m, "exp") }, tokens.ErrMissingClaim, "Missing claim: identity"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := validClaims(t0)
			tt.mod(m)
			c, err := s.Parse(sign(t, jwt.SigningMethodHS256, m, secret, nil))
			if tt.kind == nil {
				if err != nil || c.Subject != "alice" {
					t.Fatalf("Parse = %+v, %v; want subject alice", c, err)
				}
				return
			}
			wantRefused(t, err, tt.kind, tt.msg)
		})
	}
	if _, err := tokens.New(tokens.Options{Keys: []tokens.Key{{Secret: secret}}, IdentityClaim: "exp"}); err == nil {
		t.Error("identity claim exp accepted")
	}
}

// TestUserClaims: a subject's own claims become top-level claims of both
// tokens; Parse reads back only the names DecodeClaims lists, strings as
// they are and another issuer's JSON values as their text; a user claim
// never replaces one of jwtgate's.
func TestUserClaims(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, func(o *tokens.Options) { o.DecodeClaims = []string{"tenant", "n"} })
	sub := tokens.Subject{Name: "alice", Claims: map[string]string{"tenant": "acme", "plan": "pro", "sid": "forged"}}
	pair, err := s.IssuePair(sub, "s1", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, iss := range []tokens.Issued{pair.Access, pair.Refresh} {
		p := payload(t, iss.Token)
		if p["tenant"] != "acme" || p["plan"] != "pro" || p["sid"] != "s1" {
			t.Errorf("%s payload = %v, want tenant acme, plan pro, sid s1", iss.Claims.Type, p)
		}
		c, err := s.Parse(iss.Token)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Extra) != 1 || c.Extra["tenant"] != "acme" {
			t.Errorf("%s Extra = %v, want only tenant=acme (plan is not decoded)", iss.Claims.Type, c.Extra)
		}
	}
	m := validClaims(t0)
	m["n"], m["tenant"] = 7, map[string]any{"a": 1}
	c, err := s.Parse(sign(t, jwt.SigningMethodHS256, m, secret, nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Extra["n"] != "7" || c.Extra["tenant"] != `{"a":1}` {
		t.Errorf("Extra = %v, want the JSON text of other types", c.Extra)
	}
	// Without DecodeClaims nothing beyond the struct is read.
	plain := newService(t, clk, nil)
	c, err = plain.Parse(pair.Access.Token)
	if err != nil || c.Extra != nil {
		t.Errorf("Parse without DecodeClaims: Extra = %v, %v; want none", c.Extra, err)
	}
	if _, err := tokens.New(tokens.Options{Keys: []tokens.Key{{Secret: secret}}, DecodeClaims: []string{"roles"}}); !errors.Is(err, tokens.ErrUserClaim) {
		t.Errorf("DecodeClaims roles: err = %v, want ErrUserClaim", err)
	}
}

// TestUserClaimsCaseVariants: user claims stored under a case variant of
// a reserved name (before CheckUserClaims compared names in any case, or
// written to the table by hand) are left out of the tokens: encoding/json
// reads object keys case-insensitively, so "Roles" broke every token of
// the user (a string for the role list) and "Iss" or "Csrf" stood in for
// an absent iss or csrf claim.
func TestUserClaimsCaseVariants(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, func(o *tokens.Options) { o.OmitCSRF = true; o.DecodeClaims = []string{"tenant"} })
	sub := tokens.Subject{Name: "alice", Roles: []string{"user"}, Claims: map[string]string{
		"tenant": "acme", "Roles": "admin", "Fresh": "x", "Gen": "9", "AUD": "x", "Iss": "evil", "Csrf": "known", "Sub": "root"}}
	pair, err := s.IssuePair(sub, "s1", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, iss := range []tokens.Issued{pair.Access, pair.Refresh} {
		c, err := s.Parse(iss.Token)
		if err != nil {
			t.Fatalf("%s: Parse: %v; want the token accepted", iss.Claims.Type, err)
		}
		if c.Subject != "alice" || c.Issuer != "" || c.CSRF != "" || len(c.Roles) != 1 || c.Roles[0] != "user" || c.Extra["tenant"] != "acme" {
			t.Errorf("%s claims = sub %q iss %q csrf %q roles %v extra %v; want alice, none, none, [user], tenant", iss.Claims.Type, c.Subject, c.Issuer, c.CSRF, c.Roles, c.Extra)
		}
		p := payload(t, iss.Token)
		for _, k := range []string{"Roles", "Fresh", "Gen", "AUD", "Iss", "Csrf", "Sub"} {
			if _, has := p[k]; has {
				t.Errorf("%s payload carries %s: %v", iss.Claims.Type, k, p)
			}
		}
	}
}

func TestCheckUserClaims(t *testing.T) {
	many := map[string]string{}
	for i := range tokens.MaxUserClaims + 1 {
		many[string(rune('a'+i))] = "v"
	}
	big := map[string]string{}
	for i := range 5 {
		big[string(rune('a'+i))] = strings.Repeat("x", 250)
	}
	for _, tt := range []struct {
		name     string
		claims   map[string]string
		identity string
		want     string // "" accepted, else a part of the message
	}{
		{"none", nil, "", ""},
		{"plain", map[string]string{"tenant": "acme", "plan": "pro"}, "", ""},
		{"namespaced", map[string]string{"https://example.com/tenant": "acme"}, "", ""},
		{"empty value", map[string]string{"tenant": ""}, "", ""},
		{"reserved sid", map[string]string{"sid": "x"}, "", `"sid" is a claim jwtgate writes itself`},
		{"reserved roles", map[string]string{"roles": "admin"}, "", "reserved"},
		{"reserved sub", map[string]string{"sub": "x"}, "", "reserved"},
		{"identity claim", map[string]string{"identity": "x"}, "identity", "reserved"},
		// encoding/json folds case: these would be read as jwtgate's claims.
		{"reserved Roles", map[string]string{"Roles": "admin"}, "", `"Roles" is a claim jwtgate writes itself, in any case`},
		{"reserved ISS", map[string]string{"ISS": "x"}, "", "in any case"},
		{"reserved Csrf", map[string]string{"Csrf": "x"}, "", "in any case"},
		{"identity claim Identity", map[string]string{"Identity": "x"}, "identity", "in any case"},
		{"bad name", map[string]string{"1tenant": "x"}, "", "want a letter"},
		{"space in name", map[string]string{"ten ant": "x"}, "", "want a letter"},
		{"long name", map[string]string{strings.Repeat("n", 65): "x"}, "", "longer than 64 bytes"},
		{"long value", map[string]string{"t": strings.Repeat("x", 257)}, "", "longer than 256 bytes"},
		{"control character", map[string]string{"t": "a\nb"}, "", "not printable"},
		{"invalid UTF-8", map[string]string{"t": "\xff"}, "", "not printable"},
		{"too many", many, "", "at most 10"},
		{"too large", big, "", "at most 1024"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tokens.CheckUserClaims(tt.claims, tt.identity)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (!errors.Is(err, tokens.ErrUserClaim) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want ErrUserClaim with %q", err, tt.want)
			}
		})
	}
}

// rawToken signs payload as it is, claims in the order given (flask writes
// its additional claims after its own; jwt.MapClaims would sort them).
func rawToken(t *testing.T, payload string) string {
	t.Helper()
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	p := base64.RawURLEncoding.EncodeToString([]byte(payload))
	sig, err := jwt.SigningMethodHS256.Sign(h+"."+p, secret)
	if err != nil {
		t.Fatal(err)
	}
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestFoldedClaimNames: a claim whose name differs from one of jwtgate's
// but folds onto it (encoding/json matches keys to fields in any case, the
// last match winning) is a claim of its own, as PyJWT reads it: a flask
// token's additional claim "Sub" or "Type" after flask's claims no longer
// replaces its identity or turns an access token into a refresh token.
func TestFoldedClaimNames(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, func(o *tokens.Options) { o.LegacyUntil = t0.Add(time.Hour) })
	iat := t0.Unix()
	for _, extra := range []string{`"Sub":"root"`, `"SUB":"root"`, `"\u0053ub":"root"`, "\"\u017fub\":\"root\"",
		`"Type":"refresh"`, `"Sid":"s9"`, `"Fresh":true`, `"ROLES":["admin"]`, `"Exp":1`, `"Name":"Alice Ünal"`} {
		t.Run(extra, func(t *testing.T) {
			p := fmt.Sprintf(`{"fresh":false,"iat":%d,"jti":"j1","type":"access","sub":"alice","nbf":%d,"exp":%d,%s}`, iat, iat, iat+600, extra)
			c, err := s.Parse(rawToken(t, p))
			if err != nil {
				t.Fatalf("Parse: %v; want the flask token accepted", err)
			}
			if c.Subject != "alice" || c.Type != tokens.Access || c.SID != "" || !c.Legacy || c.Fresh.At(t0) || c.Roles != nil {
				t.Errorf("claims = sub %q type %q sid %q legacy %v fresh %+v roles %v; want alice, access, none, legacy, not fresh, none",
					c.Subject, c.Type, c.SID, c.Legacy, c.Fresh, c.Roles)
			}
		})
	}
	// A jwtgate token whose values hold capitals (the slow path) reads as issued.
	iss, err := s.Issue(tokens.Access, tokens.Subject{Name: "Alice", Roles: []string{"Admin"}}, "s1", true)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.Parse(iss.Token); err != nil || c.Subject != "Alice" || c.SID != "s1" || len(c.Roles) != 1 || c.Roles[0] != "Admin" {
		t.Fatalf("Parse = %+v, %v; want Alice, s1, [Admin]", c, err)
	}
}
