package session_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os/exec"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/session"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// Both user stores upgrade imported hashes (login finds the method by a
// type assertion, so the compiler checks it here).
var (
	_ session.Users = (*users.MemoryStore)(nil)
	_ session.Users = (*dynamostore.Users)(nil)
)

// flaskHashes has the real libraries a Flask app uses hash pw: werkzeug
// 2.2's generate_password_hash (pbkdf2:sha256:260000), werkzeug 3's scrypt
// construction (hashlib) and python3-bcrypt.
func flaskHashes(t *testing.T, pw string) map[string]string {
	t.Helper()
	const script = `
import hashlib, json, sys, bcrypt
from werkzeug.security import generate_password_hash
pw = sys.argv[1]
salt = "Qm9vdHN0cmFwU2Fs"
print(json.dumps({
  "pbkdf2": generate_password_hash(pw),
  "scrypt": "scrypt:16384:8:1$%s$%s" % (salt, hashlib.scrypt(pw.encode(), salt=salt.encode(), n=16384, r=8, p=1, maxmem=132*16384*8, dklen=64).hex()),
  "bcrypt": bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4)).decode(),
}))`
	out, err := exec.Command("/usr/bin/python3", "-c", script, pw).Output()
	if err != nil {
		t.Fatalf("python3 (werkzeug, python3-bcrypt; `make test` installs them): %v", err)
	}
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func loginAs(t *testing.T, h *harness, name, pw string) (int, string) {
	t.Helper()
	ev := event(t, "login.json")
	ev.Body = `{"username":"` + name + `","password":"` + pw + `"}`
	resp := h.invoke(handlers.LoginFunction, ev)
	return resp.StatusCode, resp.Body
}

// TestLoginUpgradesImportedHashes: a user imported with its Flask hash
// logs in with its password, and from then on its hash is argon2id (the
// same password still works, a wrong one still does not, its generation
// is unchanged so its sessions stay).
func TestLoginUpgradesImportedHashes(t *testing.T) {
	const pw = "flask-era-passw0rd"
	for scheme, hash := range flaskHashes(t, pw) {
		t.Run(scheme, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			if err := h.users.Add(ctx, users.User{Name: "carol", PasswordHash: hash, Roles: []string{"user"}, Generation: 2}); err != nil {
				t.Fatal(err)
			}
			if code, body := loginAs(t, h, "carol", "wrong-passw0rd"); code != 401 || body != `{"msg":"Bad username or password"}` {
				t.Fatalf("wrong password: %d %s", code, body)
			}
			if u, _ := h.users.Get(ctx, "carol"); u.PasswordHash != hash {
				t.Fatalf("a failed login changed the hash to %q", u.PasswordHash)
			}
			if code, body := loginAs(t, h, "carol", pw); code != 200 || body != `{"login":true}` {
				t.Fatalf("right password: %d %s", code, body)
			}
			u, err := h.users.Get(ctx, "carol")
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := password.Identify(u.PasswordHash); s != password.Argon2id || password.Verify(u.PasswordHash, pw) != nil {
				t.Fatalf("hash after login %q, want argon2id of the password", u.PasswordHash)
			}
			if u.Generation != 2 {
				t.Errorf("generation %d, want 2 (an upgrade is no password change)", u.Generation)
			}
			if code, _ := loginAs(t, h, "carol", pw); code != 200 {
				t.Errorf("second login: %d", code)
			}
			if code, _ := loginAs(t, h, "carol", "wrong-passw0rd"); code != 401 {
				t.Errorf("wrong password after upgrade: %d", code)
			}
			if !strings.Contains(h.logs.String(), "imported hash upgraded to argon2id") {
				t.Errorf("no log line of the upgrade:\n%s", h.logs)
			}
		})
	}
}

// racingUsers changes the password right after login read the user, the
// interleaving a real store cannot be made to produce on demand.
type racingUsers struct {
	*users.MemoryStore
	newHash string
}

func (r racingUsers) Get(ctx context.Context, name string) (users.User, error) {
	u, err := r.MemoryStore.Get(ctx, name)
	if err == nil {
		_, _ = r.SetPassword(ctx, name, r.newHash, t0)
	}
	return u, err
}

func TestLoginUpgradeLosesToPasswordChange(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	hash := flaskHashes(t, "old-passw0rd")["pbkdf2"]
	changed, err := password.HashDefault("new-passw0rd")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.users.Add(ctx, users.User{Name: "carol", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	h.set = newSetWith(t, h, racingUsers{MemoryStore: h.users, newHash: changed})
	if code, body := loginAs(t, h, "carol", "old-passw0rd"); code != 200 {
		t.Fatalf("login: %d %s", code, body)
	}
	if u, _ := h.users.Get(ctx, "carol"); u.PasswordHash != changed {
		t.Fatalf("the upgrade overwrote the password change: hash %q", u.PasswordHash)
	}
	if !strings.Contains(h.logs.String(), "password changed meanwhile") {
		t.Errorf("no log line of the lost race:\n%s", h.logs)
	}
}

// TestLoginLegacyCostConfigured: JWTGATE_LEGACY_HASH_COST reaches the
// login function's Checker, and a bad one stops it at start.
func TestLoginLegacyCostConfigured(t *testing.T) {
	if _, err := handlers.New(loadConfig(t, map[string]string{"JWTGATE_LEGACY_HASH_COST": "pbkdf2:sha256:99999999"}), testKeys, handlers.Stores{Users: users.NewMemoryStore()}, nil, nil); err == nil ||
		!strings.Contains(err.Error(), "JWTGATE_LEGACY_HASH_COST") || !errors.Is(err, password.ErrFormat) {
		t.Fatalf("handlers.New with an unbounded legacy cost = %v, want a JWTGATE_LEGACY_HASH_COST error", err)
	}
	h := newHarness(t)
	h.set = newSetWith(t, h, h.users, "JWTGATE_LEGACY_HASH_COST", "pbkdf2:sha256:260000")
	if code, body := loginAs(t, h, "nobody", "whatever-pw"); code != 401 || body != `{"msg":"Bad username or password"}` {
		t.Fatalf("unknown user: %d %s", code, body)
	}
	if code, _ := loginAs(t, h, "testuser", "testpass"); code != 200 {
		t.Fatalf("argon2id user with a legacy cost configured: %d", code)
	}
}

var testKeys = []tokens.Key{{ID: "k1", Secret: []byte(testSecret)}}

// loadConfig is the Lambda configuration with the test secret and env.
func loadConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(func(k string) (string, bool) {
		if k == "JWT_SECRET_KEY" {
			return testSecret, true
		}
		v, ok := env[k]
		return v, ok
	}, config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newSetWith rebuilds h's handlers over us, with the harness's
// revocations, clock and log, and env (name, value pairs) set.
func newSetWith(t *testing.T, h *harness, us session.Users, env ...string) *handlers.Set {
	t.Helper()
	m := map[string]string{}
	for i := 0; i+1 < len(env); i += 2 {
		m[env[i]] = env[i+1]
	}
	set, err := handlers.New(loadConfig(t, m), testKeys, handlers.Stores{Users: us, Revocations: h.revs},
		slog.New(slog.NewJSONHandler(h.logs, nil)), h.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	return set
}
