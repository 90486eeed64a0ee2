package handlers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
)

// raceEnv is the handler set of the cut-off race over DynamoDB Local, and
// the admin CLI's environment for the same tables.
type raceEnv struct {
	set    *handlers.Set
	users  *dynamostore.Users
	cli    map[string]string
	client *dynamodb.Client
}

func newRaceEnv(t *testing.T, srv *dynamolocal.Server, victim, pw string) raceEnv {
	t.Helper()
	client := srv.Client(t)
	revTable, usersTable := srv.CreateTables(t, client)
	// password.Default's cost: the hash is the window a racing login reads
	// the old hash in and signs after the change.
	hash, err := password.HashDefault(pw)
	if err != nil {
		t.Fatal(err)
	}
	us := dynamostore.NewUsers(client, usersTable)
	if err := us.Add(context.Background(), users.User{Name: victim, PasswordHash: hash, Roles: []string{"user"}}); err != nil {
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
	cli := map[string]string{"DYNAMODB_ENDPOINT": srv.URL, "REVOCATION_TABLE": revTable, "USERS_TABLE": usersTable}
	return raceEnv{set: set, users: us, cli: cli, client: client}
}

// admin runs the admin CLI on the race's tables, as an operator would.
func (e raceEnv) admin(t *testing.T, stdin string, args ...string) {
	var out, errOut bytes.Buffer
	code := admin.Run(context.Background(), args, admin.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return e.cli[k] }})
	if code != admin.ExitOK {
		t.Errorf("jwtgate %v: exit %d: %s", args, code, errOut.String())
	}
}

// genOf reads the gen claim of jar's access token (0 when absent).
func genOf(jar map[string]string) int64 {
	parts := strings.Split(jar["access_token_cookie"], ".")
	if len(parts) != 3 {
		return -1
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Gen int64 }
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return -1
	}
	return c.Gen
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

// TestLogOutEverywhereCutsRacingSessions is issue 12's item 1 on DynamoDB
// Local through the real handlers and the real admin CLI: an attacker who
// knows the password keeps logging in from several goroutines and keeps
// refreshing the sessions it already has, while the owner changes the
// password (/password, `jwtgate user passwd`), or an admin disables the user
// or runs `jwtgate revoke --user`. Once that has returned, no token the
// attacker was given before (by a login or a refresh) passes the authorizer
// or refresh, nor any racing one that verified the old password or read the
// user before the change; the owner's new session from /password does. The
// change starts 0.6 s into a wall-clock second, so that a cut-off of
// one-second resolution (the code before generations) leaves the attacker's
// same-second sessions alive: that code fails here with survivors.
func TestLogOutEverywhereCutsRacingSessions(t *testing.T) {
	const victim, oldPW, newPW = "victim", "old password 1", "a brand new passphrase 2"
	srv := dynamolocal.Start(t)
	tests := []struct {
		name string
		// change logs the victim out everywhere; owner is the owner's fresh
		// session and its authorizer answer. It returns the owner's new
		// session, if the change makes one.
		change func(t *testing.T, e raceEnv, owner map[string]string, ownerAR events.APIGatewayCustomAuthorizerResponse) map[string]string
		// newLoginsLive: logins after the change returned may be new,
		// valid sessions (the password still works).
		newLoginsLive bool
	}{
		{"POST /password", func(t *testing.T, e raceEnv, owner map[string]string, ownerAR events.APIGatewayCustomAuthorizerResponse) map[string]string {
			ev := withAuthorizer(rtProxy("POST", "/password", owner, []string{"access_token_cookie"}, owner["csrf_access_token"],
				fmt.Sprintf(`{"old_password":%q,"new_password":%q}`, oldPW, newPW)), ownerAR)
			var resp events.APIGatewayProxyResponse
			e.call(t, handlers.PasswordFunction, ev, &resp)
			wantStatus(t, "password change", resp, 200, `{"password_changed":true}`)
			return rtJar(t, resp)
		}, false},
		{"jwtgate user passwd", func(t *testing.T, e raceEnv, _ map[string]string, _ events.APIGatewayCustomAuthorizerResponse) map[string]string {
			e.admin(t, newPW+"\n", "user", "passwd", victim, "--password-stdin")
			return nil
		}, false},
		{"jwtgate user disable", func(t *testing.T, e raceEnv, _ map[string]string, _ events.APIGatewayCustomAuthorizerResponse) map[string]string {
			e.admin(t, "", "user", "disable", victim)
			return nil
		}, false},
		{"jwtgate revoke --user", func(t *testing.T, e raceEnv, _ map[string]string, _ events.APIGatewayCustomAuthorizerResponse) map[string]string {
			e.admin(t, "", "revoke", "--user", victim)
			return nil
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newRaceEnv(t, srv, victim, oldPW)
			raceLogOut(t, env, victim, oldPW, tc.newLoginsLive, func(owner map[string]string, ownerAR events.APIGatewayCustomAuthorizerResponse) map[string]string {
				return tc.change(t, env, owner, ownerAR)
			})
		})
	}
}

// raceLogOut runs the attack around change and checks every session.
func raceLogOut(t *testing.T, env raceEnv, victim, oldPW string, newLoginsLive bool,
	change func(owner map[string]string, ownerAR events.APIGatewayCustomAuthorizerResponse) map[string]string) {
	resp, owner := env.login(t, victim, oldPW)
	wantStatus(t, "owner login", resp, 200, `{"login":true}`)
	ownerAR := env.authorize(t, owner)
	if effectOf(ownerAR) != "Allow" {
		t.Fatalf("owner's session refused before the change: %+v", ownerAR)
	}

	var (
		mu       sync.Mutex
		got      []issued
		returned atomic.Bool // the change has returned
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
	mine := change(owner, ownerAR)
	returned.Store(true)
	u, err := env.users.Get(context.Background(), victim)
	if err != nil {
		t.Fatal(err)
	}

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
		if newLoginsLive && s.after && s.how == "login" && genOf(s.jar) == u.Generation {
			// A login that read the user after the raise: a new session,
			// opened with the password the attacker still knows.
			continue
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
	t.Logf("attacker sessions: %d (%d delivered after the change returned); survivors: %d", len(got), late, survivors)
	if len(got) < 5 {
		t.Fatalf("only %d attacker sessions: the race did not run", len(got))
	}

	if mine == nil {
		return
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
