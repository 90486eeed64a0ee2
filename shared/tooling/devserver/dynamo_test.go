package devserver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/testkit/fakeclock"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
)

// dynSession is the four cookies of one login, sent by hand so a test can
// replay old ones.
type dynSession map[string]string

func (s dynSession) update(res *http.Response) {
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(s, c.Name)
			continue
		}
		s[c.Name] = c.Value
	}
}

type dynReply struct {
	status int
	body   string
	res    *http.Response
}

// dynDo is dynSend for the test goroutine: a transport error fails t.
func dynDo(t *testing.T, base, method, path string, s dynSession, csrfCookie string, body any) dynReply {
	t.Helper()
	r, err := dynSend(base, method, path, s, csrfCookie, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// dynSend sends one request with the cookies of s (and, when csrfCookie is
// not "", that cookie's value as X-CSRF-TOKEN). It never fails a test
// itself, so goroutines can call it: t.Fatal belongs to the test goroutine.
func dynSend(base, method, path string, s dynSession, csrfCookie string, body any) (dynReply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return dynReply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return dynReply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range s {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if csrfCookie != "" {
		req.Header.Set("X-CSRF-TOKEN", s[csrfCookie])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return dynReply{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return dynReply{}, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return dynReply{status: res.StatusCode, body: string(b), res: res}, nil
}

func (r dynReply) want(t *testing.T, status int, body string) {
	t.Helper()
	if r.status != status || r.body != body {
		t.Fatalf("got %d %s, want %d %s", r.status, r.body, status, body)
	}
}

// parallelRefresh sends n refreshes of session s at once, as n tabs do.
func parallelRefresh(t *testing.T, base string, s dynSession, n int) []dynReply {
	t.Helper()
	results := make([]dynReply, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = dynSend(base, "POST", "/refresh", maps.Clone(s), "csrf_refresh_token", nil)
		}()
	}
	wg.Wait()
	// Failed here, on the test goroutine, once every tab has answered.
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("parallel refreshes: %v", err)
	}
	return results
}

// TestDynamoDBFlow runs the gateway of `jwtgate dev --dynamodb-endpoint` on
// Amazon's DynamoDB Local: rotation under concurrency, theft detection,
// log out everywhere and revocation from the admin CLI.
func TestDynamoDBFlow(t *testing.T) {
	ddb := dynamolocal.Start(t)
	ctx := context.Background()
	clock := fakeclock.New(time.Now())
	env := map[string]string{
		"JWT_SECRET_KEY":           "a-test-secret-that-is-long-enough-for-hs256",
		"REVOCATION_TABLE":         "revocations-" + dynamolocal.RandomName(),
		"USERS_TABLE":              "users-" + dynamolocal.RandomName(),
		"AWS_REGION":               "us-east-1",
		"JWT_ACCESS_TOKEN_EXPIRES": "300",
		// 50 tabs at once queue up on one DynamoDB Local JVM.
		"JWTGATE_STORE_TIMEOUT": "10s",
		// For the flask-minted session below; jwtgate's own carry a sid.
		"JWTGATE_LEGACY_TOKENS_UNTIL": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	stores, seeded, err := devserver.DynamoStores(ctx, ddb.URL, getenv)
	if err != nil || !seeded {
		t.Fatalf("first open: seeded=%v err=%v", seeded, err)
	}
	// Second open: tables exist, users are not seeded twice.
	if _, seeded, err := devserver.DynamoStores(ctx, ddb.URL, getenv); err != nil || seeded {
		t.Fatalf("reopen: seeded=%v err=%v", seeded, err)
	}
	client := ddb.Client(t)
	revs := dynamostore.NewRevocations(client, env["REVOCATION_TABLE"], dynamostore.WithClock(clock.Now))
	stores.Revocations = revs
	srv, err := devserver.New(ctx, devserver.Options{Template: []byte(jwtgate.Template), Getenv: getenv,
		Stores: stores, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Gateway)
	defer ts.Close()

	login := func(user, pw string) dynSession {
		s := dynSession{}
		r := dynDo(t, ts.URL, "POST", "/login", s, "", map[string]string{"username": user, "password": pw})
		r.want(t, 200, `{"login":true}`)
		s.update(r.res)
		return s
	}

	t.Run("parallel refreshes within the grace window all succeed, replay after it kills the session", func(t *testing.T) {
		s := login("testuser", "testpass")
		results := parallelRefresh(t, ts.URL, s, 50)
		var newest dynSession
		for i, r := range results {
			if r.status != 200 || r.body != `{"refresh":true}` {
				t.Fatalf("tab %d: %d %s", i, r.status, r.body)
			}
			newest = maps.Clone(s)
			newest.update(r.res)
		}
		dynDo(t, ts.URL, "GET", "/protected", newest, "", nil).want(t, 200, `{"logged_in_as":"testuser"}`)

		clock.Advance(11 * time.Second)
		dynDo(t, ts.URL, "POST", "/refresh", s, "csrf_refresh_token", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
		// The whole session died, including the newest access and refresh tokens.
		dynDo(t, ts.URL, "GET", "/protected", newest, "", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
		dynDo(t, ts.URL, "POST", "/refresh", newest, "csrf_refresh_token", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
	})

	t.Run("parallel refreshes of one flask refresh token: one wins, the others are refused", func(t *testing.T) {
		// A flask-jwt-extended session (the real library, the same key),
		// refreshed by 20 tabs at once as the cut-over's first request.
		cmd := exec.Command("/usr/bin/python3", "../../runtime/tokens/testdata/flask_mint.py", env["JWT_SECRET_KEY"], "testuser")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("flask_mint.py (python3-python-flask-jwt-extended): %v", err)
		}
		var s dynSession
		if err := json.Unmarshal(out, &s); err != nil {
			t.Fatal(err)
		}
		const tabs = 20
		results := parallelRefresh(t, ts.URL, s, tabs)
		var won []dynSession
		for i, r := range results {
			switch {
			case r.status == 200 && r.body == `{"refresh":true}`:
				next := maps.Clone(s)
				next.update(r.res)
				won = append(won, next)
			case r.status == 401 && r.body == `{"msg":"Token has been revoked"}`:
			default:
				t.Errorf("tab %d: %d %s, want 200 for one tab and 401 \"Token has been revoked\" for the others", i, r.status, r.body)
			}
		}
		if len(won) != 1 {
			t.Fatalf("%d of %d parallel refreshes of one flask refresh token succeeded, want exactly 1 (single use)", len(won), tabs)
		}
		dynDo(t, ts.URL, "GET", "/protected", won[0], "", nil).want(t, 200, `{"logged_in_as":"testuser"}`)
		dynDo(t, ts.URL, "POST", "/refresh", s, "csrf_refresh_token", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
		// The racing tabs did not end the session; a copy used after the
		// grace does: the session the flask token bought is revoked.
		dynDo(t, ts.URL, "GET", "/protected", won[0], "", nil).want(t, 200, `{"logged_in_as":"testuser"}`)
		clock.Advance(11 * time.Second)
		dynDo(t, ts.URL, "POST", "/refresh", s, "csrf_refresh_token", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
		dynDo(t, ts.URL, "GET", "/protected", won[0], "", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
		dynDo(t, ts.URL, "POST", "/refresh", won[0], "csrf_refresh_token", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
	})

	t.Run("password change logs out every other session and keeps the caller in", func(t *testing.T) {
		a := login("admin", "adminpass")
		b := login("admin", "adminpass")
		clock.Advance(2 * time.Second) // the cut-off has one-second resolution
		r := dynDo(t, ts.URL, "POST", "/password", a, "csrf_access_token",
			map[string]string{"old_password": "adminpass", "new_password": "correct horse battery"})
		r.want(t, 200, `{"password_changed":true}`)
		old := maps.Clone(a)
		a.update(r.res)
		dynDo(t, ts.URL, "GET", "/admin", a, "", nil).want(t, 200, `{"admin":true,"user":"admin"}`)
		dynDo(t, ts.URL, "GET", "/admin", b, "", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
		dynDo(t, ts.URL, "GET", "/admin", old, "", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
		dynDo(t, ts.URL, "POST", "/login", dynSession{}, "", map[string]string{"username": "admin", "password": "adminpass"}).
			want(t, 401, `{"msg":"Bad username or password"}`)
		login("admin", "correct horse battery")
	})

	t.Run("password change needs a fresh token and a strong password", func(t *testing.T) {
		s := login("testuser", "testpass")
		dynDo(t, ts.URL, "POST", "/password", s, "csrf_access_token",
			map[string]string{"old_password": "testpass", "new_password": "short"}).
			want(t, 400, `{"msg":"New password does not meet the policy: shorter than 8 characters"}`)
		r := dynDo(t, ts.URL, "POST", "/refresh", s, "csrf_refresh_token", nil)
		r.want(t, 200, `{"refresh":true}`)
		s.update(r.res)
		dynDo(t, ts.URL, "POST", "/password", s, "csrf_access_token",
			map[string]string{"old_password": "testpass", "new_password": "long enough now"}).
			want(t, 401, `{"msg":"Fresh token required"}`)
	})

	t.Run("revoke --user from the admin CLI kills the user's tokens on the next request", func(t *testing.T) {
		s := login("testuser", "testpass")
		dynDo(t, ts.URL, "GET", "/protected", s, "", nil).want(t, 200, `{"logged_in_as":"testuser"}`)
		clock.Advance(2 * time.Second)
		var out, errb bytes.Buffer
		code := admin.Run(ctx, []string{"revoke", "--user", "testuser", "--endpoint", ddb.URL},
			admin.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
				Getenv: func(k string) string { return env[k] }, Now: clock.Now})
		if code != 0 {
			t.Fatalf("revoke exit %d: %s %s", code, out.String(), errb.String())
		}
		dynDo(t, ts.URL, "GET", "/protected", s, "", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
		recs, err := revs.Lookup(ctx, revocation.UserKey("testuser"))
		if err != nil || len(recs) != 1 {
			t.Fatalf("cut-off record: %v %v", recs, err)
		}
		login("testuser", "testpass") // a new login after the cut-off works
	})

	t.Run("revoke --jti from the admin CLI stops a refresh token at once, within the grace, without theft", func(t *testing.T) {
		s := login("testuser", "testpass")
		old := maps.Clone(s)
		r := dynDo(t, ts.URL, "POST", "/refresh", s, "csrf_refresh_token", nil)
		r.want(t, 200, `{"refresh":true}`)
		s.update(r.res)
		for _, victim := range []dynSession{old, s} { // consumed, and never used
			var claims struct{ JTI string }
			payload, err := base64.RawURLEncoding.DecodeString(strings.Split(victim["refresh_token_cookie"], ".")[1])
			if err != nil || json.Unmarshal(payload, &claims) != nil || claims.JTI == "" {
				t.Fatalf("refresh token payload %q: %v", payload, err)
			}
			var out, errb bytes.Buffer
			code := admin.Run(ctx, []string{"revoke", "--jti", claims.JTI, "--endpoint", ddb.URL},
				admin.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
					Getenv: func(k string) string { return env[k] }, Now: clock.Now})
			if code != 0 {
				t.Fatalf("revoke exit %d: %s %s", code, out.String(), errb.String())
			}
			dynDo(t, ts.URL, "POST", "/refresh", maps.Clone(victim), "csrf_refresh_token", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
		}
		// Not theft: the session was not revoked, its newest access token works.
		dynDo(t, ts.URL, "GET", "/protected", s, "", nil).want(t, 200, `{"logged_in_as":"testuser"}`)
	})

	t.Run("failed logins lock a username out, existing or not, without saying which", func(t *testing.T) {
		for _, user := range []string{"testuser", "ghost"} {
			for range 5 {
				dynDo(t, ts.URL, "POST", "/login", dynSession{}, "", map[string]string{"username": user, "password": "wrong"}).
					want(t, 401, `{"msg":"Bad username or password"}`)
			}
			// Locked: even the right password waits, and the answer is the
			// same for a user that does not exist.
			r := dynDo(t, ts.URL, "POST", "/login", dynSession{}, "", map[string]string{"username": user, "password": "testpass"})
			r.want(t, 429, `{"msg":"Too many failed login attempts, try again later"}`)
			if got := r.res.Header.Get("Retry-After"); got != "1" {
				t.Fatalf("%s: Retry-After = %q, want 1", user, got)
			}
		}
		clock.Advance(time.Second)
		login("testuser", "testpass") // lockout over; success resets the count
		dynDo(t, ts.URL, "POST", "/login", dynSession{}, "", map[string]string{"username": "testuser", "password": "wrong"}).
			want(t, 401, `{"msg":"Bad username or password"}`)
	})
}
