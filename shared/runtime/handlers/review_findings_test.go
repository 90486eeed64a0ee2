package handlers_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
)

// TestPasswordRefusesDisabledUser: a /password request the authorizer let
// through just before `jwtgate user disable` cut the user's sessions runs
// its function after the disable has returned (the handler spends two
// argon2id hashes between the authorizer and its write). It must not hand
// the disabled user a new session: /password issues a fresh one with the
// generation its own change raised, above the disable's cut-off, so the
// authorizer accepts it, and with it the next /password mints another, for
// as long as the user keeps calling. Refresh already refuses disabled
// users; /password must too (401 "Token has been revoked", as refresh).
// The residual window (the handler read the user before the disable set
// its flag, and writes after the disable raised the generation) yields one
// access token at most: refresh and the next /password refuse.
func TestPasswordRefusesDisabledUser(t *testing.T) {
	const victim, oldPW, newPW = "leaver", "old password 1", "a brand new passphrase 2"
	env := newRaceEnv(t, dynamolocal.Start(t), victim, oldPW)
	resp, owner := env.login(t, victim, oldPW)
	wantStatus(t, "login", resp, 200, `{"login":true}`)
	ar := env.authorize(t, owner)
	if effectOf(ar) != "Allow" {
		t.Fatalf("session refused before the disable: %+v", ar)
	}
	// The authorizer has allowed the request; the admin disables the user
	// before the function behind it runs.
	env.admin(t, "", "user", "disable", victim)
	if got := effectOf(env.authorize(t, owner)); got != "Deny" {
		t.Fatalf("after user disable the old session is %s, want Deny", got)
	}
	ev := withAuthorizer(rtProxy("POST", "/password", owner, []string{"access_token_cookie"}, owner["csrf_access_token"],
		fmt.Sprintf(`{"old_password":%q,"new_password":%q}`, oldPW, newPW)), ar)
	resp = events.APIGatewayProxyResponse{}
	env.call(t, handlers.PasswordFunction, ev, &resp)
	if jar := rtJarOK(resp); jar != nil {
		t.Errorf("disabled user's session minted by /password: authorizer says %s (gen %d)", effectOf(env.authorize(t, jar)), genOf(jar))
	}
	wantStatus(t, "/password of a disabled user", resp, 401, `{"msg":"Token has been revoked"}`)
}
