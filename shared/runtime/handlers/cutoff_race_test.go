package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
)

// raceEnv is the handler set of the cut-off race over DynamoDB Local.
type raceEnv struct {
	set *handlers.Set
}

func newRaceEnv(t *testing.T, victim, pw string) raceEnv {
	t.Helper()
	srv := dynamolocal.Start(t)
	client := srv.Client(t)
	revTable, usersTable := srv.CreateTables(t, client)
	// password.Default's cost: the hash is the window a racing login reads
	// the old hash in and signs after the change.
	hash, err := password.HashDefault(pw)
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamostore.NewUsers(client, usersTable).Add(context.Background(),
		users.User{Name: victim, PasswordHash: hash, Roles: []string{"user"}}); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(k string) (string, bool) {
		v, ok := map[string]string{
			"JWT_SECRET_KEY": rtSecret,
			// The race runs on two shared cores: a slow DynamoDB Local must
			// not turn into 503s that hide the outcome.
			"JWTGATE_STORE_TIMEOUT": "10s",
		}[k]
		return v, ok
	}, config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RevocationTable, cfg.UsersTable = revTable, usersTable
	set, err := handlers.New(cfg, []tokens.Key{{Secret: []byte(rtSecret)}},
		handlers.DynamoStores(client, cfg, nil), slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	return raceEnv{set: set}
}

// call runs function id as the Lambda runtime does; safe for concurrent
// use (each call gets its own adapter).
func (e raceEnv) call(t *testing.T, id string, ev, resp any) {
	fn, err := e.set.REST(id)
	if err != nil {
		t.Error(err)
		return
	}
	in, err := json.Marshal(ev)
	if err != nil {
		t.Error(err)
		return
	}
	out, err := lambda.NewHandler(fn).Invoke(context.Background(), in)
	if err != nil {
		t.Errorf("%s: %v", id, err)
		return
	}
	if err := json.Unmarshal(out, resp); err != nil {
		t.Errorf("%s: %v", id, err)
	}
}

func (e raceEnv) login(t *testing.T, name, pw string) (events.APIGatewayProxyResponse, map[string]string) {
	var resp events.APIGatewayProxyResponse
	e.call(t, handlers.LoginFunction, rtProxy("POST", "/login", nil, nil, "",
		fmt.Sprintf(`{"username":%q,"password":%q}`, name, pw)), &resp)
	return resp, rtJarOK(resp)
}

func (e raceEnv) refresh(t *testing.T, jar map[string]string) (events.APIGatewayProxyResponse, map[string]string) {
	var resp events.APIGatewayProxyResponse
	e.call(t, handlers.RefreshFunction, rtProxy("POST", "/refresh", jar, []string{"refresh_token_cookie"}, jar["csrf_refresh_token"], ""), &resp)
	return resp, rtJarOK(resp)
}

// authorize is the authorizer's verdict on jar's access token for GET
// /protected: its effect and context.
func (e raceEnv) authorize(t *testing.T, jar map[string]string) events.APIGatewayCustomAuthorizerResponse {
	cookie := "access_token_cookie=" + jar["access_token_cookie"]
	ev := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:abc123/Prod/GET/protected",
		Resource: "/protected", Path: "/protected", HTTPMethod: "GET",
		Headers: map[string]string{"Cookie": cookie}, MultiValueHeaders: map[string][]string{"Cookie": {cookie}},
	}
	var ar events.APIGatewayCustomAuthorizerResponse
	e.call(t, handlers.AuthorizerFunction, ev, &ar)
	return ar
}

func effectOf(ar events.APIGatewayCustomAuthorizerResponse) string {
	if len(ar.PolicyDocument.Statement) != 1 {
		return fmt.Sprintf("%d statements", len(ar.PolicyDocument.Statement))
	}
	return ar.PolicyDocument.Statement[0].Effect
}

// rtJarOK is rtJar for goroutines (no t.Fatal): the cookies of a 200,
// nil otherwise.
func rtJarOK(resp events.APIGatewayProxyResponse) map[string]string {
	if resp.StatusCode != 200 {
		return nil
	}
	jar := map[string]string{}
	for _, line := range resp.MultiValueHeaders["Set-Cookie"] {
		if c, err := http.ParseSetCookie(line); err == nil {
			jar[c.Name] = c.Value
		}
	}
	return jar
}

// issued is one session's tokens the attacker got, and how.
type issued struct {
	jar   map[string]string
	how   string // "login" or "refresh"
	after bool   // delivered after /password had returned
}

// TestPasswordChangeCutsRacingSessions is issue 12's item 1 on DynamoDB
// Local through the real handlers: an attacker who knows the old password
// keeps logging in from several goroutines and keeps refreshing the
// sessions it already has, while the owner changes the password. Once
// /password has returned, no token the attacker was ever given (by a login
// that verified the old password, or by a refresh, before or after the
// change returned) passes the authorizer or refresh; the owner's new
// session does. The change is started at 0.6 s into a wall-clock second, so
// that a cut-off of one-second resolution (the code before generations)
// leaves the attacker's same-second refreshes alive: that code fails here
// with survivors, this code has none.
func TestPasswordChangeCutsRacingSessions(t *testing.T) {
	const victim, oldPW, newPW = "victim", "old password 1", "a brand new passphrase 2"
	env := newRaceEnv(t, victim, oldPW)

	resp, owner := env.login(t, victim, oldPW)
	wantStatus(t, "owner login", resp, 200, `{"login":true}`)
	ownerAR := env.authorize(t, owner)
	if effectOf(ownerAR) != "Allow" {
		t.Fatalf("owner's session refused before the change: %+v", ownerAR)
	}

	var (
		mu       sync.Mutex
		got      []issued
		returned atomic.Bool // /password has answered
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	keep := func(jar map[string]string, how string) {
		after := returned.Load()
		mu.Lock()
		got = append(got, issued{jar: jar, how: how, after: after})
		mu.Unlock()
	}
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	// Sessions the attacker opened earlier, each refreshed in a loop: the
	// refresh chain must die with the change, not carry on.
	for range 2 {
		_, jar := env.login(t, victim, oldPW)
		if jar == nil {
			t.Fatal("attacker's first login failed")
		}
		keep(jar, "login")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopped() {
				if _, next := env.refresh(t, jar); next != nil {
					keep(next, "refresh")
					jar = next
				}
			}
		}()
	}
	// Logins with the old password in a loop: one that read the old hash
	// just before the change signs just after it.
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopped() {
				if _, jar := env.login(t, victim, oldPW); jar != nil {
					keep(jar, "login")
				}
			}
		}()
	}

	time.Sleep(300 * time.Millisecond) // the attack is under way
	now := time.Now()
	time.Sleep(now.Truncate(time.Second).Add(1600 * time.Millisecond).Sub(now))
	ev := withAuthorizer(rtProxy("POST", "/password", owner, []string{"access_token_cookie"}, owner["csrf_access_token"],
		fmt.Sprintf(`{"old_password":%q,"new_password":%q}`, oldPW, newPW)), ownerAR)
	var presp events.APIGatewayProxyResponse
	env.call(t, handlers.PasswordFunction, ev, &presp)
	returned.Store(true)
	wantStatus(t, "password change", presp, 200, `{"password_changed":true}`)
	mine := rtJar(t, presp)

	time.Sleep(500 * time.Millisecond) // in-flight logins and refreshes land
	close(stop)
	wg.Wait()

	// Every session the attacker ever got: the access token at the
	// authorizer and the refresh token at /refresh.
	survivors, late := 0, 0
	for i, s := range got {
		if s.after {
			late++
		}
		ar := env.authorize(t, s.jar)
		if effectOf(ar) != "Deny" || fmt.Sprint(ar.Context["msg"]) != "Token has been revoked" {
			survivors++
			t.Errorf("attacker session %d (%s, delivered after the change returned: %v): authorizer %s %v, want Deny \"Token has been revoked\"",
				i, s.how, s.after, effectOf(ar), ar.Context)
		}
		resp, _ := env.refresh(t, s.jar)
		if resp.StatusCode != 401 || resp.Body != `{"msg":"Token has been revoked"}` {
			t.Errorf("attacker session %d (%s, after: %v): refresh %d %s, want 401 \"Token has been revoked\"",
				i, s.how, s.after, resp.StatusCode, resp.Body)
		}
	}
	t.Logf("attacker sessions: %d (%d delivered after /password returned); survivors: %d", len(got), late, survivors)
	if len(got) < 5 {
		t.Fatalf("only %d attacker sessions: the race did not run", len(got))
	}

	// The owner's new session lives, at the authorizer and through refresh.
	if ar := env.authorize(t, mine); effectOf(ar) != "Allow" {
		t.Errorf("owner's new session: authorizer %s %v, want Allow", effectOf(ar), ar.Context)
	}
	resp, next := env.refresh(t, mine)
	wantStatus(t, "owner's new session refresh", resp, 200, `{"refresh":true}`)
	if ar := env.authorize(t, next); effectOf(ar) != "Allow" {
		t.Errorf("owner's refreshed session: authorizer %s %v, want Allow", effectOf(ar), ar.Context)
	}
	// And the old password opens nothing any more.
	resp, _ = env.login(t, victim, oldPW)
	if resp.StatusCode == 200 {
		t.Errorf("old password still logs in")
	}
}
