package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
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
// When the handler read the user before the disable set its flag, the
// hash update's own condition (not disabled) refuses the change instead.
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

// resetDuring is the user store of /password, on DynamoDB Local, that runs
// an operator's `jwtgate user passwd` right after the handler has read the
// user: the moment a password reset lands while a /password request is
// between its read of the hash and its write (two argon2id hashes, a few
// hundred milliseconds in Lambda). Every other method is the real store's.
type resetDuring struct {
	*dynamostore.Users
	reset func(name string)
}

func (r resetDuring) Get(ctx context.Context, name string) (users.User, error) {
	u, err := r.Users.Get(ctx, name)
	if r.reset != nil {
		r.reset(name)
	}
	return u, err
}

// TestPasswordDoesNotUndoAReset: an attacker who holds the victim's
// password keeps changing it through /password; the operator resets it with
// `jwtgate user passwd` (docs/operations.md: the response to a compromised
// account). A /password that verified the old password against the hash
// it read before the reset must not write over the reset: the attacker's
// password would win, with a session above the reset's cut-off, and the
// CLI would have said it changed the password and revoked the sessions.
func TestPasswordDoesNotUndoAReset(t *testing.T) {
	const victim, oldPW, attackerPW, adminPW = "victim", "old password 1", "attacker passphrase 2", "operator passphrase 3"
	env := newRaceEnv(t, dynamolocal.Start(t), victim, oldPW)
	cfg, err := config.Load(func(k string) (string, bool) {
		v, ok := map[string]string{"JWT_SECRET_KEY": rtSecret, "JWTGATE_STORE_TIMEOUT": "10s"}[k]
		return v, ok
	}, config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RevocationTable, cfg.UsersTable = env.cli["REVOCATION_TABLE"], env.cli["USERS_TABLE"]
	resp, attacker := env.login(t, victim, oldPW)
	wantStatus(t, "attacker login", resp, 200, `{"login":true}`)
	ar := env.authorize(t, attacker)
	if effectOf(ar) != "Allow" {
		t.Fatalf("attacker's session refused: %+v", ar)
	}
	var once sync.Once
	stores := handlers.DynamoStores(env.client, cfg, nil)
	stores.Users = resetDuring{Users: env.users, reset: func(string) {
		once.Do(func() { env.admin(t, adminPW+"\n", "user", "passwd", victim, "--password-stdin") })
	}}
	set, err := handlers.New(cfg, []tokens.Key{{Secret: []byte(rtSecret)}}, stores, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	fn, err := set.REST(handlers.PasswordFunction)
	if err != nil {
		t.Fatal(err)
	}
	ev := withAuthorizer(rtProxy("POST", "/password", attacker, []string{"access_token_cookie"}, attacker["csrf_access_token"],
		fmt.Sprintf(`{"old_password":%q,"new_password":%q}`, oldPW, attackerPW)), ar)
	in, _ := json.Marshal(ev)
	out, err := lambda.NewHandler(fn).Invoke(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	resp = events.APIGatewayProxyResponse{}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	if jar := rtJarOK(resp); jar != nil {
		t.Errorf("the attacker's /password after the reset issued a session the authorizer says %s to (gen %d)", effectOf(env.authorize(t, jar)), genOf(jar))
	}
	wantStatus(t, "/password racing a reset", resp, 403, `{"msg":"Old password is incorrect"}`)
	if resp, _ := env.login(t, victim, attackerPW); resp.StatusCode != 401 {
		t.Errorf("login with the attacker's password after the reset: %d %s, want 401", resp.StatusCode, resp.Body)
	}
	if resp, _ := env.login(t, victim, adminPW); resp.StatusCode != 200 {
		t.Errorf("login with the operator's password after the reset: %d %s, want 200", resp.StatusCode, resp.Body)
	}
}
