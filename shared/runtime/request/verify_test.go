package request_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/request"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

const verifySecret = "request-verify-secret-0123456789abcdef"

// TestVerifyOrder pins flask-jwt-extended's order of checks: each case
// fails two checks at once and must report the one flask reports first.
func TestVerifyOrder(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	ts, err := tokens.New(tokens.Options{Keys: []tokens.Key{{Secret: []byte(verifySecret)}},
		AccessTTL: time.Minute, Clock: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ts.IssuePair(tokens.Subject{Name: "testuser"}, "sid-1", true)
	if err != nil {
		t.Fatal(err)
	}
	access, refresh := pair.Access, pair.Refresh
	v := request.NewVerifier(ts, request.Locations{Cookies: true, Headers: true, HeaderName: "Authorization", HeaderType: "Bearer"},
		request.DefaultCSRF())
	accessWant := request.Want{Cookie: "access_token_cookie", CSRFHeader: "X-CSRF-TOKEN", Type: tokens.Access}

	tests := []struct {
		name    string
		method  string
		cookie  string
		csrf    string
		bearer  string
		later   time.Duration // clock moved forward before the check
		want    request.Want
		msg     string // "" for a pass
		kind    error
		expired bool // a pass that carries tokens.ErrExpired
	}{
		{name: "GET needs no CSRF", method: "GET", cookie: access.Token, want: accessWant},
		{name: "POST with CSRF", method: "POST", cookie: access.Token, csrf: access.Claims.CSRF, want: accessWant},
		{name: "no token anywhere", method: "GET", want: accessWant, kind: request.ErrNoToken,
			msg: `Missing JWT in cookies or headers (Missing cookie "access_token_cookie"; Missing Authorization Header)`},
		{name: "CSRF presence before decoding", method: "POST", cookie: "not-a-jwt", want: accessWant,
			kind: request.ErrCSRFMissing, msg: "Missing CSRF token"},
		{name: "signature before CSRF compare", method: "POST", cookie: access.Token + "x", csrf: "wrong", want: accessWant,
			kind: tokens.ErrSignature, msg: "Signature verification failed"},
		{name: "CSRF compare before expiry", method: "POST", cookie: access.Token, csrf: "wrong", later: time.Hour,
			want: accessWant, kind: request.ErrCSRFMismatch, msg: "CSRF double submit tokens do not match"},
		{name: "expiry before type", method: "GET", cookie: refresh.Token, later: 31 * 24 * time.Hour, want: accessWant,
			kind: tokens.ErrExpired, msg: "Token has expired"},
		{name: "type", method: "GET", cookie: refresh.Token, want: accessWant,
			kind: tokens.ErrWrongType, msg: "Only non-refresh tokens are allowed"},
		{name: "Bearer token skips CSRF", method: "POST", bearer: access.Token, want: accessWant},
		{name: "SkipCSRF (cached decision)", method: "POST", cookie: access.Token,
			want: request.Want{Cookie: "access_token_cookie", Type: tokens.Access, SkipCSRF: true}},
		{name: "AllowExpired keeps the claims", method: "POST", cookie: access.Token, csrf: access.Claims.CSRF, later: time.Hour,
			want: request.Want{Cookie: "access_token_cookie", CSRFHeader: "X-CSRF-TOKEN", Type: tokens.Access, AllowExpired: true},
			kind: tokens.ErrExpired, expired: true},
		{name: "AllowExpired still checks the type", method: "GET", cookie: refresh.Token, later: 31 * 24 * time.Hour,
			want: request.Want{Cookie: "access_token_cookie", Type: tokens.Access, AllowExpired: true},
			kind: tokens.ErrWrongType, msg: "Only non-refresh tokens are allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock = now.Add(tc.later)
			h := http.Header{}
			if tc.cookie != "" {
				h.Set("Cookie", "access_token_cookie="+tc.cookie)
			}
			if tc.csrf != "" {
				h.Set("X-CSRF-TOKEN", tc.csrf)
			}
			if tc.bearer != "" {
				h.Set("Authorization", "Bearer "+tc.bearer)
			}
			claims, err := v.Verify(request.Input{Method: tc.method, Headers: h}, tc.want)
			switch {
			case tc.kind == nil:
				if err != nil || claims == nil || claims.Subject != "testuser" {
					t.Fatalf("Verify = %v, %v; want a pass", claims, err)
				}
			case tc.expired:
				if claims == nil || !errors.Is(err, tokens.ErrExpired) {
					t.Fatalf("Verify = %v, %v; want claims with ErrExpired", claims, err)
				}
			default:
				msg, ok := tokens.Message(err)
				if claims != nil || !errors.Is(err, tc.kind) || !ok || msg != tc.msg {
					t.Fatalf("Verify = %v, %v (msg %q); want %v %q", claims, err, msg, tc.kind, tc.msg)
				}
			}
		})
	}
}
