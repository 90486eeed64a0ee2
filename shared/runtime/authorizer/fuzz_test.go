package authorizer_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/authorizer"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/cookies"
	"github.com/jwtgate/jwtgate/shared/runtime/rbac"
	"github.com/jwtgate/jwtgate/shared/runtime/request"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// fixture is a deterministic authorizer (fixed clock, fixed key, counter
// ids) and the tokens it issued: the same bytes on every run, so the
// committed seed corpus holds tokens that are valid for it.
type fixture struct {
	authz *authorizer.Authorizer
	// good maps each access token the fixture issued validly and did not
	// revoke to its claims: the only tokens an Allow may name.
	good map[string]tokens.Claims
	// named are every issued token, by role in the seeds.
	named map[string]tokens.Issued
}

var fuzzNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	n := 0
	ids := func() string { n++; return fmt.Sprintf("id-%04d", n) }
	svc := func(secret string, now time.Time) *tokens.Service {
		s, err := tokens.New(tokens.Options{Keys: []tokens.Key{{Secret: []byte(secret)}},
			Clock: func() time.Time { return now }, NewID: ids})
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	const secret = "fuzz-secret-0123456789abcdef0123456789"
	ts := svc(secret, fuzzNow)
	store := revocation.NewMemoryStore(func() time.Time { return fuzzNow })
	rules, err := rbac.Parse(config.DefaultRoleRules)
	if err != nil {
		tb.Fatal(err)
	}
	fx := &fixture{good: map[string]tokens.Claims{}, named: map[string]tokens.Issued{}}
	issue := func(name string, s *tokens.Service, typ tokens.Type, sub tokens.Subject, sid string) tokens.Issued {
		is, err := s.Issue(typ, sub, sid, true)
		if err != nil {
			tb.Fatal(err)
		}
		fx.named[name] = is
		return is
	}
	user := tokens.Subject{Name: "testuser", Roles: []string{"user"}}
	admin := tokens.Subject{Name: "admin", Roles: []string{"admin", "user"}}
	for _, sub := range []tokens.Subject{user, admin} { // in order: the ids count
		is := issue(sub.Name, ts, tokens.Access, sub, "sid-"+sub.Name)
		fx.good[is.Token] = is.Claims
	}
	issue("refresh", ts, tokens.Refresh, user, "sid-user")
	issue("expired", svc(secret, fuzzNow.Add(-time.Hour)), tokens.Access, user, "sid-user")
	issue("future", svc(secret, fuzzNow.Add(time.Hour)), tokens.Access, user, "sid-user")
	issue("otherkey", svc("another-secret-0123456789abcdef01234567", fuzzNow), tokens.Access, admin, "sid-admin")
	revoked := issue("revoked", ts, tokens.Access, admin, "sid-admin")
	revokedSession := issue("revokedsession", ts, tokens.Access, admin, "sid-dead")
	ctx := context.Background()
	for _, key := range []string{revocation.TokenKey(revoked.Claims.ID), revocation.SessionKey(revokedSession.Claims.SID)} {
		if err := store.Put(ctx, revocation.Record{Key: key, At: fuzzNow, ExpiresAt: fuzzNow.Add(24 * time.Hour)}); err != nil {
			tb.Fatal(err)
		}
	}
	fx.authz = authorizer.New(config.Config{
		Cookies: cookies.Defaults(), CSRF: request.DefaultCSRF(),
		Locations: request.Locations{Cookies: true, Headers: true, HeaderName: "Authorization", HeaderType: "Bearer"},
		Rules:     rules,
	}, ts, store, authorizer.WithClock(func() time.Time { return fuzzNow }))
	return fx
}

// presented is the oracle's own reading of the request: the access cookie
// as net/http parses it, else the Bearer token.
func presented(cookie, authz string) (tok string, fromCookie bool) {
	r := http.Request{Header: http.Header{"Cookie": {cookie}}}
	if c, err := r.Cookie(cookies.DefaultAccessName); err == nil && c.Value != "" {
		return c.Value, true
	}
	tok, _ = strings.CutPrefix(authz, "Bearer ")
	return tok, false
}

// FuzzDecide feeds arbitrary methods, paths and headers to Decide. It must
// never panic, never fail to decide with an in-memory store, and never
// Allow with claims unless the access token presented is one the fixture
// issued validly and did not revoke, with the matching CSRF header on
// unsafe cookie requests and the admin rule applied.
func FuzzDecide(f *testing.F) {
	fx := newFixture(f)
	for _, is := range fx.named {
		f.Add("GET", "/protected", "access_token_cookie="+is.Token, "", "")
		f.Add("POST", "/password", "access_token_cookie="+is.Token, is.Claims.CSRF, "")
		f.Add("GET", "/admin", "theme=dark", "", "Bearer "+is.Token)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, method, path, cookie, csrf, authz string) {
		h := http.Header{}
		for k, v := range map[string]string{"Cookie": cookie, "X-Csrf-Token": csrf, "Authorization": authz} {
			if v != "" {
				h[k] = []string{v}
			}
		}
		d := fx.authz.Decide(ctx, authorizer.Request{Method: method, Path: path, Resource: path, Headers: h})
		if d.Err != nil {
			t.Fatalf("no decision with an in-memory store: %v", d.Err)
		}
		if !d.Allow {
			if d.Msg == "" {
				t.Fatal("denial without a message")
			}
			return
		}
		if d.Claims == nil {
			if !strings.EqualFold(method, "OPTIONS") {
				t.Fatalf("Allow without claims for %q", method)
			}
			return
		}
		tok, fromCookie := presented(cookie, authz)
		want, ok := fx.good[tok]
		if !ok {
			t.Fatalf("Allow for a token the fixture did not validly issue: sub=%q jti=%q token=%q", d.Claims.Subject, d.Claims.ID, tok)
		}
		if d.Claims.ID != want.ID || d.Claims.Subject != want.Subject || d.Claims.Type != tokens.Access {
			t.Fatalf("Allow names %s/%s, presented token is %s/%s", d.Claims.Subject, d.Claims.ID, want.Subject, want.ID)
		}
		if fromCookie && request.DefaultCSRF().Methods[strings.ToUpper(method)] && csrf != want.CSRF {
			t.Fatalf("Allow on %s with CSRF header %q, claim %q", method, csrf, want.CSRF)
		}
		m := strings.ToUpper(method)
		if (m == "GET" || m == "HEAD") && strings.HasPrefix(rbac.Canonical(path), "/admin") && want.Subject != "admin" {
			t.Fatalf("%s %s by %s allowed past the rule GET /admin*=admin", method, path, want.Subject)
		}
	})
}
