package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/identity"
)

// payloadOf decodes a token's claims without verifying them.
func payloadOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	m := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, m); err != nil {
		t.Fatalf("not a JWT: %q: %v", tok, err)
	}
	return m
}

// TestUserClaims: a user's own claims ride in both tokens of a login, the
// authorizer passes on the ones JWTGATE_USER_CLAIMS names, and a change of
// the stored claims shows at the next refresh (which re-reads the user),
// as a change of roles does.
func TestUserClaims(t *testing.T) {
	h := newHarnessEnv(t, map[string]string{"JWTGATE_USER_CLAIMS": "tenant"})
	ctx := context.Background()
	if err := h.users.SetClaims(ctx, "testuser", map[string]string{"tenant": "acme", "plan": "pro"}); err != nil {
		t.Fatal(err)
	}
	jar := h.login()
	for _, name := range []string{"access_token_cookie", "refresh_token_cookie"} {
		p := payloadOf(t, jar[name])
		if p["tenant"] != "acme" || p["plan"] != "pro" {
			t.Errorf("%s claims %v, want tenant acme and plan pro", name, p)
		}
	}
	resp := h.authorize(jar["access_token_cookie"])
	if got := resp.Context[identity.KeyClaims]; got != `{"tenant":"acme"}` {
		t.Errorf("authorizer context claims = %v, want only the named tenant", got)
	}

	if err := h.users.SetClaims(ctx, "testuser", map[string]string{"tenant": "globex"}); err != nil {
		t.Fatal(err)
	}
	h.clk.Advance(time.Minute)
	r := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
	wantReply(t, r, 200, `{"refresh":true}`)
	next := jarOf(t, r)
	for _, name := range []string{"access_token_cookie", "refresh_token_cookie"} {
		p := payloadOf(t, next[name])
		if _, has := p["plan"]; p["tenant"] != "globex" || has {
			t.Errorf("%s after refresh: claims %v, want tenant globex and no plan", name, p)
		}
	}
	if got := h.authorize(next["access_token_cookie"]).Context[identity.KeyClaims]; got != `{"tenant":"globex"}` {
		t.Errorf("authorizer context claims after refresh = %v, want globex", got)
	}
}

// TestIdentityClaim: under JWT_IDENTITY_CLAIM the identity is written
// under that name alone, and refresh, logout, the password change and the
// authorizer all read it there.
func TestIdentityClaim(t *testing.T) {
	h := newHarnessEnv(t, map[string]string{"JWT_IDENTITY_CLAIM": "identity"})
	jar := h.login()
	for _, name := range []string{"access_token_cookie", "refresh_token_cookie"} {
		p := payloadOf(t, jar[name])
		if _, has := p["sub"]; p["identity"] != "testuser" || has {
			t.Errorf("%s claims %v, want identity testuser and no sub", name, p)
		}
	}
	if got := h.authorize(jar["access_token_cookie"]).Context[identity.KeySubject]; got != "testuser" {
		t.Errorf("authorizer context sub = %v, want testuser", got)
	}
	h.clk.Advance(time.Minute)
	r := h.invoke(handlers.RefreshFunction, withSession(event(t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
	wantReply(t, r, 200, `{"refresh":true}`)
	next := jarOf(t, r)
	if p := payloadOf(t, next["access_token_cookie"]); p["identity"] != "testuser" {
		t.Errorf("refreshed access token claims %v, want identity testuser", p)
	}
	r = h.invoke(handlers.LogoutFunction, withSession(event(t, "logout.json"), next, []string{"access_token_cookie"}, next["csrf_access_token"]))
	wantReply(t, r, 200, `{"logout":true}`)
	h.wantAuthorizer("after logout", next["access_token_cookie"], "Token has been revoked")
}

// TestErrorMessageKey: under JWT_ERROR_MESSAGE_KEY every error body of the
// session functions uses that key.
func TestErrorMessageKey(t *testing.T) {
	h := newHarnessEnv(t, map[string]string{"JWT_ERROR_MESSAGE_KEY": "error"})
	wantReply(t, h.invoke(handlers.LoginFunction, event(t, "login_bad_password.json")), 401, `{"error":"Bad username or password"}`)
	wantReply(t, h.invoke(handlers.LoginFunction, event(t, "login_malformed.json")), 400, `{"error":"Request body is not a JSON object"}`)
	wantReply(t, h.invoke(handlers.RefreshFunction, event(t, "refresh.json")), 401, `{"error":"Missing cookie \"refresh_token_cookie\""}`)
	wantReply(t, h.invoke(handlers.LogoutFunction, event(t, "logout.json")), 401, `{"error":"Missing cookie \"access_token_cookie\""}`)
	// No authorizer context: identity.Require answers, under the key too.
	noAuthorizer := event(t, "password.json")
	noAuthorizer.RequestContext.Authorizer = nil
	wantReply(t, h.invoke(handlers.PasswordFunction, noAuthorizer), 401, `{"error":"Missing cookie \"access_token_cookie\""}`)
	wantReply(t, h.invoke(handlers.ProtectedFunction, event(t, "login.json")), 401, `{"error":"Missing cookie \"access_token_cookie\""}`)
}
