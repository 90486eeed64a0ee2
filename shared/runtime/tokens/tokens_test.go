package tokens_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

var (
	secret      = []byte("0123456789abcdef0123456789abcdef")
	otherSecret = []byte("fedcba9876543210fedcba9876543210")
	t0          = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

// fakeClock is advanced by the test; nothing sleeps.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

func newService(t *testing.T, clk *fakeClock, mod func(*tokens.Options)) *tokens.Service {
	t.Helper()
	opts := tokens.Options{Keys: []tokens.Key{{Secret: secret}}, Clock: clk.Now}
	if mod != nil {
		mod(&opts)
	}
	s, err := tokens.New(opts)
	if err != nil {
		t.Fatalf("tokens.New: %v", err)
	}
	return s
}

// validClaims are the claims of a well-formed access token issued at now,
// for hand-crafted tokens.
func validClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"fresh": false, "type": "access", "csrf": "c1", "sid": "s1", "roles": []string{"user"},
		"sub": "alice", "jti": "j1",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	}
}

func sign(t *testing.T, method jwt.SigningMethod, claims jwt.MapClaims, key []byte, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func b64json(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// wantRefused checks err is a *ValidationError of kind with message msg.
func wantRefused(t *testing.T, err error, kind error, msg string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want kind %v", err, kind)
	}
	got, ok := tokens.Message(err)
	if !ok || got != msg {
		t.Fatalf("message = %q (%v), want %q", got, ok, msg)
	}
}

func TestIssueParseRoundTrip(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, nil)
	pair, err := s.IssuePair(tokens.Subject{Name: "alice", Roles: []string{"admin", "user"}}, "sid-1", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		iss   tokens.Issued
		typ   tokens.Type
		fresh bool
		ttl   time.Duration
	}{
		{"access", pair.Access, tokens.Access, true, tokens.DefaultAccessTTL},
		{"refresh", pair.Refresh, tokens.Refresh, false, tokens.DefaultRefreshTTL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Parse(tc.iss.Token)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if c.Type != tc.typ || c.Fresh.Fresh != tc.fresh || c.Subject != "alice" || c.SID != "sid-1" ||
				!slices.Equal(c.Roles, []string{"admin", "user"}) {
				t.Errorf("claims = %+v", c)
			}
			if !c.IssuedAt.Equal(t0) || !c.NotBefore.Equal(t0) || !c.ExpiresAt.Equal(t0.Add(tc.ttl)) {
				t.Errorf("iat %v nbf %v exp %v, want %v, %v, %v", c.IssuedAt, c.NotBefore, c.ExpiresAt, t0, t0, t0.Add(tc.ttl))
			}
			if c.ID == "" || c.CSRF == "" || c.ID == c.CSRF {
				t.Errorf("jti %q csrf %q: want two distinct values", c.ID, c.CSRF)
			}
			// The wire form carries every flask claim under its flask name.
			parts := strings.Split(tc.iss.Token, ".")
			raw, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"fresh", "iat", "jti", "type", "sub", "nbf", "csrf", "exp", "sid", "roles"} {
				if _, ok := m[k]; !ok {
					t.Errorf("claim %q missing from %s", k, raw)
				}
			}
			if m["nbf"] != m["iat"] {
				t.Errorf("nbf %v != iat %v", m["nbf"], m["iat"])
			}
			hraw, _ := base64.RawURLEncoding.DecodeString(parts[0])
			var h map[string]any
			if err := json.Unmarshal(hraw, &h); err != nil {
				t.Fatal(err)
			}
			if h["alg"] != "HS256" || h["typ"] != "JWT" {
				t.Errorf("header = %s, want alg HS256 typ JWT", hraw)
			}
			if _, ok := h["kid"]; ok {
				t.Errorf("header %s has a kid although no key id is configured", hraw)
			}
		})
	}
	if pair.Access.Claims.ID == pair.Refresh.Claims.ID || pair.Access.Claims.CSRF == pair.Refresh.Claims.CSRF {
		t.Errorf("access and refresh share jti or csrf")
	}
}

func TestIssueKid(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, func(o *tokens.Options) { o.Keys = []tokens.Key{{ID: "2026-03", Secret: secret}} })
	iss, err := s.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "s", false)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := jwt.NewParser().ParseUnverified(iss.Token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	if tok.Header["kid"] != "2026-03" {
		t.Errorf("kid = %v, want 2026-03", tok.Header["kid"])
	}
	if c, err := s.Parse(iss.Token); err != nil || c.Roles == nil {
		t.Errorf("Parse = %+v, %v; want roles [] (not null) and no error", c, err)
	}
}

func TestPinnedAlgorithms(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, nil)
	claims := validClaims(t0)
	payload := b64json(t, claims)
	tests := []struct {
		name  string
		token string
	}{
		{"HS512", sign(t, jwt.SigningMethodHS512, claims, secret, nil)},
		{"HS384", sign(t, jwt.SigningMethodHS384, claims, secret, nil)},
		{"none", b64json(t, map[string]string{"alg": "none", "typ": "JWT"}) + "." + payload + "."},
		{"None", b64json(t, map[string]string{"alg": "None", "typ": "JWT"}) + "." + payload + "."},
		{"NONE", b64json(t, map[string]string{"alg": "NONE", "typ": "JWT"}) + "." + payload + "."},
		{"none with HS256 signature", func() string {
			good := sign(t, jwt.SigningMethodHS256, claims, secret, nil)
			return b64json(t, map[string]string{"alg": "none"}) + "." + payload + "." + strings.Split(good, ".")[2]
		}()},
		{"RS256", b64json(t, map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + payload + ".c2ln"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Parse(tc.token)
			if c != nil {
				t.Errorf("claims returned for a refused token: %+v", c)
			}
			wantRefused(t, err, tokens.ErrAlgorithm, "The specified alg value is not allowed")
		})
	}
	t.Run("HS512 allowed when configured", func(t *testing.T) {
		s := newService(t, clk, func(o *tokens.Options) { o.DecodeAlgorithms = []string{"HS256", "HS512"} })
		if _, err := s.Parse(sign(t, jwt.SigningMethodHS512, claims, secret, nil)); err != nil {
			t.Fatalf("Parse = %v", err)
		}
	})
	t.Run("non-HMAC refused at New", func(t *testing.T) {
		for _, o := range []tokens.Options{
			{Algorithm: "RS256", Keys: []tokens.Key{{Secret: secret}}},
			{Algorithm: "none", Keys: []tokens.Key{{Secret: secret}}},
			{DecodeAlgorithms: []string{"HS256", "none"}, Keys: []tokens.Key{{Secret: secret}}},
			{Keys: nil},
			{Keys: []tokens.Key{{ID: "a", Secret: nil}}},
			{Keys: []tokens.Key{{ID: "a", Secret: secret}, {ID: "a", Secret: otherSecret}}},
		} {
			if _, err := tokens.New(o); err == nil {
				t.Errorf("New(%+v) = nil error", o)
			}
		}
	})
}

func TestExpRequired(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, nil)
	claims := validClaims(t0)
	delete(claims, "exp")
	_, err := s.Parse(sign(t, jwt.SigningMethodHS256, claims, secret, nil))
	wantRefused(t, err, tokens.ErrMissingClaim, `Token is missing the "exp" claim`)
}

func TestExpiry(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, func(o *tokens.Options) { o.AccessTTL = time.Minute })
	iss, err := s.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "sid-1", true)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(59 * time.Second)
	if _, err := s.Parse(iss.Token); err != nil {
		t.Fatalf("1s before exp: %v", err)
	}
	clk.Advance(time.Second) // now == exp: expired, as in PyJWT (exp <= now - leeway)
	c, err := s.Parse(iss.Token)
	wantRefused(t, err, tokens.ErrExpired, "Token has expired")
	if c == nil || c.SID != "sid-1" || c.CSRF != iss.Claims.CSRF {
		t.Fatalf("expired token: claims %+v, want the token's claims (csrf compare and logout need them)", c)
	}

	t.Run("within leeway", func(t *testing.T) {
		clk := &fakeClock{now: t0}
		s := newService(t, clk, func(o *tokens.Options) { o.AccessTTL = time.Minute; o.Leeway = 30 * time.Second })
		iss, err := s.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "sid-1", true)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute + 29*time.Second)
		if _, err := s.Parse(iss.Token); err != nil {
			t.Fatalf("within leeway: %v", err)
		}
		clk.Advance(time.Second)
		_, err = s.Parse(iss.Token)
		wantRefused(t, err, tokens.ErrExpired, "Token has expired")
	})

	t.Run("expired token with bad signature is not expired", func(t *testing.T) {
		claims := validClaims(t0.Add(-time.Hour))
		c, err := s.Parse(sign(t, jwt.SigningMethodHS256, claims, otherSecret, nil))
		if c != nil {
			t.Errorf("claims of a forged expired token returned: %+v", c)
		}
		wantRefused(t, err, tokens.ErrSignature, "Signature verification failed")
	})
}

func TestNotYetValid(t *testing.T) {
	tests := []struct {
		name     string
		iat, nbf time.Duration // relative to now
		leeway   time.Duration
		msg      string
	}{
		{"nbf in the future", 0, 10 * time.Second, 0, "The token is not yet valid (nbf)"},
		{"iat and nbf in the future", 10 * time.Second, 10 * time.Second, 0, "The token is not yet valid (iat)"},
		{"iat in the future, nbf now", 10 * time.Second, 0, 0, "The token is not yet valid (iat)"},
		{"nbf in the future beyond leeway", 0, 10 * time.Second, 5 * time.Second, "The token is not yet valid (nbf)"},
		{"iat in the future beyond leeway", 10 * time.Second, 0, 5 * time.Second, "The token is not yet valid (iat)"},
		{"nbf in the future within leeway", 0, 10 * time.Second, 10 * time.Second, ""},
		{"iat and nbf in the future within leeway", 5 * time.Second, 5 * time.Second, 10 * time.Second, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{now: t0}
			s := newService(t, clk, func(o *tokens.Options) { o.Leeway = tc.leeway })
			claims := validClaims(t0)
			claims["iat"] = t0.Add(tc.iat).Unix()
			claims["nbf"] = t0.Add(tc.nbf).Unix()
			_, err := s.Parse(sign(t, jwt.SigningMethodHS256, claims, secret, nil))
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("Parse = %v, want accepted", err)
				}
				return
			}
			wantRefused(t, err, tokens.ErrNotYetValid, tc.msg)
		})
	}
	t.Run("issued by a clock ahead", func(t *testing.T) {
		ahead := &fakeClock{now: t0.Add(time.Minute)}
		iss, err := newService(t, ahead, nil).Issue(tokens.Access, tokens.Subject{Name: "alice"}, "s", false)
		if err != nil {
			t.Fatal(err)
		}
		_, err = newService(t, &fakeClock{now: t0}, nil).Parse(iss.Token)
		wantRefused(t, err, tokens.ErrNotYetValid, "The token is not yet valid (iat)")
	})
}

func TestSignatureAndMalformed(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, nil)
	good := sign(t, jwt.SigningMethodHS256, validClaims(t0), secret, nil)
	parts := strings.Split(good, ".")
	tampered := validClaims(t0)
	tampered["roles"] = []string{"admin"}
	tests := []struct {
		name, token string
		kind        error
		msg         string
	}{
		{"other key", sign(t, jwt.SigningMethodHS256, validClaims(t0), otherSecret, nil), tokens.ErrSignature, "Signature verification failed"},
		{"payload swapped", parts[0] + "." + b64json(t, tampered) + "." + parts[2], tokens.ErrSignature, "Signature verification failed"},
		{"signature truncated", parts[0] + "." + parts[1] + "." + parts[2][:10], tokens.ErrSignature, "Signature verification failed"},
		{"empty", "", tokens.ErrMalformed, "Not enough segments"},
		{"one segment", "abc", tokens.ErrMalformed, "Not enough segments"},
		{"two segments", parts[0] + "." + parts[1], tokens.ErrMalformed, "Not enough segments"},
		{"four segments", good + ".x", tokens.ErrMalformed, "Not enough segments"},
		{"header not base64", "!!!." + parts[1] + "." + parts[2], tokens.ErrMalformed, "Invalid header padding"},
		{"payload not base64", parts[0] + ".!!!." + parts[2], tokens.ErrMalformed, "Invalid payload padding"},
		{"signature not base64", parts[0] + "." + parts[1] + ".!!!", tokens.ErrMalformed, "Invalid crypto padding"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := s.Parse(tc.token)
			if c != nil {
				t.Errorf("claims returned: %+v", c)
			}
			wantRefused(t, err, tc.kind, tc.msg)
		})
	}
}

func TestIssuerAudience(t *testing.T) {
	clk := &fakeClock{now: t0}
	issuer := newService(t, clk, func(o *tokens.Options) { o.Issuer = "https://a.example"; o.Audience = []string{"app-a"} })
	iss, err := issuer.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "s", false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mod  func(*tokens.Options)
		kind error
		msg  string
	}{
		{"matching", func(o *tokens.Options) {
			o.DecodeIssuer = "https://a.example"
			o.DecodeAudience = []string{"app-b", "app-a"}
		}, nil, ""},
		{"issuer mismatch", func(o *tokens.Options) { o.DecodeIssuer = "https://b.example" }, tokens.ErrIssuer, "Invalid issuer"},
		{"audience mismatch", func(o *tokens.Options) { o.DecodeAudience = []string{"app-b"} }, tokens.ErrAudience, "Invalid audience"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newService(t, clk, tc.mod).Parse(iss.Token)
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("Parse = %v", err)
				}
				return
			}
			wantRefused(t, err, tc.kind, tc.msg)
		})
	}
	t.Run("expired with wrong issuer reports the issuer", func(t *testing.T) {
		later := &fakeClock{now: t0.Add(time.Hour)}
		c, err := newService(t, later, func(o *tokens.Options) { o.DecodeIssuer = "https://b.example" }).Parse(iss.Token)
		if c != nil {
			t.Errorf("claims returned: %+v", c)
		}
		wantRefused(t, err, tokens.ErrIssuer, "Invalid issuer")
	})
	t.Run("token without aud when one is required", func(t *testing.T) {
		plain := sign(t, jwt.SigningMethodHS256, validClaims(t0), secret, nil)
		_, err := newService(t, clk, func(o *tokens.Options) { o.DecodeAudience = []string{"app-a"} }).Parse(plain)
		if !errors.Is(err, tokens.ErrAudience) && !errors.Is(err, tokens.ErrMissingClaim) {
			t.Fatalf("Parse = %v, want refused for the missing aud", err)
		}
	})
}

func TestMissingAndInvalidClaims(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, nil)
	tests := []struct {
		name string
		mod  func(jwt.MapClaims)
		kind error
		msg  string
	}{
		{"no sub", func(c jwt.MapClaims) { delete(c, "sub") }, tokens.ErrMissingClaim, "Missing claim: sub"},
		{"no sub and no exp", func(c jwt.MapClaims) { delete(c, "sub"); delete(c, "exp") }, tokens.ErrMissingClaim, "Missing claim: sub"},
		{"empty sub", func(c jwt.MapClaims) { c["sub"] = "" }, tokens.ErrMissingClaim, "Missing claim: sub"},
		{"no jti on a refresh token", func(c jwt.MapClaims) { delete(c, "jti"); c["type"] = "refresh" }, tokens.ErrMissingClaim, "Missing claim: jti"},
		{"numeric jti", func(c jwt.MapClaims) { c["jti"] = 7 }, tokens.ErrMalformed, "JWT ID must be a string"},
		{"no sid", func(c jwt.MapClaims) { delete(c, "sid") }, tokens.ErrMissingClaim, "Missing claim: sid"},
		{"fresh neither bool nor number", func(c jwt.MapClaims) { c["fresh"] = "yes" }, tokens.ErrMalformed, "Invalid payload string"},
		{"no iat", func(c jwt.MapClaims) { delete(c, "iat") }, tokens.ErrMissingClaim, "Missing claim: iat"},
		{"numeric sub", func(c jwt.MapClaims) { c["sub"] = 42 }, tokens.ErrMalformed, "Subject must be a string"},
		{"object sub", func(c jwt.MapClaims) { c["sub"] = map[string]string{"id": "alice"} }, tokens.ErrMalformed, "Subject must be a string"},
		{"expired and no sid", func(c jwt.MapClaims) {
			delete(c, "sid")
			c["exp"] = t0.Add(-time.Second).Unix()
		}, tokens.ErrMissingClaim, "Missing claim: sid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claims := validClaims(t0)
			tc.mod(claims)
			c, err := s.Parse(sign(t, jwt.SigningMethodHS256, claims, secret, nil))
			if c != nil {
				t.Errorf("claims returned: %+v", c)
			}
			wantRefused(t, err, tc.kind, tc.msg)
		})
	}
}

func TestTooLarge(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, nil)
	claims := validClaims(t0)
	claims["pad"] = strings.Repeat("x", tokens.DefaultMaxTokenBytes)
	big := sign(t, jwt.SigningMethodHS256, claims, secret, nil)
	_, err := s.Parse(big)
	wantRefused(t, err, tokens.ErrTooLarge, "Token is too large")

	// Refused before any decoding: no base64, no JSON, no HMAC.
	junk := strings.Repeat("a", 1<<20)
	allocs := testing.AllocsPerRun(20, func() { _, _ = s.Parse(junk) })
	if allocs > 2 {
		t.Errorf("Parse of a 1 MiB token allocates %v times, want the size check first (<= 2)", allocs)
	}
	t.Run("limit is inclusive", func(t *testing.T) {
		s := newService(t, clk, func(o *tokens.Options) { o.MaxTokenBytes = 1 << 20 })
		if _, err := s.Parse(big); err != nil {
			t.Fatalf("with a 1 MiB limit: %v", err)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	clk := &fakeClock{now: t0}
	oldSvc := newService(t, clk, func(o *tokens.Options) { o.Keys = []tokens.Key{{ID: "old", Secret: secret}} })
	both := newService(t, clk, func(o *tokens.Options) {
		o.Keys = []tokens.Key{{ID: "new", Secret: otherSecret}, {ID: "old", Secret: secret}}
	})
	newOnly := newService(t, clk, func(o *tokens.Options) { o.Keys = []tokens.Key{{ID: "new", Secret: otherSecret}} })
	old, err := oldSvc.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "s", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := both.Parse(old.Token); err != nil {
		t.Fatalf("token of the previous key with both keys configured: %v", err)
	}
	fresh, err := both.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "s", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newOnly.Parse(fresh.Token); err != nil {
		t.Fatalf("new tokens are signed with Keys[0]: %v", err)
	}
	_, err = newOnly.Parse(old.Token)
	wantRefused(t, err, tokens.ErrUnknownKey, "Unknown signing key")

	t.Run("kid naming the wrong key", func(t *testing.T) {
		forged := sign(t, jwt.SigningMethodHS256, validClaims(t0), secret, map[string]any{"kid": "new"})
		_, err := both.Parse(forged)
		wantRefused(t, err, tokens.ErrSignature, "Signature verification failed")
	})
	t.Run("non-string kid", func(t *testing.T) {
		forged := sign(t, jwt.SigningMethodHS256, validClaims(t0), secret, map[string]any{"kid": 7})
		_, err := both.Parse(forged)
		wantRefused(t, err, tokens.ErrMalformed, "Key ID header parameter must be a string") // PyJWT 2.6 and 2.10 alike
	})
	t.Run("token without kid tries every key", func(t *testing.T) {
		plain := sign(t, jwt.SigningMethodHS256, validClaims(t0), secret, nil)
		if _, err := both.Parse(plain); err != nil {
			t.Fatalf("Parse = %v", err)
		}
		_, err := newOnly.Parse(plain)
		wantRefused(t, err, tokens.ErrSignature, "Signature verification failed")
	})
}

func TestCheckType(t *testing.T) {
	tests := []struct {
		have, want tokens.Type
		msg        string
	}{
		{tokens.Access, tokens.Access, ""},
		{tokens.Refresh, tokens.Refresh, ""},
		{tokens.Access, tokens.Refresh, "Only refresh tokens are allowed"},
		{tokens.Refresh, tokens.Access, "Only non-refresh tokens are allowed"},
	}
	for _, tc := range tests {
		t.Run(string(tc.have)+" as "+string(tc.want), func(t *testing.T) {
			err := tokens.CheckType(&tokens.Claims{Type: tc.have}, tc.want)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("CheckType = %v", err)
				}
				return
			}
			wantRefused(t, err, tokens.ErrWrongType, tc.msg)
		})
	}
	if _, ok := tokens.Message(errors.New("store down")); ok {
		t.Errorf("Message of a non-token error must report false")
	}
}

// TestGenerationClaim: the user's generation travels as "gen" through both
// tokens of a pair, and a token without it (flask-minted, or issued before
// generations) reads as generation 0; generation 0 writes no claim, so the
// payload stays flask's.
func TestGenerationClaim(t *testing.T) {
	clk := &fakeClock{now: time.Now()}
	s := newService(t, clk, nil)
	for _, gen := range []int64{0, 1, 42} {
		p, err := s.IssuePair(tokens.Subject{Name: "alice", Generation: gen}, "s1", true)
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{p.Access.Token, p.Refresh.Token} {
			c, err := s.Parse(tok)
			if err != nil || c.Gen != gen {
				t.Fatalf("generation %d: Parse = %+v, %v", gen, c, err)
			}
			payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
			if has := strings.Contains(string(payload), `"gen":`); has != (gen != 0) {
				t.Errorf("generation %d: payload %s", gen, payload)
			}
		}
	}
	c, err := s.Parse(sign(t, jwt.SigningMethodHS256, validClaims(clk.now), secret, nil))
	if err != nil || c.Gen != 0 {
		t.Fatalf("token without gen: %+v, %v; want generation 0", c, err)
	}
}

// TestRotate: a refresh's new refresh token keeps the replaced one's csrf
// value (a new one when there is none); the access token is new and never
// fresh.
func TestRotate(t *testing.T) {
	s := newService(t, &fakeClock{now: t0}, nil)
	for _, keep := range []string{"kept-csrf-value", ""} {
		p, err := s.Rotate(tokens.Subject{Name: "alice"}, "sid-1", keep)
		if err != nil {
			t.Fatal(err)
		}
		if keep != "" && p.Refresh.Claims.CSRF != keep {
			t.Errorf("refresh csrf %q, want %q", p.Refresh.Claims.CSRF, keep)
		}
		if p.Refresh.Claims.CSRF == "" || p.Access.Claims.CSRF == "" || p.Access.Claims.CSRF == p.Refresh.Claims.CSRF {
			t.Errorf("csrf values access %q refresh %q, want both set and distinct", p.Access.Claims.CSRF, p.Refresh.Claims.CSRF)
		}
		if p.Access.Claims.Fresh.Fresh || p.Access.Claims.Type != tokens.Access || p.Refresh.Claims.Type != tokens.Refresh ||
			p.Access.Claims.SID != "sid-1" || p.Refresh.Claims.SID != "sid-1" {
			t.Errorf("pair %+v / %+v", p.Access.Claims, p.Refresh.Claims)
		}
	}
}

// TestFlaskOptionalClaims: the claims flask-jwt-extended fills in or does
// not type-check are read as it reads them (tests/test_decode_tokens.py):
// no type is an access token, a type other than "refresh" passes access
// routes only, no jti is accepted on an access token, fresh may be a
// number (timed freshness).
func TestFlaskOptionalClaims(t *testing.T) {
	clk := &fakeClock{now: t0}
	s := newService(t, clk, nil)
	tests := []struct {
		name          string
		mod           func(jwt.MapClaims)
		access, fresh bool // passes an access route; fresh at t0
		refreshRoute  bool // passes the refresh route
	}{
		{"no type", func(c jwt.MapClaims) { delete(c, "type") }, true, false, false},
		{"other type", func(c jwt.MapClaims) { c["type"] = "id" }, true, false, false},
		{"numeric type", func(c jwt.MapClaims) { c["type"] = 5 }, true, false, false},
		{"refresh type", func(c jwt.MapClaims) { c["type"] = "refresh" }, false, false, true},
		{"no jti", func(c jwt.MapClaims) { delete(c, "jti") }, true, false, false},
		{"no fresh", func(c jwt.MapClaims) { delete(c, "fresh") }, true, false, false},
		{"fresh true", func(c jwt.MapClaims) { c["fresh"] = true }, true, true, false},
		{"fresh until later", func(c jwt.MapClaims) { c["fresh"] = float64(t0.Unix()) + 0.5 }, true, true, false},
		{"fresh until earlier", func(c jwt.MapClaims) { c["fresh"] = float64(t0.Unix() - 1) }, true, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claims := validClaims(t0)
			tc.mod(claims)
			c, err := s.Parse(sign(t, jwt.SigningMethodHS256, claims, secret, nil))
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if got := tokens.CheckType(c, tokens.Access) == nil; got != tc.access {
				t.Errorf("access route passes = %v, want %v", got, tc.access)
			}
			if got := tokens.CheckType(c, tokens.Refresh) == nil; got != tc.refreshRoute {
				t.Errorf("refresh route passes = %v, want %v", got, tc.refreshRoute)
			}
			if got := c.Fresh.At(t0); got != tc.fresh {
				t.Errorf("fresh at t0 = %v, want %v", got, tc.fresh)
			}
		})
	}
}

// TestAudienceEncoding: one audience is written as a string, several as an
// array, none not at all, as flask-jwt-extended writes JWT_ENCODE_AUDIENCE.
func TestAudienceEncoding(t *testing.T) {
	clk := &fakeClock{now: t0}
	for _, tc := range []struct {
		aud  []string
		want string
	}{{nil, ""}, {[]string{"a"}, `"a"`}, {[]string{"a", "b"}, `["a","b"]`}} {
		s := newService(t, clk, func(o *tokens.Options) { o.Audience = tc.aud })
		is, err := s.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "s1", false)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(is.Token, ".")[1])
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatal(err)
		}
		if got := string(m["aud"]); got != tc.want {
			t.Errorf("aud %v encoded as %s, want %s", tc.aud, got, tc.want)
		}
		v := newService(t, clk, func(o *tokens.Options) { o.DecodeAudience = []string{"a"} })
		if _, err := v.Parse(is.Token); (err == nil) != (len(tc.aud) > 0) {
			t.Errorf("aud %v: Parse with audience a = %v", tc.aud, err)
		}
	}
}

// TestOmitNBF: JWT_ENCODE_NBF=False (OmitNBF) issues tokens without nbf,
// which still verify; by default nbf is iat, as flask writes it.
func TestOmitNBF(t *testing.T) {
	for _, omit := range []bool{false, true} {
		clk := &fakeClock{now: t0}
		s := newService(t, clk, func(o *tokens.Options) { o.OmitNBF = omit })
		p, err := s.IssuePair(tokens.Subject{Name: "alice"}, "s1", true)
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(p.Access.Token, ".")[1])
		if has := strings.Contains(string(payload), `"nbf":`); has == omit {
			t.Errorf("OmitNBF %v: payload %s", omit, payload)
		}
		if c, err := s.Parse(p.Access.Token); err != nil || (c.NotBefore == nil) != omit {
			t.Errorf("OmitNBF %v: Parse = %+v, %v", omit, c, err)
		}
	}
}

// TestOmitCSRF: with the double submit check off, tokens carry no csrf claim.
func TestOmitCSRF(t *testing.T) {
	s := newService(t, &fakeClock{now: t0}, func(o *tokens.Options) { o.OmitCSRF = true })
	is, err := s.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "s1", false)
	if err != nil {
		t.Fatal(err)
	}
	if is.Claims.CSRF != "" || strings.Contains(is.Token, "csrf") {
		t.Errorf("csrf claim written: %+v", is.Claims)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(is.Token, ".")[1])
	if strings.Contains(string(payload), `"csrf"`) {
		t.Errorf("payload %s has a csrf claim", payload)
	}
}
