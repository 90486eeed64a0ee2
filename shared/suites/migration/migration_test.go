package migration_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/testkit/provision"
	"github.com/jwtgate/jwtgate/shared/testkit/servers"
)

// ddb is the DynamoDB Local every variant's tables live in; build is the
// test process's one build of ./cmd/jwtgate (the CLI and `jwtgate dev`).
var (
	ddb   *dynamolocal.Server
	build *servers.Builder
)

func TestMain(m *testing.M) {
	build = &servers.Builder{}
	code := dynamolocal.Main(m, &ddb)
	_ = build.Close()
	os.Exit(code)
}

// flaskSecret is the Flask app's JWT_SECRET_KEY (test-only), 64 bytes so
// that it also serves HS512.
const flaskSecret = "variants-test-only-flask-key-0123456789abcdef-0123456789abcdefgh"

// variant is a Flask app's configuration, the JWT_* variables it runs
// with, and how its client presents tokens.
type variant struct {
	name string
	env  map[string]string
	// bearer is a client that sends tokens as `Authorization: Bearer`
	// (a mobile app), reading them from the Set-Cookie headers.
	bearer bool
}

// setting is env[name], or flask's default.
func (v variant) setting(name, def string) string {
	if s, ok := v.env[name]; ok {
		return s
	}
	return def
}

var variants = []variant{
	{name: "renamed cookies and CSRF headers", env: map[string]string{
		"JWT_ACCESS_COOKIE_NAME":       "app_access",
		"JWT_REFRESH_COOKIE_NAME":      "app_refresh",
		"JWT_ACCESS_CSRF_COOKIE_NAME":  "app_csrf_access",
		"JWT_REFRESH_CSRF_COOKIE_NAME": "app_csrf_refresh",
		"JWT_ACCESS_CSRF_HEADER_NAME":  "X-XSRF-TOKEN",
		"JWT_REFRESH_CSRF_HEADER_NAME": "X-XSRF-REFRESH",
		"JWT_ACCESS_COOKIE_PATH":       "/",
		"JWT_COOKIE_CSRF_PROTECT":      "true",
	}},
	{name: "SameSite Strict, HS512, identity claim, short access token", env: map[string]string{
		"JWT_COOKIE_SAMESITE":      "Strict",
		"JWT_ALGORITHM":            "HS512",
		"JWT_IDENTITY_CLAIM":       "identity",
		"JWT_ACCESS_TOKEN_EXPIRES": "60",
		"JWT_COOKIE_CSRF_PROTECT":  "true",
	}},
	{name: "everything at once", env: map[string]string{
		"JWT_ACCESS_COOKIE_NAME":       "app_access",
		"JWT_REFRESH_COOKIE_NAME":      "app_refresh",
		"JWT_ACCESS_CSRF_COOKIE_NAME":  "app_csrf_access",
		"JWT_REFRESH_CSRF_COOKIE_NAME": "app_csrf_refresh",
		"JWT_ACCESS_CSRF_HEADER_NAME":  "X-XSRF-TOKEN",
		"JWT_REFRESH_CSRF_HEADER_NAME": "X-XSRF-TOKEN",
		"JWT_ACCESS_COOKIE_PATH":       "/",
		"JWT_REFRESH_COOKIE_PATH":      "/",
		"JWT_COOKIE_SAMESITE":          "Lax",
		"JWT_ALGORITHM":                "HS512",
		"JWT_IDENTITY_CLAIM":           "identity",
		"JWT_ACCESS_TOKEN_EXPIRES":     "5m",
		"JWT_REFRESH_TOKEN_EXPIRES":    "604800",
		"JWT_COOKIE_CSRF_PROTECT":      "true",
	}},
	{name: "headers only (mobile, Bearer)", bearer: true, env: map[string]string{
		"JWT_TOKEN_LOCATION":       "headers",
		"JWT_ALGORITHM":            "HS384",
		"JWT_ACCESS_TOKEN_EXPIRES": "300",
	}},
}

// TestMigrationVariants follows docs/migrating-from-flask.md for each
// variant: a user logged in on the Flask app keeps the session on jwtgate
// (a protected route through the authorizer with flask's access token and,
// for cookies, its CSRF header under the app's name), its refresh yields a
// jwtgate session, a replay of the flask refresh token is refused, logout
// ends the session, and after the window flask's tokens get the documented
// 401.
func TestMigrationVariants(t *testing.T) {
	t.Parallel()
	root, err := provision.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	checkFlask := func() error {
		_, err := servers.CheckPython(t.Context(), "flask", "flask_jwt_extended")
		return err
	}
	if err := provision.Ensure(t.Context(), root, provision.Tool{Target: "tools-flask", Check: checkFlask}); err != nil {
		t.Fatalf("flask and flask-jwt-extended: %v", err)
	}
	bin, err := build.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	template, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			migrate(t, root, bin, string(template), v)
		})
	}
}

func migrate(t *testing.T, root, bin, template string, v variant) {
	access := v.setting("JWT_ACCESS_COOKIE_NAME", "access_token_cookie")
	refresh := v.setting("JWT_REFRESH_COOKIE_NAME", "refresh_token_cookie")
	csrfAccess := v.setting("JWT_ACCESS_CSRF_COOKIE_NAME", "csrf_access_token")
	csrfRefresh := v.setting("JWT_REFRESH_CSRF_COOKIE_NAME", "csrf_refresh_token")
	accessHeader := v.setting("JWT_ACCESS_CSRF_HEADER_NAME", "X-CSRF-TOKEN")
	refreshHeader := v.setting("JWT_REFRESH_CSRF_HEADER_NAME", "X-CSRF-TOKEN")
	identity := v.setting("JWT_IDENTITY_CLAIM", "sub")
	alg := v.setting("JWT_ALGORITHM", "HS256")

	// (0) The Flask app as the team runs it; testuser logs in on it.
	flaskEnv := map[string]string{"JWT_SECRET_KEY": flaskSecret}
	for k, val := range v.env {
		flaskEnv[k] = val
	}
	app := filepath.Join(root, servers.ReferenceApp)
	flask := servers.StartPython(t, app, flaskEnv).URL
	login := func(base string) map[string]string {
		t.Helper()
		a, jar := do(t, "POST", base+"/login", `{"username":"testuser","password":"testpass"}`, nil)
		if a.Status != 200 || a.Body != `{"login":true}` || jar[access] == "" || jar[refresh] == "" {
			t.Fatalf("login on %s: %s, cookies %v", base, a, jar)
		}
		return jar
	}
	fl := login(flask)
	if c := payload(t, fl[refresh]); c[identity] != "testuser" || c["sid"] != nil || c["type"] != "refresh" {
		t.Fatalf("the Flask app's refresh token: %v, want flask's (%s testuser, no sid)", c, identity)
	}
	if !v.bearer && fl[csrfAccess] == "" {
		t.Fatalf("the Flask app wrote no %s cookie: %v", csrfAccess, fl)
	}

	// (1, 2) The users, exported and imported.
	suffix := dynamolocal.RandomName()
	tables := map[string]string{"REVOCATION_TABLE": "revocations-" + suffix, "USERS_TABLE": "users-" + suffix}
	export := exec.Command(servers.Python, app, "--export-users")
	export.Env = servers.Env(nil)
	users, err := export.Output()
	if err != nil {
		t.Fatalf("app.py --export-users: %v", err)
	}
	dir := t.TempDir()
	usersFile := write(t, dir, "users.jsonl", string(users))
	cli := func(stdin string, args ...string) string {
		t.Helper()
		return runCLI(t, bin, tables, stdin, args...)
	}
	cli("", "tables", "create", "--endpoint", ddb.URL)
	imported := cli("", "user", "import", "--file", usersFile, "--endpoint", ddb.URL)
	m := regexp.MustCompile(`set JWTGATE_LEGACY_HASH_COST=(\S+)`).FindStringSubmatch(imported)
	if m == nil {
		t.Fatalf("user import printed no JWTGATE_LEGACY_HASH_COST advice:\n%s", imported)
	}

	// (3) The key, with the Flask app's algorithm.
	keysFile := filepath.Join(dir, "keys.json")
	keyArgs := []string{"keys", "import", "--file", keysFile}
	if alg != "HS256" {
		keyArgs = append(keyArgs, "--algorithm", alg)
	}
	cli(flaskSecret+"\n", keyArgs...)
	keySet, err := os.ReadFile(keysFile)
	if err != nil {
		t.Fatal(err)
	}

	// (4) The Flask app's settings as configuration.md says: a variable the
	// template binds to a parameter is that parameter (for jwtgate dev, the
	// variable itself, read back into it); any other goes into the
	// Globals' environment as a plain value.
	devEnv := map[string]string{"JWT_SECRET_KEY": string(keySet), "JWTGATE_LEGACY_HASH_COST": m[1]}
	for k, val := range tables {
		devEnv[k] = val
	}
	var literals strings.Builder
	for k, val := range v.env {
		if regexp.MustCompile(`(?m)^        ` + k + `: !`).MatchString(template) {
			devEnv[k] = val
		} else {
			fmt.Fprintf(&literals, "        %s: %q\n", k, val)
		}
	}
	const anchor = "    Environment:\n      Variables:\n"
	if !strings.Contains(template, anchor) {
		t.Fatal("template.yaml: no Globals environment")
	}
	tmplFile := write(t, dir, "template.yaml", strings.Replace(template, anchor, anchor+literals.String(), 1))
	startDev := func(until time.Time) string {
		t.Helper()
		env := map[string]string{"JWTGATE_LEGACY_TOKENS_UNTIL": until.UTC().Format(time.RFC3339)}
		for k, val := range devEnv {
			env[k] = val
		}
		return servers.StartJWTGate(t, bin, env, "--template", tmplFile, "--dynamodb-endpoint", ddb.URL).URL
	}
	dev := startDev(time.Now().Add(time.Hour))

	// creds are a client's credentials for a request: the cookies (and
	// the CSRF header, under the app's name) or a Bearer token.
	type creds struct {
		cookies map[string]string
		header  map[string]string
	}
	accessOf := func(jar map[string]string, csrf bool) creds {
		if v.bearer {
			return creds{header: map[string]string{"Authorization": "Bearer " + jar[access]}}
		}
		c := creds{cookies: map[string]string{access: jar[access], csrfAccess: jar[csrfAccess]}, header: map[string]string{}}
		if csrf {
			c.header[accessHeader] = jar[csrfAccess]
		}
		return c
	}
	refreshOf := func(jar map[string]string) creds {
		if v.bearer {
			return creds{header: map[string]string{"Authorization": "Bearer " + jar[refresh]}}
		}
		return creds{cookies: map[string]string{refresh: jar[refresh], csrfRefresh: jar[csrfRefresh]},
			header: map[string]string{refreshHeader: jar[csrfRefresh]}}
	}
	call := func(method, url, body string, c creds) (answer, map[string]string) {
		t.Helper()
		return do(t, method, url, body, func(r *http.Request) {
			for k, val := range c.cookies {
				r.AddCookie(&http.Cookie{Name: k, Value: val})
			}
			for k, val := range c.header {
				r.Header.Set(k, val)
			}
		})
	}
	want := func(what string, got answer, status int, body string) {
		t.Helper()
		if got.Status != status || got.Body != body {
			t.Errorf("%s: %s, want %d %s", what, got, status, body)
		}
	}

	// (5) The flask session on jwtgate: through the authorizer.
	a, _ := call("GET", dev+"/protected", "", accessOf(fl, false))
	want("GET /protected with flask's access token", a, 200, `{"logged_in_as":"testuser"}`)
	pw := `{"old_password":"wrong","new_password":"new-password-1"}`
	if !v.bearer {
		// A state-changing call: flask's CSRF value under the app's header name.
		a, _ = call("POST", dev+"/password", pw, accessOf(fl, false))
		want("POST /password without the CSRF header", a, 401, `{"msg":"Missing CSRF token"}`)
	}
	a, _ = call("POST", dev+"/password", pw, accessOf(fl, true))
	want("POST /password with flask's credentials", a, 403, `{"msg":"Old password is incorrect"}`)

	// (6) The refresh trades flask's refresh token for a jwtgate session.
	a, jg := call("POST", dev+"/refresh", "", refreshOf(fl))
	want("POST /refresh with flask's refresh token", a, 200, `{"refresh":true}`)
	rc, ac := payload(t, jg[refresh]), payload(t, jg[access])
	if sid, _ := rc["sid"].(string); sid == "" || ac["sid"] != sid || ac[identity] != "testuser" || fmt.Sprint(ac["roles"]) != "[user]" {
		t.Fatalf("tokens after the refresh: refresh %v, access %v; want one jwtgate session (sid) of testuser (%s) with roles [user]", rc, ac, identity)
	}
	if !v.bearer && jg[csrfAccess] == "" {
		t.Errorf("refresh wrote no %s cookie: %v", csrfAccess, jg)
	}
	a, _ = call("POST", dev+"/refresh", "", refreshOf(fl))
	want("replay of flask's refresh token", a, 401, `{"msg":"Token has been revoked"}`)
	a, _ = call("GET", dev+"/protected", "", accessOf(jg, false))
	want("GET /protected in the jwtgate session", a, 200, `{"logged_in_as":"testuser"}`)
	// The Flask app, still serving some routes, takes jwtgate's session.
	a, _ = call("GET", flask+"/protected", "", accessOf(jg, false))
	want("flask GET /protected with jwtgate's access token", a, 200, `{"logged_in_as":"testuser"}`)

	// (7) Logout ends the session.
	both := accessOf(jg, true)
	if !v.bearer {
		for k, val := range refreshOf(jg).cookies {
			both.cookies[k] = val
		}
	}
	a, _ = call("POST", dev+"/logout", "", both)
	want("POST /logout", a, 200, `{"logout":true}`)
	a, _ = call("GET", dev+"/protected", "", accessOf(jg, false))
	want("GET /protected after logout", a, 401, `{"msg":"Token has been revoked"}`)
	a, _ = call("POST", dev+"/refresh", "", refreshOf(jg))
	want("POST /refresh after logout", a, 401, `{"msg":"Token has been revoked"}`)

	// (8) After the window: a session opened on Flask meanwhile gets the
	// documented 401.
	late := login(flask)
	closed := startDev(time.Now().Add(-time.Minute))
	msg := fmt.Sprintf(`{"msg":%q}`, tokens.MsgLegacyClosed)
	a, _ = call("GET", closed+"/protected", "", accessOf(late, false))
	want("GET /protected with a flask token after the window", a, 401, msg)
	a, _ = call("POST", closed+"/refresh", "", refreshOf(late))
	want("POST /refresh with a flask token after the window", a, 401, msg)
	// Logging in on jwtgate is the way on, with the Flask password.
	a, jar := do(t, "POST", closed+"/login", `{"username":"testuser","password":"testpass"}`, nil)
	want("login on jwtgate after the window", a, 200, `{"login":true}`)
	a, _ = call("GET", closed+"/protected", "", accessOf(jar, false))
	want("GET /protected after logging in on jwtgate", a, 200, `{"logged_in_as":"testuser"}`)
}

// answer is a response's status and trimmed body.
type answer struct {
	Status int
	Body   string
}

func (a answer) String() string { return fmt.Sprintf("%d %s", a.Status, a.Body) }

// do sends one request (edit adds its credentials) and returns the answer
// and the cookies it set.
func do(t *testing.T, method, url, body string, edit func(*http.Request)) (answer, map[string]string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	jar := map[string]string{}
	for _, c := range resp.Cookies() {
		jar[c.Name] = c.Value
	}
	return answer{resp.StatusCode, strings.TrimSpace(string(b))}, jar
}

// payload is a token's claims, unverified (the signature is the servers'
// business; this reads what they wrote).
func payload(t *testing.T, tok string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, c); err != nil {
		t.Fatalf("token %q: %v", tok, err)
	}
	return c
}

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runCLI runs the built jwtgate with args and stdin, env as its only
// JWT_*, JWTGATE_* and table settings, and returns its stdout; a failure
// fails t.
func runCLI(t *testing.T, bin string, env map[string]string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = servers.Env(env)
	// The CLI's SDK needs credentials of some kind for DynamoDB Local.
	cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local", "AWS_REGION=us-east-1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("jwtgate %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
