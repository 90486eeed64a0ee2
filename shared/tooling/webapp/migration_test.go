package webapp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate/shared/runtime/cors"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/testkit/provision"
	"github.com/jwtgate/jwtgate/shared/testkit/servers"
)

// The cut-over of issue 14, as a team with a live Flask app runs it, in one
// browser: the reference app (real flask-jwt-extended 4.4.4) issues the
// session, its users are exported and imported with `jwtgate user import`,
// its key joins jwtgate's key set with `jwtgate keys import`, `jwtgate dev`
// starts on those tables with that key set and the legacy window open, and
// the front end's API origin moves to it. Every jwtgate command is the
// built binary, as a team runs it.

// migrationKey is the Flask app's JWT_SECRET_KEY, which `jwtgate keys
// import` puts in front of jwtgate's key set: both apps sign and verify
// with it during the transition. A test-only value.
const migrationKey = "migration-test-only-flask-key-0123456789abcdef"

// flaskFrontEnd is a front end written for flask-jwt-extended the way its
// documentation ("JWT in cookies") writes one: fetch with the cookies
// (credentials "include": the API is on another origin of the same site),
// X-CSRF-TOKEN read from csrf_access_token on state-changing calls and
// from csrf_refresh_token on /refresh. %[1]q is the API's origin, the one
// line a cut-over changes. Every call answers {"status", "body"} as JSON.
const flaskFrontEnd = `<!doctype html>
<meta charset="utf-8">
<title>front end</title>
<h1>Front end, API at <span id="api"></span></h1>
<pre id="out"></pre>
<script>
const API = %[1]q;
document.getElementById("api").textContent = API;
function getCookie(name) {
  const parts = ("; " + document.cookie).split("; " + name + "=");
  return parts.length === 2 ? parts.pop().split(";").shift() : "";
}
async function call(method, path, body, csrfCookie) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (csrfCookie) headers["X-CSRF-TOKEN"] = getCookie(csrfCookie);
  const r = await fetch(API + path, {method, credentials: "include", headers,
    body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await r.text();
  document.getElementById("out").textContent += method + " " + path + " -> " + r.status + " " + text + "\n";
  return JSON.stringify({status: r.status, body: text.trim()});
}
window.login = (username, password) => call("POST", "/login", {username, password});
window.getProtected = () => call("GET", "/protected");
window.getAdmin = () => call("GET", "/admin");
window.refresh = () => call("POST", "/refresh", undefined, "csrf_refresh_token");
window.logout = () => call("POST", "/logout", undefined, "csrf_access_token");
window.changePassword = (o, n, csrf) => call("POST", "/password", {old_password: o, new_password: n}, csrf);
window.ready = true;
</script>`

// answer is one call of the front end.
type answer struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

func (a answer) String() string { return fmt.Sprintf("%d %s", a.Status, a.Body) }

// TestBrowserMigrationFromFlask: a browser logged in on the Flask app stays
// logged in when the front end's API origin moves to `jwtgate dev`, its
// next refresh trades the flask refresh token (once) for a jwtgate session
// with the roles of the users table, its password becomes argon2id at its
// next login on jwtgate, and after the window a flask token is refused with
// the documented message.
func TestBrowserMigrationFromFlask(t *testing.T) {
	t.Parallel()
	start := time.Now()
	root, err := provision.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	checkFlask := func() error {
		_, err := servers.CheckPython(t.Context(), "flask", "flask_jwt_extended", "flask_cors")
		return err
	}
	if err := provision.Ensure(t.Context(), root, provision.Tool{Target: "tools-flask", Check: checkFlask}); err != nil {
		t.Fatalf("flask, flask-jwt-extended and flask-cors: %v", err)
	}
	ddb := dynamolocal.Start(t)
	suffix := dynamolocal.RandomName()
	// The tables of `jwtgate dev --dynamodb-endpoint` and of the CLI: the
	// store a deployed stack's functions and `jwtgate user` share.
	tables := map[string]string{"REVOCATION_TABLE": "revocations-" + suffix, "USERS_TABLE": "users-" + suffix}

	// The front end names the API origin it was deployed with; a cut-over
	// redeploys it with another, and the browser reloads it.
	var apiOrigin atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, flaskFrontEnd, apiOrigin.Load().(string))
	})
	front := serve(t, mux, false)

	// (1) The running Flask app, its front end on another port of
	// 127.0.0.1 (the same site: the cookies go along).
	flask := servers.StartPython(t, filepath.Join(root, servers.ReferenceApp),
		map[string]string{"JWT_SECRET_KEY": migrationKey, "FLASKREF_CORS_ORIGINS": front}).URL
	ctx := newBrowser(t)
	sh := newShots(t)
	call := func(js string) answer {
		t.Helper()
		var a answer
		if err := json.Unmarshal([]byte(eval[string](t, ctx, js)), &a); err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		t.Logf("%s at %s: %s", js, apiOrigin.Load(), a)
		return a
	}
	want := func(what string, got answer, status int, body string) {
		t.Helper()
		if got.Status != status || got.Body != body {
			t.Errorf("%s: %s, want %d %s", what, got, status, body)
		}
	}
	open := func(api string) {
		t.Helper()
		apiOrigin.Store(api)
		do(t, ctx, "open the front end", chromedp.Navigate(front+"/"))
		waitFor(t, ctx, `window.ready === true`, `document.body.innerText`)
	}

	// (2) admin logs in on the Flask app and calls its routes.
	open(flask)
	want("flask login", call(`login("admin", "adminpass")`), 200, `{"login":true}`)
	want("flask GET /protected", call(`getProtected()`), 200, `{"logged_in_as":"admin"}`)
	want("flask GET /admin", call(`getAdmin()`), 200, `{"admin":true,"user":"admin"}`)
	sh.take(ctx, "logged-in-on-flask")
	flaskCookies := browserCookies(t, ctx, flask)
	flaskAccess, flaskRefresh := flaskCookies["access_token_cookie"], flaskCookies["refresh_token_cookie"]
	if c := claims(t, flaskRefresh); c["sid"] != nil || c["type"] != "refresh" {
		t.Fatalf("the Flask app's refresh token: claims %v, want flask's (no sid)", c)
	}

	// (3) Its users, exported with their werkzeug hashes and imported by
	// the real CLI into the tables jwtgate dev will use.
	exportCmd := exec.Command(servers.Python, filepath.Join(root, servers.ReferenceApp), "--export-users")
	exportCmd.Env = servers.Env(nil) // the running app's hashing method, not the test runner's
	export, err := exportCmd.Output()
	if err != nil {
		t.Fatalf("app.py --export-users: %v", err)
	}
	usersFile := filepath.Join(t.TempDir(), "users.jsonl")
	if err := os.WriteFile(usersFile, export, 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) string {
		t.Helper()
		return runCLI(t, tables, "", append(args, "--endpoint", ddb.URL)...)
	}
	cli("tables", "create")
	imported := cli("user", "import", "--file", usersFile)
	m := regexp.MustCompile(`set JWTGATE_LEGACY_HASH_COST=(\S+)`).FindStringSubmatch(imported)
	if m == nil {
		t.Fatalf("user import printed no JWTGATE_LEGACY_HASH_COST advice:\n%s", imported)
	}
	hashCost := m[1]
	if hashCost != "pbkdf2:sha256:260000" {
		t.Errorf("user import advises %s, want werkzeug 2.2's default pbkdf2:sha256:260000", hashCost)
	}
	if got := hashScheme(t, cli("user", "list"), "admin"); got != "pbkdf2" {
		t.Errorf("HASH of admin after the import: %q, want pbkdf2 (the hash as werkzeug wrote it)", got)
	}

	// The Flask app's key joins jwtgate's key set (a new one here) and
	// signs from now on: `keys import` reads it from stdin, as a shell's
	// `< flask-secret` gives it.
	keysFile := filepath.Join(t.TempDir(), "keys.json")
	out := runCLI(t, nil, migrationKey+"\n", "keys", "import", "--file", keysFile)
	km := regexp.MustCompile(`imported key (\S+) into`).FindStringSubmatch(out)
	if km == nil {
		t.Fatalf("keys import printed no key id:\n%s", out)
	}
	importedKID := km[1]
	keySet, err := os.ReadFile(keysFile)
	if err != nil {
		t.Fatal(err)
	}

	// (4) jwtgate dev as a user starts it: the key set as JWT_SECRET_KEY,
	// the window open for an hour, the cost user import named, the front
	// end's origin.
	devEnv := func(until time.Time) map[string]string {
		env := map[string]string{
			"JWT_SECRET_KEY":              string(keySet),
			"JWTGATE_LEGACY_TOKENS_UNTIL": until.UTC().Format(time.RFC3339),
			"JWTGATE_LEGACY_HASH_COST":    hashCost,
			cors.EnvOrigins:               front,
		}
		for k, v := range tables {
			env[k] = v
		}
		return env
	}
	dev := startDev(t, devEnv(time.Now().Add(time.Hour)), false, "--dynamodb-endpoint", ddb.URL)

	// (5) The front end, redeployed with jwtgate dev as its API origin: the
	// same browser, with flask's cookies (host 127.0.0.1, any port), is
	// still logged in, through jwtgate's authorizer.
	open(dev.URL)
	want("GET /protected with flask's access token", call(`getProtected()`), 200, `{"logged_in_as":"admin"}`)
	// A flask token carries no roles jwtgate trusts: role routes wait for
	// the next refresh.
	want("GET /admin with flask's access token", call(`getAdmin()`), 401, `{"msg":"Forbidden: requires role admin"}`)
	// A state-changing call: the authorizer checks flask's CSRF pair (a
	// wrong old password then stops the change in the function).
	want("POST /password without X-CSRF-TOKEN", call(`changePassword("wrong", "new-password-1", "")`), 401, `{"msg":"Missing CSRF token"}`)
	want("POST /password with flask's CSRF value", call(`changePassword("wrong", "new-password-1", "csrf_access_token")`), 403, `{"msg":"Old password is incorrect"}`)
	sh.take(ctx, "flask-session-on-jwtgate")

	// (6) The next refresh trades flask's refresh token for a jwtgate
	// session: a sid, and the roles of the users table.
	want("POST /refresh with flask's refresh token", call(`refresh()`), 200, `{"refresh":true}`)
	jg := browserCookies(t, ctx, dev.URL)
	rc := claims(t, jg["refresh_token_cookie"])
	if sid, _ := rc["sid"].(string); sid == "" {
		t.Errorf("refresh token after the refresh: claims %v, want a jwtgate session (sid)", rc)
	}
	ac := claims(t, jg["access_token_cookie"])
	if fmt.Sprint(ac["roles"]) != "[admin user]" || ac["sid"] != rc["sid"] {
		t.Errorf("access token after the refresh: claims %v, want roles [admin user] and the refresh token's sid", ac)
	}
	if kid := keyID(t, jg["access_token_cookie"]); kid != importedKID {
		t.Errorf("jwtgate's access token is signed by kid %q, want the imported Flask key %s", kid, importedKID)
	}
	want("GET /admin in the jwtgate session", call(`getAdmin()`), 200, `{"admin":true,"user":"admin"}`)
	want("GET /protected in the jwtgate session", call(`getProtected()`), 200, `{"logged_in_as":"admin"}`)
	sh.take(ctx, "jwtgate-session")
	// Flask's refresh token was consumed: a replay (a copy of the cookie)
	// is refused, and the new session lives on.
	replay := post(t, dev.URL+"/refresh", flaskRefresh, flaskCookies["csrf_refresh_token"])
	want("replay of flask's refresh token", replay, 401, `{"msg":"Token has been revoked"}`)
	want("GET /protected after the replay", call(`getProtected()`), 200, `{"logged_in_as":"admin"}`)
	// Taking the session over never saw the password: the hash is as imported.
	if got := hashScheme(t, cli("user", "list"), "admin"); got != "pbkdf2" {
		t.Errorf("HASH of admin after the session takeover: %q, want pbkdf2 still", got)
	}

	// (7) The user's next login on jwtgate (after a logout) verifies the
	// imported hash and replaces it with argon2id; the password still works.
	want("POST /logout on jwtgate", call(`logout()`), 200, `{"logout":true}`)
	want("GET /protected after logout", call(`getProtected()`), 401, `{"msg":"Missing cookie \"access_token_cookie\""}`)
	want("login on jwtgate with the Flask password", call(`login("admin", "adminpass")`), 200, `{"login":true}`)
	if got := hashScheme(t, cli("user", "list"), "admin"); got != "argon2id" {
		t.Errorf("HASH of admin after its login on jwtgate: %q, want argon2id", got)
	}
	if got := hashScheme(t, cli("user", "list"), "testuser"); got != "pbkdf2" {
		t.Errorf("HASH of testuser, who has not logged in: %q, want pbkdf2", got)
	}
	want("logout", call(`logout()`), 200, `{"logout":true}`)
	want("login with the argon2id hash", call(`login("admin", "adminpass")`), 200, `{"login":true}`)
	want("wrong password", call(`login("admin", "flask-era-guess")`), 401, `{"msg":"Bad username or password"}`)
	want("GET /admin after the login", call(`getAdmin()`), 200, `{"admin":true,"user":"admin"}`)
	// The other direction, for routes that stay on Flask a while: the
	// Flask app accepts jwtgate's session (same key).
	open(flask)
	want("flask GET /protected with jwtgate's access token", call(`getProtected()`), 200, `{"logged_in_as":"admin"}`)
	sh.take(ctx, "jwtgate-session-on-flask")

	// (8) After the window. A browser that logged in on Flask meanwhile
	// (a tab of the old front end) holds flask tokens; jwtgate dev now runs
	// with the instant past, and refuses them with the documented message.
	want("flask login again", call(`login("testuser", "testpass")`), 200, `{"login":true}`)
	dev.Stop()
	closed := startDev(t, devEnv(time.Now().Add(-time.Minute)), false, "--dynamodb-endpoint", ddb.URL)
	open(closed.URL)
	closedMsg := fmt.Sprintf(`{"msg":%q}`, tokens.MsgLegacyClosed)
	if closedMsg != `{"msg":"Token from before the migration is no longer accepted, log in again"}` {
		t.Errorf("tokens.MsgLegacyClosed = %q, not the message docs/migrating-from-flask.md documents", tokens.MsgLegacyClosed)
	}
	want("GET /protected with a flask access token after the window", call(`getProtected()`), 401, closedMsg)
	want("POST /refresh with a flask refresh token after the window", call(`refresh()`), 401, closedMsg)
	// flask's first access token too (a copy kept from step 2).
	old := get(t, closed.URL+"/protected", flaskAccess)
	want("GET /protected with the first flask access token after the window", old, 401, closedMsg)
	sh.take(ctx, "after-the-window")
	// Logging in again is the way on.
	want("login on jwtgate after the window", call(`login("testuser", "testpass")`), 200, `{"login":true}`)
	want("GET /protected", call(`getProtected()`), 200, `{"logged_in_as":"testuser"}`)
	if got := hashScheme(t, cli("user", "list"), "testuser"); got != "argon2id" {
		t.Errorf("HASH of testuser after its login on jwtgate: %q, want argon2id", got)
	}
	t.Logf("the cut-over in %v", time.Since(start).Round(time.Millisecond))
}

// browserCookies returns the cookies the browser holds for url, HttpOnly
// ones included (read through DevTools, not the page).
func browserCookies(t *testing.T, ctx context.Context, url string) map[string]string {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url + "/"}})
	if err != nil {
		t.Fatalf("Network.getCookies: %v", err)
	}
	out := map[string]string{}
	for _, c := range res.Cookies {
		out[c.Name] = c.Value
	}
	return out
}

// claims verifies tok with the shared key (HS256, as both apps sign) and
// returns its claims.
func claims(t *testing.T, tok string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, c, func(*jwt.Token) (any, error) { return []byte(migrationKey), nil },
		jwt.WithValidMethods([]string{"HS256"}))
	if err != nil {
		t.Fatalf("token %q: %v", tok, err)
	}
	return c
}

// keyID is the kid header of tok.
func keyID(t *testing.T, tok string) string {
	t.Helper()
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	if err != nil {
		t.Fatalf("token %q: %v", tok, err)
	}
	kid, _ := parsed.Header["kid"].(string)
	return kid
}

// post sends POST url with refresh as the refresh cookie and its CSRF
// pair, as a copied cookie jar would: outside the browser, whose cookies
// stay as they are.
func post(t *testing.T, url, refresh, csrf string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "refresh_token_cookie", Value: refresh})
	req.AddCookie(&http.Cookie{Name: "csrf_refresh_token", Value: csrf})
	req.Header.Set("X-CSRF-TOKEN", csrf)
	return send(t, req)
}

// get sends GET url with access as the access cookie.
func get(t *testing.T, url, access string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "access_token_cookie", Value: access})
	return send(t, req)
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return answer{Status: resp.StatusCode, Body: strings.TrimSpace(b.String())}
}

// runCLI runs the built jwtgate binary with args and stdin, env as its
// only JWT_*, JWTGATE_* and table settings, and returns its stdout; a
// failure fails t.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), devBinary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "JWT_") && !strings.HasPrefix(k, "JWTGATE_") && !strings.HasSuffix(k, "_TABLE") && k != "DYNAMODB_ENDPOINT" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("jwtgate %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// hashScheme is the HASH column of user's row in `jwtgate user list`.
func hashScheme(t *testing.T, list, user string) string {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(list))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 && f[0] == user {
			return f[len(f)-1]
		}
	}
	t.Fatalf("user list has no row for %s:\n%s", user, list)
	return ""
}
