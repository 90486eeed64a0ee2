package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/testkit/capture"
	"github.com/jwtgate/jwtgate/shared/testkit/servers"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
)

// flaskSession has the real flask-jwt-extended 4.4.4 (PyJWT 2.6) log
// identity in with flaskKey and returns the cookies it sets; asInt passes
// the identity as a Python int (create_access_token(identity=user.id)).
func flaskSession(t *testing.T, identity string, asInt bool) map[string]string {
	t.Helper()
	env := map[string]string{}
	if asInt {
		env["FLASK_IDENTITY_INT"] = "1"
	}
	return servers.MintFlask(t, servers.Mint{Secret: flaskKey, Identity: identity, Env: env})
}

// identityGate is the functions of one configuration over the fixture's
// DynamoDB Local tables, as Lambda builds them (handlers.DynamoStores).
type identityGate struct {
	t   *testing.T
	set *handlers.Set
	log *capture.Buffer
}

// newIdentityGate builds the functions with the legacy window open for an
// hour, the Flask app's key, and JWTGATE_LEGACY_IDENTITIES=mapping ("" for
// unset); api wraps the DynamoDB client when not nil.
func newIdentityGate(t *testing.T, f *fixture, mapping string, api func(dynamostore.ItemAPI) dynamostore.ItemAPI) *identityGate {
	t.Helper()
	env := map[string]string{
		"JWT_SECRET_KEY":              flaskKey,
		"REVOCATION_TABLE":            f.revTable,
		"USERS_TABLE":                 f.usersTb,
		"JWTGATE_LEGACY_TOKENS_UNTIL": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"JWTGATE_LEGACY_IDENTITIES":   mapping,
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	var client dynamostore.ItemAPI = server.Client(t)
	if api != nil {
		client = api(client)
	}
	log := &capture.Buffer{}
	set, err := handlers.New(cfg, []tokens.Key{{Secret: []byte(flaskKey)}}, handlers.DynamoStores(client, cfg, nil),
		slog.New(slog.NewJSONHandler(log, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &identityGate{t: t, set: set, log: log}
}

// authorize runs the authorizer on GET path with the access cookie and
// returns its principal, context and effect, or the invocation's error.
func (g *identityGate) authorize(path, access string) (principal string, ctx map[string]any, effect string, err error) {
	g.t.Helper()
	fn, err := g.set.REST(handlers.AuthorizerFunction)
	if err != nil {
		g.t.Fatal(err)
	}
	raw, _ := json.Marshal(events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET" + path,
		Resource: path, Path: path, HTTPMethod: "GET",
		Headers:           map[string]string{"Cookie": "access_token_cookie=" + access},
		MultiValueHeaders: map[string][]string{"Cookie": {"access_token_cookie=" + access}},
	})
	out, err := lambda.NewHandler(fn).Invoke(context.Background(), raw)
	if err != nil {
		return "", nil, "", err
	}
	var resp events.APIGatewayCustomAuthorizerResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		g.t.Fatal(err)
	}
	return resp.PrincipalID, resp.Context, resp.PolicyDocument.Statement[0].Effect, nil
}

// wantAllow wants access to pass the authorizer as user with roles.
func (g *identityGate) wantAllow(what, access, user, roles string) {
	g.t.Helper()
	p, c, effect, err := g.authorize("/protected", access)
	if err != nil || effect != "Allow" || p != user || c["sub"] != user || fmt.Sprint(c["roles"]) != roles {
		g.t.Fatalf("%s: authorizer %s %q %v %v, want Allow as %s with roles %q", what, effect, p, c, err, user, roles)
	}
}

// wantDeny wants access refused by the authorizer with msg.
func (g *identityGate) wantDeny(what, access, msg string) {
	g.t.Helper()
	_, c, effect, err := g.authorize("/protected", access)
	if err != nil || effect != "Deny" || c["msg"] != msg {
		g.t.Fatalf("%s: authorizer %s %v %v, want Deny with %q", what, effect, c, err, msg)
	}
}

// post sends POST path with the cookies names of jar and X-CSRF-TOKEN csrf.
func (g *identityGate) post(logicalID, path string, jar map[string]string, names []string, csrf string) events.APIGatewayProxyResponse {
	g.t.Helper()
	fn, err := g.set.REST(logicalID)
	if err != nil {
		g.t.Fatal(err)
	}
	var parts []string
	for _, n := range names {
		parts = append(parts, n+"="+jar[n])
	}
	h := map[string]string{"Cookie": strings.Join(parts, "; "), "X-CSRF-TOKEN": csrf, "Content-Type": "application/json"}
	mh := map[string][]string{}
	for k, v := range h {
		mh[k] = []string{v}
	}
	ev := events.APIGatewayProxyRequest{HTTPMethod: http.MethodPost, Path: path, Resource: path, Headers: h, MultiValueHeaders: mh}
	resp, err := fn.(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error))(context.Background(), ev)
	if err != nil {
		g.t.Fatal(err)
	}
	return resp
}

func (g *identityGate) refresh(jar map[string]string) events.APIGatewayProxyResponse {
	g.t.Helper()
	return g.post(handlers.RefreshFunction, "/refresh", jar, []string{"refresh_token_cookie", "csrf_refresh_token"}, jar["csrf_refresh_token"])
}

// wantMsg wants resp to be status with {"msg": msg}.
func wantMsg(t *testing.T, what string, resp events.APIGatewayProxyResponse, status int, msg string) {
	t.Helper()
	var body struct{ Msg string }
	_ = json.Unmarshal([]byte(resp.Body), &body)
	if resp.StatusCode != status || body.Msg != msg {
		t.Fatalf("%s: %d %s, want %d {\"msg\":%q}", what, resp.StatusCode, resp.Body, status, msg)
	}
}

// cookiesOf reads the cookies a response sets.
func cookiesOf(resp events.APIGatewayProxyResponse) map[string]string {
	jar := map[string]string{}
	for _, line := range resp.MultiValueHeaders["Set-Cookie"] {
		if c, err := http.ParseSetCookie(line); err == nil {
			jar[c.Name] = c.Value
		}
	}
	return jar
}

// TestLegacyIdentityTakeover follows the sessions of a Flask app that
// passes its users' ids as identity (an integer, on flask-jwt-extended
// 4.4.4 with PyJWT 2.6, and a string id) through the cut-over, on DynamoDB
// Local with the real flask-jwt-extended minting the tokens: `user import`
// stores each identity with its user, and with
// JWTGATE_LEGACY_IDENTITIES=imported the authorizer passes flask's access
// token as the username, refresh trades its refresh token (once) for a
// jwtgate session of that username with the roles of the table, logout
// revokes, and `revoke --user` and a password change cut the sessions off.
func TestLegacyIdentityTakeover(t *testing.T) {
	t.Parallel()
	hs := flaskUsers(t, "alice-pass", "bob-pass", "carol-pass")
	f := newFixture(t, true)
	r := f.mustRun("", "user", "import", "--file", writeFile(t, "users.jsonl", fmt.Sprintf(
		"{\"username\":\"alice\",\"password_hash\":%q,\"roles\":[\"admin\",\"user\"],\"identity\":42}\n"+
			"{\"username\":\"bob\",\"password_hash\":%q,\"roles\":[\"user\"],\"identity\":\"u-7\"}\n"+
			"{\"username\":\"carol\",\"password_hash\":%q}\n", hs[0], hs[1], hs[2])))
	if !strings.Contains(r.stdout, "2 with an identity: set JWTGATE_LEGACY_IDENTITIES=imported") {
		t.Errorf("user import: stdout %q, want the setting named", r.stdout)
	}
	if u := f.user("alice"); u.Identity != "42" {
		t.Fatalf("alice's identity = %q, want 42 (canonical JSON text)", u.Identity)
	}
	if u := f.user("bob"); u.Identity != `"u-7"` {
		t.Fatalf("bob's identity = %q, want \"u-7\"", u.Identity)
	}
	g := newIdentityGate(t, f, config.LegacyIdentitiesImported, nil)

	// The integer identity's access token passes as alice, without roles
	// until the refresh, as every flask access token.
	jar := flaskSession(t, "42", true)
	g.wantAllow("flask access token of identity 42", jar["access_token_cookie"], "alice", "<nil>")
	if _, c, effect, _ := g.authorize("/admin", jar["access_token_cookie"]); effect != "Deny" || c["msg"] != "Forbidden: requires role admin" {
		t.Errorf("flask access token on /admin: %s %v, want the role refusal until the refresh", effect, c)
	}
	// Its refresh token buys a jwtgate session of alice, roles from the table.
	resp := g.refresh(jar)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh with flask's refresh token of identity 42: %d %s", resp.StatusCode, resp.Body)
	}
	ours := cookiesOf(resp)
	var claims struct {
		Sub   any      `json:"sub"`
		SID   string   `json:"sid"`
		Roles []string `json:"roles"`
	}
	if _, _, err := jwt.NewParser().ParseUnverified(ours["access_token_cookie"], jwt.MapClaims{}); err != nil {
		t.Fatalf("refresh set no readable access token: %v (%v)", err, ours)
	}
	payload, _ := jwt.NewParser().DecodeSegment(strings.Split(ours["access_token_cookie"], ".")[1])
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Sub != "alice" || claims.SID == "" || strings.Join(claims.Roles, ",") != "admin,user" {
		t.Fatalf("the traded session's access token: %s (%v), want sub alice, a sid, roles admin,user", payload, err)
	}
	g.wantAllow("the traded jwtgate session", ours["access_token_cookie"], "alice", "admin,user")
	// A second use of the flask refresh token is refused.
	wantMsg(t, "flask refresh token used twice", g.refresh(jar), http.StatusUnauthorized, "Token has been revoked")

	// The string id, and an identity imported with nobody.
	bob := flaskSession(t, "u-7", false)
	g.wantAllow("flask access token of identity \"u-7\"", bob["access_token_cookie"], "bob", "<nil>")
	nobody := flaskSession(t, "99", true)
	g.wantDeny("identity 99 (not imported)", nobody["access_token_cookie"], "Error loading the user 99")
	wantMsg(t, "refresh of identity 99", g.refresh(nobody), http.StatusUnauthorized, "Error loading the user 99")
	// "42" is not 42: flask's tokens keep them apart, and so does the import.
	g.wantDeny("identity \"42\" (a string)", flaskSession(t, "42", false)["access_token_cookie"], "Error loading the user 42")
	// A name is not an identity once identities are mapped.
	g.wantDeny("identity \"alice\"", flaskSession(t, "alice", false)["access_token_cookie"], "Error loading the user alice")

	// Logout revokes the flask tokens it is given.
	second := flaskSession(t, "42", true)
	g.wantAllow("a second flask session of 42", second["access_token_cookie"], "alice", "<nil>")
	if resp := g.post(handlers.LogoutFunction, "/logout", second, []string{"access_token_cookie", "refresh_token_cookie"}, second["csrf_access_token"]); resp.StatusCode != http.StatusOK {
		t.Fatalf("logout with flask's cookies of identity 42: %d %s", resp.StatusCode, resp.Body)
	}
	g.wantDeny("flask access token after logout", second["access_token_cookie"], "Token has been revoked")
	wantMsg(t, "flask refresh token after logout", g.refresh(second), http.StatusUnauthorized, "Token has been revoked")

	// `revoke --user alice` cuts off every session of identity 42, the
	// traded one too.
	third := flaskSession(t, "42", true)
	f.mustRun("", "revoke", "--user", "alice")
	g.wantDeny("flask access token of 42 after revoke --user alice", third["access_token_cookie"], "Token has been revoked")
	g.wantDeny("traded session after revoke --user alice", ours["access_token_cookie"], "Token has been revoked")
	wantMsg(t, "flask refresh token of 42 after revoke --user alice", g.refresh(third), http.StatusUnauthorized, "Token has been revoked")
	// A password change cuts off bob's identity's sessions.
	f.mustRun("new-bob-password\n", "user", "passwd", "bob", "--password-stdin")
	g.wantDeny("flask access token of \"u-7\" after bob's password change", bob["access_token_cookie"], "Token has been revoked")
	wantMsg(t, "flask refresh token of \"u-7\" after bob's password change", g.refresh(bob), http.StatusUnauthorized, "Token has been revoked")
}

// TestLegacyIdentityUsername: with JWTGATE_LEGACY_IDENTITIES unset (or
// username) nothing changes: an integer identity is refused as PyJWT 2.10
// refuses it, and a string identity is a username, never an identity.
func TestLegacyIdentityUsername(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	hs := flaskUsers(t, "alice-pass")
	f.mustRun("", "user", "import", "--file", writeFile(t, "users.jsonl", fmt.Sprintf(
		"{\"username\":\"alice\",\"password_hash\":%q,\"identity\":42}\n", hs[0])))
	for _, mapping := range []string{"", config.LegacyIdentitiesUsername} {
		g := newIdentityGate(t, f, mapping, nil)
		jar := flaskSession(t, "42", true)
		g.wantDeny("integer identity, setting "+mapping, jar["access_token_cookie"], "Subject must be a string")
		wantMsg(t, "refresh of an integer identity, setting "+mapping, g.refresh(jar), http.StatusUnauthorized, "Subject must be a string")
		g.wantAllow("string identity alice, setting "+mapping, flaskSession(t, "alice", false)["access_token_cookie"], "alice", "<nil>")
	}
}

// TestLegacyIdentityLookupDown: a lookup that fails (DynamoDB unreachable
// for the index) fails closed and says why in the log: the authorizer
// returns an error (API Gateway's 503 AUTHORIZER_FAILURE), refresh answers
// 503; logout, which needs no lookup, still revokes.
func TestLegacyIdentityLookupDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	hs := flaskUsers(t, "alice-pass")
	f.mustRun("", "user", "import", "--file", writeFile(t, "users.jsonl", fmt.Sprintf(
		"{\"username\":\"alice\",\"password_hash\":%q,\"identity\":42}\n", hs[0])))
	g := newIdentityGate(t, f, config.LegacyIdentitiesImported, func(api dynamostore.ItemAPI) dynamostore.ItemAPI { return queryDown{api} })
	jar := flaskSession(t, "42", true)
	if _, c, effect, err := g.authorize("/protected", jar["access_token_cookie"]); err == nil {
		t.Errorf("authorizer with the lookup down: %s %v, want an error (fail closed)", effect, c)
	}
	wantMsg(t, "refresh with the lookup down", g.refresh(jar), http.StatusServiceUnavailable, "Session store unavailable, try again")
	for _, want := range []string{"authorizer failed closed", "refresh failed closed", "identity lookup", "dynamodb unreachable"} {
		if !strings.Contains(g.log.String(), want) {
			t.Errorf("log %s\nwant %q in it", g.log.String(), want)
		}
	}
	if resp := g.post(handlers.LogoutFunction, "/logout", jar, []string{"access_token_cookie", "refresh_token_cookie"}, jar["csrf_access_token"]); resp.StatusCode != http.StatusOK {
		t.Fatalf("logout with the lookup down: %d %s", resp.StatusCode, resp.Body)
	}
	if _, ok := f.record("jti#" + jtiOf(t, jar["access_token_cookie"])); !ok {
		t.Error("logout with the lookup down did not revoke the flask access token")
	}
}

// TestImportIdentityRefused: an identity given to two users (in the file,
// or held by a user of the table already) or one that is neither an
// integer nor a string is refused with its line, and nothing is written.
func TestImportIdentityRefused(t *testing.T) {
	t.Parallel()
	hs := flaskUsers(t, "pw-a", "pw-b")
	f := newFixture(t, true)
	f.mustRun("", "user", "import", "--file", writeFile(t, "first.jsonl", fmt.Sprintf(
		"{\"username\":\"zed\",\"password_hash\":%q,\"identity\":7}\n", hs[0])))
	line := func(name string, identity string) string {
		return fmt.Sprintf("{\"username\":%q,\"password_hash\":%q,\"identity\":%s}\n", name, hs[1], identity)
	}
	csvLine := func(name, identity string) string { return fmt.Sprintf("%s,%s,,%s\n", name, hs[1], identity) }
	for _, tc := range []struct {
		name, file, body string
		want             []string
	}{
		{"twice in the file", "u.jsonl", line("amy", "42") + line("ben", `"x"`) + line("cal", "42"),
			[]string{"line 3: user cal: identity 42 is on line 1 already"}},
		{"held in the table", "u.jsonl", line("amy", "1") + line("ben", "7"), []string{"line 2: identity 7 is user zed's already"}},
		{"a fraction", "u.jsonl", line("amy", "4.2"), []string{"line 1: user amy: identity 4.2: want a JSON integer"}},
		{"an object", "u.jsonl", line("amy", `{"id":1}`), []string{`line 1: user amy: identity {"id":1}: want a JSON integer`}},
		{"an empty string", "u.jsonl", line("amy", `""`), []string{`line 1: user amy: identity "": want a JSON integer`}},
		{"csv twice", "u.csv", "username,password_hash,roles,identity\n" + csvLine("amy", `"""u-1"""`) + csvLine("ben", `"""u-1"""`),
			[]string{`line 3: user ben: identity "u-1" is on line 2 already`}},
		{"csv not JSON", "u.csv", "username,password_hash,roles,identity\n" + csvLine("amy", "u-1"),
			[]string{"line 2: user amy: identity u-1: want a JSON integer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.run("", "user", "import", "--file", writeFile(t, tc.file, tc.body))
			if r.code == admin.ExitOK || !strings.Contains(r.stderr, "nothing imported") {
				t.Fatalf("import: exit %d, stderr %q; want refused, nothing imported", r.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q, want %q", r.stderr, w)
				}
			}
			if _, err := f.users.Get(context.Background(), "amy"); err == nil {
				t.Error("amy was written by a refused import")
			}
		})
	}
	// CSV: the identity column is JSON text, so 42 and "42" both fit.
	f.mustRun("", "user", "import", "--file", writeFile(t, "ok.csv",
		"username,password_hash,roles,identity\n"+csvLine("dan", "42")+csvLine("eve", `"""42"""`)+csvLine("fay", "")))
	for name, want := range map[string]string{"dan": "42", "eve": `"42"`, "fay": ""} {
		if got := f.user(name).Identity; got != want {
			t.Errorf("%s's identity from CSV = %q, want %q", name, got, want)
		}
	}
}

// queryDown is DynamoDB with the identity index unreachable.
type queryDown struct{ dynamostore.ItemAPI }

func (queryDown) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return nil, errors.New("dynamodb unreachable")
}

func jtiOf(t *testing.T, token string) string {
	t.Helper()
	payload, err := jwt.NewParser().DecodeSegment(strings.Split(token, ".")[1])
	var c struct{ JTI string }
	if err != nil || json.Unmarshal(bytes.TrimSpace(payload), &c) != nil || c.JTI == "" {
		t.Fatalf("no jti in %s (%v)", payload, err)
	}
	return c.JTI
}
