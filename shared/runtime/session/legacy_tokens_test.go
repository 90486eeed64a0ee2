package session_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// flaskLogin has the real flask-jwt-extended 4.4.4 log name in with the
// harness's key and returns the four cookies it sets; freshSecs > 0 makes
// the access token's fresh claim numeric (fresh=timedelta).
func (h *harness) flaskLogin(name string, freshSecs int) map[string]string {
	h.t.Helper()
	return h.flaskLoginClaims(name, freshSecs, "")
}

// flaskLoginClaims is flaskLogin with additional_claims (a JSON object)
// in both tokens, as a Flask app that writes its own claims has them.
func (h *harness) flaskLoginClaims(name string, freshSecs int, claims string) map[string]string {
	t := h.t
	t.Helper()
	// flask signs with the real clock; the harness follows it.
	defer func() { h.clk.now = time.Now() }()
	args := []string{"../tokens/testdata/flask_mint.py", testSecret, name}
	if freshSecs > 0 {
		args = append(args, strconv.Itoa(freshSecs))
	}
	cmd := exec.Command("/usr/bin/python3", args...)
	cmd.Env = append(os.Environ(), "FLASK_MINT_CLAIMS="+claims)
	if h.flaskIdentityClaim != "" {
		cmd.Env = append(cmd.Env, "FLASK_IDENTITY_CLAIM="+h.flaskIdentityClaim)
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("flask_mint.py (python3-python-flask-jwt-extended): %v", err)
	}
	var jar map[string]string
	if err := json.Unmarshal(out, &jar); err != nil {
		t.Fatal(err)
	}
	return jar
}

// legacyHarness is the harness on the real clock (flask signs with it)
// with the legacy window open for an hour.
func legacyHarness(t *testing.T) (*harness, time.Time) {
	t.Helper()
	h := newHarness(t)
	h.clk.now = time.Now()
	until := h.clk.now.Add(time.Hour)
	h.set = newSetWith(t, h, h.users, "JWTGATE_LEGACY_TOKENS_UNTIL", until.UTC().Format(time.RFC3339))
	return h, until
}

// authorizeAt runs the authorizer on GET path with the access cookie.
func (h *harness) authorizeAt(path, accessToken string) events.APIGatewayCustomAuthorizerResponse {
	h.t.Helper()
	authz, err := h.set.REST(handlers.AuthorizerFunction)
	if err != nil {
		h.t.Fatal(err)
	}
	raw, _ := json.Marshal(events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET" + path,
		Resource: path, Path: path, HTTPMethod: "GET",
		Headers:           map[string]string{"Cookie": "access_token_cookie=" + accessToken},
		MultiValueHeaders: map[string][]string{"Cookie": {"access_token_cookie=" + accessToken}},
	})
	out, err := lambda.NewHandler(authz).Invoke(context.Background(), raw)
	if err != nil {
		h.t.Fatal(err)
	}
	var resp events.APIGatewayCustomAuthorizerResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		h.t.Fatal(err)
	}
	return resp
}

func (h *harness) legacyRefresh(jar map[string]string) events.APIGatewayProxyResponse {
	return h.invoke(handlers.RefreshFunction, withSession(event(h.t, "refresh.json"), jar, refreshCookies, jar["csrf_refresh_token"]))
}

// TestLegacyTokensDuringWindow: a session flask-jwt-extended opened goes on
// at jwtgate: its access token passes the authorizer (without roles), its
// refresh token is traded once for a jwtgate session with the user's roles.
func TestLegacyTokensDuringWindow(t *testing.T) {
	h, _ := legacyHarness(t)
	jar := h.flaskLogin("testuser", 300)
	h.wantAuthorizer("flask access token", jar["access_token_cookie"], "")
	resp := h.authorize(jar["access_token_cookie"])
	if resp.PrincipalID != "testuser" || resp.Context["roles"] != nil && resp.Context["roles"] != "" {
		t.Errorf("legacy authorization %s %v, want testuser without roles", resp.PrincipalID, resp.Context)
	}
	if resp.Context["fresh"] != true && resp.Context["fresh"] != "true" {
		t.Errorf("numeric fresh claim in the future: context %v, want fresh", resp.Context)
	}
	admin := h.authorizeAt("/admin", h.flaskLogin("admin", 0)["access_token_cookie"])
	if admin.PolicyDocument.Statement[0].Effect != "Deny" || !strings.Contains(admin.Context["msg"].(string), "requires role admin") {
		t.Errorf("legacy token on a role route: %v, want Deny for the role", admin.Context)
	}
	// A roles claim the Flask app wrote itself grants nothing: roles come
	// from the users table, at the next refresh.
	own := h.flaskLoginClaims("testuser", 0, `{"roles":["admin"],"sid":""}`)["access_token_cookie"]
	if got := h.authorizeAt("/admin", own); got.PolicyDocument.Statement[0].Effect != "Deny" ||
		!strings.Contains(got.Context["msg"].(string), "requires role admin") {
		t.Errorf("legacy token carrying roles [admin] on a role route: %v, want Deny for the role", got.Context)
	}

	// The double submit applies as to ours.
	bad := withSession(event(t, "refresh.json"), jar, refreshCookies, "not-the-csrf-value")
	wantReply(t, h.invoke(handlers.RefreshFunction, bad), 401, `{"msg":"CSRF double submit tokens do not match"}`)
	// A numeric fresh claim is an instant: past it the same token is no
	// longer fresh (and still valid: it expires after 15 minutes).
	h.clk.Advance(301 * time.Second)
	if got := h.authorize(jar["access_token_cookie"]); got.PolicyDocument.Statement[0].Effect != "Allow" || got.Context["fresh"] == true || got.Context["fresh"] == "true" {
		t.Errorf("301s after a fresh=timedelta(seconds=300) token: %v, want allowed and not fresh", got.Context)
	}
	resp2 := h.legacyRefresh(jar)
	wantReply(t, resp2, 200, `{"refresh":true}`)
	next := jarOf(t, resp2)
	a, r := h.parse(next["access_token_cookie"]), h.parse(next["refresh_token_cookie"])
	if a.Legacy || a.SID == "" || a.SID != r.SID || strings.Join(a.Roles, ",") != "user" || a.Subject != "testuser" {
		t.Errorf("after refresh %+v, want a jwtgate session of testuser with roles [user]", a)
	}
	h.wantAuthorizer("jwtgate session from the legacy refresh", next["access_token_cookie"], "")
	// Traded once: the flask refresh token is spent, at once.
	wantReply(t, h.legacyRefresh(jar), 401, `{"msg":"Token has been revoked"}`)
	resp3 := h.legacyRefresh(next)
	wantReply(t, resp3, 200, `{"refresh":true}`)
	// A copy of the flask refresh token used after the grace: the session
	// it bought is revoked, newest tokens included, and it is logged as
	// theft.
	newest := jarOf(t, resp3)
	h.clk.Advance(11 * time.Second)
	wantReply(t, h.legacyRefresh(jar), 401, `{"msg":"Token has been revoked"}`)
	h.wantAuthorizer("the bought session after a copy's reuse", newest["access_token_cookie"], "Token has been revoked")
	wantReply(t, h.legacyRefresh(newest), 401, `{"msg":"Token has been revoked"}`)
	if !strings.Contains(h.logs.String(), "refresh token reuse detected: session revoked") {
		t.Errorf("no theft log line:\n%s", h.logs)
	}
}

// TestLegacyTokensIdentityClaim: under JWT_IDENTITY_CLAIM (the Flask app's
// and jwtgate's), flask's tokens are read by that claim during the window,
// and the jwtgate session a legacy refresh buys writes it too.
func TestLegacyTokensIdentityClaim(t *testing.T) {
	h, _ := legacyHarness(t)
	h.set = newSetWith(t, h, h.users, "JWTGATE_LEGACY_TOKENS_UNTIL", h.clk.now.Add(time.Hour).UTC().Format(time.RFC3339),
		"JWT_IDENTITY_CLAIM", "identity")
	h.flaskIdentityClaim = "identity"
	jar := h.flaskLogin("testuser", 0)
	if p := payloadOf(t, jar["access_token_cookie"]); p["identity"] != "testuser" {
		t.Fatalf("flask's token claims %v, want identity testuser", p)
	}
	if resp := h.authorize(jar["access_token_cookie"]); resp.PrincipalID != "testuser" || resp.PolicyDocument.Statement[0].Effect != "Allow" {
		t.Fatalf("legacy token under the identity claim: %s %v, want testuser allowed", resp.PrincipalID, resp.Context)
	}
	resp := h.legacyRefresh(jar)
	wantReply(t, resp, 200, `{"refresh":true}`)
	next := jarOf(t, resp)
	if p := payloadOf(t, next["access_token_cookie"]); p["identity"] != "testuser" || p["sid"] == nil || p["sub"] != nil {
		t.Errorf("jwtgate's tokens after the trade: %v, want identity testuser with a sid and no sub", p)
	}
	h.wantAuthorizer("jwtgate session from the legacy refresh", next["access_token_cookie"], "")
	// flask's tokens under sub, while jwtgate reads identity, name no one.
	h.flaskIdentityClaim = ""
	h.wantAuthorizer("flask token under sub", h.flaskLogin("testuser", 0)["access_token_cookie"], "Missing claim: identity")
}

// TestLegacyTokensRevocation: logout, revoke --jti and a user cut-off end
// legacy tokens as they end ours.
func TestLegacyTokensRevocation(t *testing.T) {
	t.Run("logout", func(t *testing.T) {
		h, _ := legacyHarness(t)
		jar := h.flaskLogin("testuser", 0)
		ev := withSession(event(t, "logout.json"), jar, []string{"access_token_cookie", "refresh_token_cookie"}, jar["csrf_access_token"])
		wantReply(t, h.invoke(handlers.LogoutFunction, ev), 200, `{"logout":true}`)
		h.wantAuthorizer("legacy access token after logout", jar["access_token_cookie"], "Token has been revoked")
		wantReply(t, h.legacyRefresh(jar), 401, `{"msg":"Token has been revoked"}`)
	})
	t.Run("revoke --jti", func(t *testing.T) {
		h, _ := legacyHarness(t)
		jar := h.flaskLogin("testuser", 0)
		lt := revocation.Lifetimes{RefreshTTL: time.Hour}
		for _, c := range []string{"access_token_cookie", "refresh_token_cookie"} {
			jti := jtiOf(t, jar[c])
			if err := h.revs.Put(context.Background(), lt.Token(jti, h.clk.now)); err != nil {
				t.Fatal(err)
			}
		}
		h.wantAuthorizer("legacy access token revoked by id", jar["access_token_cookie"], "Token has been revoked")
		wantReply(t, h.legacyRefresh(jar), 401, `{"msg":"Token has been revoked"}`)
	})
	t.Run("user cut-off", func(t *testing.T) {
		h, _ := legacyHarness(t)
		jar := h.flaskLogin("testuser", 0)
		gen, err := h.users.NewGeneration(context.Background(), "testuser")
		if err != nil {
			t.Fatal(err)
		}
		lt := revocation.Lifetimes{RefreshTTL: time.Hour}
		if err := h.revs.Put(context.Background(), lt.UserCutOff("testuser", gen, h.clk.now)); err != nil {
			t.Fatal(err)
		}
		h.wantAuthorizer("legacy access token after a cut-off", jar["access_token_cookie"], "Token has been revoked")
		wantReply(t, h.legacyRefresh(jar), 401, `{"msg":"Token has been revoked"}`)
	})
}

// jtiOf reads a token's jti without verifying it (the test made it).
func jtiOf(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	var c struct{ JTI string }
	raw, err := decodeSegment(parts[1])
	if err != nil || json.Unmarshal(raw, &c) != nil || c.JTI == "" {
		t.Fatalf("no jti in %q", token)
	}
	return c.JTI
}

// TestLegacyTokensAfterWindow: past the instant the same tokens are
// refused with a message that says why; without a window they are
// refused as before ("Missing claim: sid").
func TestLegacyTokensAfterWindow(t *testing.T) {
	h, until := legacyHarness(t)
	jar := h.flaskLogin("testuser", 0)
	h.wantAuthorizer("inside the window", jar["access_token_cookie"], "")
	h.clk.now = until.Add(time.Second) // the access token (15 min) is still unexpired
	h.wantAuthorizer("after the window", jar["access_token_cookie"], tokens.MsgLegacyClosed)
	wantReply(t, h.legacyRefresh(jar), 401, `{"msg":"`+tokens.MsgLegacyClosed+`"}`)

	plain := newHarness(t)
	plain.clk.now = time.Now()
	plain.set = newSetWith(t, plain, plain.users)
	plain.wantAuthorizer("no window", jar["access_token_cookie"], "Missing claim: sid")
}

// TestLegacyWindowBound: a window longer than the refresh lifetime stops
// the functions at start, saying so.
func TestLegacyWindowBound(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		until string
		ok    bool
	}{
		{now.Add(29 * 24 * time.Hour).UTC().Format(time.RFC3339), true},
		{now.Add(31 * 24 * time.Hour).UTC().Format(time.RFC3339), false},
	} {
		cfg := loadConfig(t, map[string]string{"JWTGATE_LEGACY_TOKENS_UNTIL": tt.until})
		_, err := handlers.New(cfg, testKeys, handlers.Stores{}, nil, func() time.Time { return now })
		if tt.ok != (err == nil) {
			t.Fatalf("until %s: handlers.New = %v, want ok=%v", tt.until, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "JWTGATE_LEGACY_TOKENS_UNTIL") || err != nil && !strings.Contains(err.Error(), "refresh lifetime (720h0m0s)") {
			t.Errorf("message %q, want it to name the setting and the bound", err)
		}
	}
	if _, err := loadConfigErr(map[string]string{"JWTGATE_LEGACY_TOKENS_UNTIL": "tomorrow"}); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
		t.Errorf("a bad instant: %v", err)
	}
}

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// loadConfigErr is loadConfig's error, for settings that must be refused.
func loadConfigErr(env map[string]string) (config.Config, error) {
	return config.Load(func(k string) (string, bool) {
		if k == "JWT_SECRET_KEY" {
			return testSecret, true
		}
		v, ok := env[k]
		return v, ok
	}, config.Lambda)
}

// TestLegacyPasswordChangeKeepsOthers: a password change made with a
// flask access token (no session) cuts its user's tokens, not the legacy
// tokens of every other user (they share the empty sid).
func TestLegacyPasswordChangeKeepsOthers(t *testing.T) {
	h, _ := legacyHarness(t)
	mine, other := h.flaskLogin("testuser", 0), h.flaskLogin("admin", 0)
	// The context the authorizer passes for a flask token: no sid.
	ev := withSession(event(t, "password.json"), mine, bothCookies, mine["csrf_access_token"])
	ev.RequestContext.Authorizer["jti"] = jtiOf(t, mine["access_token_cookie"])
	ev.RequestContext.Authorizer["sid"] = ""
	ev.RequestContext.Authorizer["iat"] = h.clk.now.Unix()
	ev.RequestContext.Authorizer["fresh"] = "true"
	ev.Body = `{"old_password":"testpass","new_password":"a-new-long-password"}`
	resp := h.invoke(handlers.PasswordFunction, ev)
	wantReply(t, resp, 200, `{"password_changed":true}`)
	h.wantAuthorizer("the changer's old flask token", mine["access_token_cookie"], "Token has been revoked")
	h.wantAuthorizer("another user's flask token", other["access_token_cookie"], "")
}

// TestLegacyTokensFoldedClaimNames: a Flask app's additional claims named
// "Sub" or "Type" (PyJWT writes them after flask's own) are claims of
// their own, as flask reads them: Go's JSON decoding matched them to sub
// and type in any case, the last one winning, so such a token logged its
// holder in as another user and an access token refreshed as a refresh
// token.
func TestLegacyTokensFoldedClaimNames(t *testing.T) {
	h, _ := legacyHarness(t)
	jar := h.flaskLoginClaims("testuser", 0, `{"Sub":"admin","Type":"refresh"}`)
	if got := h.authorize(jar["access_token_cookie"]); got.PolicyDocument.Statement[0].Effect != "Allow" || got.PrincipalID != "testuser" {
		t.Errorf("flask access token with a Sub claim: %s %v, want Allow for testuser", got.PrincipalID, got.Context)
	}
	// The access token in the refresh cookie, with its own CSRF value.
	swapped := map[string]string{"refresh_token_cookie": jar["access_token_cookie"], "csrf_refresh_token": jar["csrf_access_token"]}
	wantReply(t, h.legacyRefresh(swapped), 401, `{"msg":"Only refresh tokens are allowed"}`)
	// Its refresh token buys a session of testuser, not of admin (with
	// admin's roles from the users table).
	resp := h.legacyRefresh(h.flaskLoginClaims("testuser", 0, `{"Sub":"admin"}`))
	wantReply(t, resp, 200, `{"refresh":true}`)
	if a := h.parse(jarOf(t, resp)["access_token_cookie"]); a.Subject != "testuser" || strings.Join(a.Roles, ",") != "user" {
		t.Errorf("session bought by a flask refresh token with a Sub claim: %s %v, want testuser [user]", a.Subject, a.Roles)
	}
}
