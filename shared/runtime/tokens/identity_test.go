package tokens_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/testkit/servers"
)

// flaskTokens has the real flask-jwt-extended 4.4.4 (PyJWT 2.6) log
// identity in with the test secret and returns its access and refresh
// tokens; asInt passes the identity as a Python int, as
// create_access_token(identity=user.id) does. identityClaim is the app's
// JWT_IDENTITY_CLAIM ("" for sub).
func flaskTokens(t *testing.T, identity string, asInt bool, identityClaim string) (access, refresh string) {
	t.Helper()
	env := map[string]string{"FLASK_IDENTITY_CLAIM": identityClaim}
	if asInt {
		env["FLASK_IDENTITY_INT"] = "1"
	}
	jar := servers.MintFlask(t, servers.Mint{Secret: string(secret), Identity: identity, Env: env})
	return jar["access_token_cookie"], jar["refresh_token_cookie"]
}

// TestLegacyIdentities: with MapLegacyIdentities and the window open, a
// flask token's identity, an integer or a string, is read into
// LegacyIdentity in canonical form (42, "42" and "u-42" apart) and Subject
// stays empty until it is mapped; an integer is refused as before with the
// mapping off, after the window, and on a token with a sid.
func TestLegacyIdentities(t *testing.T) {
	t.Parallel()
	now := time.Now() // flask signs with the real clock
	open := func(o *tokens.Options) { o.LegacyUntil = now.Add(time.Hour); o.MapLegacyIdentities = true }
	tests := []struct {
		name          string
		identity      string
		asInt         bool
		identityClaim string
		opts          func(*tokens.Options)
		want          string // LegacyIdentity; "" with msg
		sub           string // Subject when not mapped
		msg           string
	}{
		{name: "integer", identity: "42", asInt: true, opts: open, want: "42"},
		{name: "negative integer", identity: "-7", asInt: true, opts: open, want: "-7"},
		{name: "numeric string", identity: "42", opts: open, want: `"42"`},
		{name: "string id", identity: "u-42", opts: open, want: `"u-42"`},
		{name: "html characters kept", identity: "a<b>&c", opts: open, want: `"a<b>&c"`},
		{name: "integer under JWT_IDENTITY_CLAIM", identity: "42", asInt: true, identityClaim: "identity",
			opts: func(o *tokens.Options) { open(o); o.IdentityClaim = "identity" }, want: "42"},
		{name: "mapping off: integer refused as today", identity: "42", asInt: true,
			opts: func(o *tokens.Options) { o.LegacyUntil = now.Add(time.Hour) }, msg: "Subject must be a string"},
		{name: "mapping off: string is the username", identity: "alice",
			opts: func(o *tokens.Options) { o.LegacyUntil = now.Add(time.Hour) }, sub: "alice"},
		{name: "mapping off under JWT_IDENTITY_CLAIM", identity: "42", asInt: true, identityClaim: "identity",
			opts: func(o *tokens.Options) { o.LegacyUntil = now.Add(time.Hour); o.IdentityClaim = "identity" },
			msg:  "Identity claim (identity) must be a string"},
		{name: "window closed: integer refused", identity: "42", asInt: true,
			opts: func(o *tokens.Options) { o.LegacyUntil = now.Add(-time.Minute); o.MapLegacyIdentities = true },
			msg:  "Subject must be a string"},
		{name: "window closed: string", identity: "u-42",
			opts: func(o *tokens.Options) { o.LegacyUntil = now.Add(-time.Minute); o.MapLegacyIdentities = true },
			msg:  tokens.MsgLegacyClosed},
		{name: "no window: integer refused", identity: "42", asInt: true,
			opts: func(o *tokens.Options) { o.MapLegacyIdentities = true }, msg: "Subject must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			access, refresh := flaskTokens(t, tt.identity, tt.asInt, tt.identityClaim)
			s := newService(t, &fakeClock{now: time.Now()}, tt.opts) // after flask's iat
			for _, tok := range []string{access, refresh} {
				c, err := s.Parse(tok)
				if tt.msg != "" {
					if msg, _ := tokens.Message(err); c != nil || msg != tt.msg {
						t.Fatalf("Parse = %+v, %v; want refused with %q", c, err, tt.msg)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if !c.Legacy || c.LegacyIdentity != tt.want || c.Subject != tt.sub {
					t.Errorf("claims: legacy %v, identity %q, subject %q; want legacy, %q, %q", c.Legacy, c.LegacyIdentity, c.Subject, tt.want, tt.sub)
				}
			}
		})
	}
}

// TestLegacyIntegerOnlyWithoutSid: with the mapping on and the window
// open, a token carrying a sid (jwtgate's kind) keeps PyJWT 2.10's refusal
// of an integer sub, and its string sub is a username, never mapped.
func TestLegacyIntegerOnlyWithoutSid(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{now: t0}
	s := newService(t, clk, func(o *tokens.Options) { o.LegacyUntil = t0.Add(time.Hour); o.MapLegacyIdentities = true })
	iat := t0.Unix()
	for _, tc := range []struct{ name, payload, msg, sub string }{
		{"integer with sid", `{"type":"access","sub":42,"sid":"s1","jti":"j","iat":%d,"exp":%d}`, "Subject must be a string", ""},
		{"fraction without sid", `{"type":"access","sub":42.5,"jti":"j","iat":%d,"exp":%d}`, "Subject must be a string", ""},
		{"integer of a type of its own", `{"type":"other","sub":42,"jti":"j","iat":%d,"exp":%d}`, "Subject must be a string", ""},
		{"integer without jti", `{"type":"access","sub":42,"iat":%d,"exp":%d}`, "Subject must be a string", ""},
		{"string with sid", `{"type":"access","sub":"u-42","sid":"s1","jti":"j","iat":%d,"exp":%d}`, "", "u-42"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Parse(rawToken(t, fmt.Sprintf(tc.payload, iat, iat+600)))
			if tc.msg != "" {
				if msg, _ := tokens.Message(err); c != nil || msg != tc.msg {
					t.Fatalf("Parse = %+v, %v; want %q", c, err, tc.msg)
				}
				return
			}
			if err != nil || c.Legacy || c.LegacyIdentity != "" || c.Subject != tc.sub {
				t.Fatalf("Parse = %+v, %v; want subject %q, not legacy", c, err, tc.sub)
			}
		})
	}
}

func TestCanonicalIdentity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"42", "42"}, {" 42 ", "42"}, {"-1", "-1"}, {"0", "0"}, {"123456789012345678901234567890", "123456789012345678901234567890"},
		{`"42"`, `"42"`}, {`"u-42"`, `"u-42"`}, {`"\u0075-42"`, `"u-42"`}, {`"a<b>"`, `"a<b>"`}, {`"ünal"`, `"ünal"`}, {`"\u00fcnal"`, `"ünal"`},
		{"042", ""}, {"4.2", ""}, {"4e1", ""}, {"-0.0", ""}, {`""`, ""}, {"true", ""}, {"null", ""}, {`{"id":1}`, ""},
		{"[1]", ""}, {"", ""}, {`"\ud800"`, ""}, {"u-42", ""}, {`"unterminated`, ""},
	} {
		got, err := tokens.CanonicalIdentity([]byte(tc.in))
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("CanonicalIdentity(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestUnknownIdentity: flask-jwt-extended's user lookup message, with the
// identity as Python formats it.
func TestUnknownIdentity(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"42": "Error loading the user 42", `"u-42"`: "Error loading the user u-42"} {
		err := tokens.UnknownIdentity(in)
		if msg, ok := tokens.Message(err); !ok || msg != want || !errors.Is(err, tokens.ErrUnknownIdentity) {
			t.Errorf("UnknownIdentity(%s) = %v; want %q, ErrUnknownIdentity", in, err, want)
		}
	}
}
