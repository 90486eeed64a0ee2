package devserver_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os/exec"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
)

// newLegacyHarness is newHarness on the real clock (flask-jwt-extended
// signs with it, so a fake one would see its tokens as issued in the
// future) with the migration window open for an hour, and env on top.
func newLegacyHarness(t *testing.T, env map[string]string) *harness {
	t.Helper()
	vars := map[string]string{
		"JWT_SECRET_KEY":              testSecret,
		"JWTGATE_LEGACY_TOKENS_UNTIL": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
	}
	for k, v := range env {
		vars[k] = v
	}
	srv, err := devserver.New(context.Background(), devserver.Options{
		Template: []byte(jwtgate.Template),
		Getenv:   func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock:    time.Now,
	})
	if err != nil {
		t.Fatalf("devserver.New: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &harness{t: t, URL: ts.URL, Srv: srv}
}

// flaskSession logs name in on the real flask-jwt-extended (Debian's
// 4.4.4) with testSecret and returns the four cookies it sets.
func flaskSession(t *testing.T, name string) dynSession {
	t.Helper()
	out, err := exec.Command("/usr/bin/python3", "../../runtime/tokens/testdata/flask_mint.py", testSecret, name).Output()
	if err != nil {
		t.Fatalf("flask_mint.py (python3-python-flask-jwt-extended): %v", err)
	}
	var s dynSession
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAttackLegacyPasswordChange: flask-jwt-extended's tokens have no sid,
// so during the migration window they all share the empty one. A
// /password made with one user's flask session revokes the caller's
// session by its sid; that must not end every other user's flask session
// (before the fix, "sid#" was written and every flask token of every user
// got 401 "Token has been revoked" for the revocation lifetime, 30 days).
// The caller's own flask tokens die by the user cut-off, as promised.
func TestAttackLegacyPasswordChange(t *testing.T) {
	h := newLegacyHarness(t, nil)
	mallory, other := flaskSession(t, "testuser"), flaskSession(t, "admin")
	dynDo(t, h.URL, "GET", "/protected", other, "", nil).want(t, 200, `{"logged_in_as":"admin"}`)

	r := dynDo(t, h.URL, "POST", "/password", mallory, "csrf_access_token",
		map[string]string{"old_password": "testpass", "new_password": "a new passphrase 1"})
	r.want(t, 200, `{"password_changed":true}`)
	renewed := dynSession{}
	renewed.update(r.res)
	dynDo(t, h.URL, "GET", "/protected", renewed, "", nil).want(t, 200, `{"logged_in_as":"testuser"}`)

	// The caller's flask tokens are below the new generation.
	dynDo(t, h.URL, "GET", "/protected", mallory, "", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
	dynDo(t, h.URL, "POST", "/refresh", mallory, "csrf_refresh_token", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
	// Another user's flask session goes on, and is traded at its refresh.
	dynDo(t, h.URL, "GET", "/protected", other, "", nil).want(t, 200, `{"logged_in_as":"admin"}`)
	dynDo(t, h.URL, "POST", "/refresh", other, "csrf_refresh_token", nil).want(t, 200, `{"refresh":true}`)
	// So does a flask session opened after the change.
	dynDo(t, h.URL, "GET", "/protected", flaskSession(t, "admin"), "", nil).want(t, 200, `{"logged_in_as":"admin"}`)
}
