package admin_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
)

// fixture is one test's tables and settings on the shared server.
type fixture struct {
	t                 *testing.T
	vars              map[string]string
	now               time.Time
	revTable, usersTb string
	users             *dynamostore.Users
	rev               *dynamostore.Revocations
}

// newFixture names fresh tables (created only when create is true) and
// points the CLI's environment at them.
func newFixture(t *testing.T, create bool) *fixture {
	t.Helper()
	c := server.Client(t)
	suffix := dynamolocal.RandomName()
	f := &fixture{t: t, now: time.Now().Truncate(time.Second),
		revTable: "rev-" + suffix, usersTb: "users-" + suffix}
	f.vars = map[string]string{
		"DYNAMODB_ENDPOINT":         server.URL,
		"REVOCATION_TABLE":          f.revTable,
		"USERS_TABLE":               f.usersTb,
		"JWT_REFRESH_TOKEN_EXPIRES": "3600",
	}
	if create {
		if err := dynamostore.CreateTables(context.Background(), c, f.revTable, f.usersTb); err != nil {
			t.Fatal(err)
		}
	}
	f.users = dynamostore.NewUsers(c, f.usersTb)
	f.rev = dynamostore.NewRevocations(c, f.revTable, dynamostore.WithClock(func() time.Time { return f.now }))
	return f
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI with stdin and the fixture's environment and clock.
func (f *fixture) run(stdin string, args ...string) result {
	f.t.Helper()
	var out, errOut bytes.Buffer
	code := admin.Run(context.Background(), args, admin.Env{
		Stdin:  strings.NewReader(stdin),
		Stdout: &out,
		Stderr: &errOut,
		Getenv: func(k string) string { return f.vars[k] },
		Now:    func() time.Time { return f.now },
	})
	return result{code, out.String(), errOut.String()}
}

func (f *fixture) mustRun(stdin string, args ...string) result {
	f.t.Helper()
	r := f.run(stdin, args...)
	if r.code != admin.ExitOK {
		f.t.Fatalf("%v: exit %d, stderr %q", args, r.code, r.stderr)
	}
	return r
}

func (f *fixture) user(name string) users.User {
	f.t.Helper()
	u, err := f.users.Get(context.Background(), name)
	if err != nil {
		f.t.Fatalf("get %s: %v", name, err)
	}
	return u
}

func (f *fixture) record(key string) (revocation.Record, bool) {
	f.t.Helper()
	got, err := f.rev.Lookup(context.Background(), key)
	if err != nil {
		f.t.Fatal(err)
	}
	r, ok := got[key]
	return r, ok
}

func TestTablesCreate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	for range 2 { // idempotent
		r := f.mustRun("", "tables", "create")
		if !strings.Contains(r.stdout, f.revTable) || !strings.Contains(r.stdout, f.usersTb) {
			t.Fatalf("stdout %q does not name the tables", r.stdout)
		}
	}
	// Flags win over the environment.
	other := "flagged-" + dynamolocal.RandomName()
	f.mustRun("", "tables", "create", "--users-table", other, "--endpoint", server.URL)
	ttl, err := server.Client(t).DescribeTimeToLive(context.Background(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(other)})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Fatalf("TTL of %s: %+v, %v", other, ttl, err)
	}
}

func TestMissingTable(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	for _, args := range [][]string{
		{"user", "list"},
		{"user", "add", "alice", "--password-stdin"},
		{"user", "disable", "alice"},
		{"revoke", "--jti", "j1"},
	} {
		r := f.run("correct horse\n", args...)
		if r.code != admin.ExitFailure {
			t.Errorf("%v: exit %d, want 1", args, r.code)
		}
		if !strings.Contains(r.stderr, "does not exist: run `jwtgate tables create`") {
			t.Errorf("%v: stderr %q lacks the advice", args, r.stderr)
		}
	}
}

func TestUserAdd(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	r := f.mustRun("correct horse battery\nignored second line\n",
		"user", "add", "alice", "--role", "admin", "--roles", "reader,writer,admin", "--password-stdin")
	if !strings.Contains(r.stdout, "added user alice") {
		t.Errorf("stdout %q", r.stdout)
	}
	u := f.user("alice")
	if err := password.Verify(u.PasswordHash, "correct horse battery"); err != nil {
		t.Errorf("stored hash does not verify the password: %v", err)
	}
	if got := strings.Join(u.Roles, ","); got != "admin,reader,writer" {
		t.Errorf("roles = %q", got)
	}
	if u.Disabled || !u.PasswordChangedAt.Equal(f.now) {
		t.Errorf("user = %+v", u)
	}

	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		inStderr string
	}{
		{"exists", "another password\n", []string{"user", "add", "alice", "--password-stdin"}, 1, "user alice already exists"},
		{"short password", "short\n", []string{"user", "add", "bob", "--password-stdin"}, 1, "shorter than 8"},
		{"empty stdin", "", []string{"user", "add", "bob", "--password-stdin"}, 1, "no password"},
		{"stdin is no terminal", "", []string{"user", "add", "bob"}, 2, "--password-stdin"},
		{"no name", "", []string{"user", "add", "--password-stdin"}, 2, "want 1 argument"},
		{"two names", "", []string{"user", "add", "bob", "carol", "--password-stdin"}, 2, "want 1 argument"},
		{"invalid name", "long enough pw\n", []string{"user", "add", "bo b", "--password-stdin"}, 2, "invalid username"},
		{"password flag does not exist", "", []string{"user", "add", "bob", "--password", "x"}, 2, "flag provided but not defined"},
		{"bad role", "long enough pw\n", []string{"user", "add", "bob", "--role", "a b", "--password-stdin"}, 2, "invalid role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.run(tt.stdin, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.inStderr) {
				t.Fatalf("exit %d stderr %q; want %d and %q", r.code, r.stderr, tt.code, tt.inStderr)
			}
		})
	}
	if _, err := f.users.Get(context.Background(), "bob"); !errors.Is(err, users.ErrNotFound) {
		t.Fatalf("a failed add created bob: %v", err)
	}
}

func TestUserAddNormalizesName(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.mustRun("long enough pw\n", "user", "add", "\uff21lice", "--password-stdin") // fullwidth A
	f.user("Alice")
	r := f.run("long enough pw\n", "user", "add", "Alice", "--password-stdin")
	if r.code != admin.ExitFailure || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("adding the same name again: exit %d %q", r.code, r.stderr)
	}
}

func TestUserPasswd(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.mustRun("old password\n", "user", "add", "alice", "--password-stdin")
	before := f.user("alice")

	f.now = f.now.Add(time.Minute)
	r := f.mustRun("new password\n", "user", "passwd", "alice", "--password-stdin")
	if !strings.Contains(r.stdout, "revoked its sessions") {
		t.Errorf("stdout %q", r.stdout)
	}
	u := f.user("alice")
	if err := password.Verify(u.PasswordHash, "new password"); err != nil {
		t.Errorf("new password does not verify: %v", err)
	}
	if u.PasswordHash == before.PasswordHash || !u.PasswordChangedAt.Equal(f.now) {
		t.Errorf("user after passwd = %+v", u)
	}
	if u.Generation != before.Generation+1 {
		t.Errorf("generation %d after passwd, want %d", u.Generation, before.Generation+1)
	}
	cut, ok := f.record(revocation.UserKey("alice"))
	if !ok || !cut.At.Equal(f.now) || !cut.ExpiresAt.Equal(f.now.Add(time.Hour+revocation.InFlight)) || cut.MinGeneration != u.Generation {
		t.Fatalf("cut-off record = %+v, %v; want At=%v ExpiresAt=+1h+InFlight MinGeneration=%d", cut, ok, f.now, u.Generation)
	}
	// It revokes every token of the old generation, whatever its iat, and
	// none of the new one.
	recs := map[string]revocation.Record{cut.Key: cut}
	if err := revocation.Check(recs, revocation.Subject{Sub: "alice", IssuedAt: f.now.Add(time.Second), Generation: before.Generation}, f.now); !errors.Is(err, revocation.ErrRevoked) {
		t.Errorf("old generation survives the password change")
	}
	if err := revocation.Check(recs, revocation.Subject{Sub: "alice", IssuedAt: f.now.Add(-time.Second), Generation: u.Generation}, f.now); err != nil {
		t.Errorf("new generation revoked: %v", err)
	}

	t.Run("missing user", func(t *testing.T) {
		r := f.run("new password\n", "user", "passwd", "ghost", "--password-stdin")
		if r.code != admin.ExitFailure || !strings.Contains(r.stderr, "user ghost does not exist") {
			t.Fatalf("exit %d stderr %q", r.code, r.stderr)
		}
		if _, ok := f.record(revocation.UserKey("ghost")); ok {
			t.Fatal("cut-off written for a missing user")
		}
	})
	t.Run("weak password keeps the old one", func(t *testing.T) {
		r := f.run("short\n", "user", "passwd", "alice", "--password-stdin")
		if r.code != admin.ExitFailure {
			t.Fatalf("exit %d", r.code)
		}
		if err := password.Verify(f.user("alice").PasswordHash, "new password"); err != nil {
			t.Fatal("password changed anyway")
		}
	})
	t.Run("bad refresh TTL", func(t *testing.T) {
		f.vars["JWT_REFRESH_TOKEN_EXPIRES"] = "soon"
		defer func() { f.vars["JWT_REFRESH_TOKEN_EXPIRES"] = "3600" }()
		r := f.run("another password\n", "user", "passwd", "alice", "--password-stdin")
		if r.code != admin.ExitFailure || !strings.Contains(r.stderr, "JWT_REFRESH_TOKEN_EXPIRES") {
			t.Fatalf("exit %d stderr %q", r.code, r.stderr)
		}
	})
}

func TestUserDisableEnableRoles(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.mustRun("long enough pw\n", "user", "add", "alice", "--roles", "reader", "--password-stdin")

	f.mustRun("", "user", "disable", "alice")
	if !f.user("alice").Disabled {
		t.Fatal("not disabled")
	}
	if cut, ok := f.record(revocation.UserKey("alice")); !ok || !cut.At.Equal(f.now) || cut.MinGeneration != 1 || f.user("alice").Generation != 1 {
		t.Fatalf("disable wrote no cut-off of generation 1: %+v %v", cut, ok)
	}
	f.mustRun("", "user", "enable", "alice")
	if f.user("alice").Disabled {
		t.Fatal("still disabled")
	}

	f.mustRun("", "user", "roles", "alice", "admin,ops")
	if got := strings.Join(f.user("alice").Roles, ","); got != "admin,ops" {
		t.Fatalf("roles = %q", got)
	}
	f.mustRun("", "user", "roles", "alice", "")
	if got := f.user("alice").Roles; len(got) != 0 {
		t.Fatalf("roles = %q, want none", got)
	}

	for _, args := range [][]string{{"user", "disable", "ghost"}, {"user", "enable", "ghost"}, {"user", "roles", "ghost", "a"}} {
		r := f.run("", args...)
		if r.code != admin.ExitFailure || !strings.Contains(r.stderr, "user ghost does not exist") {
			t.Errorf("%v: exit %d stderr %q", args, r.code, r.stderr)
		}
	}
	if r := f.run("", "user", "roles", "alice"); r.code != admin.ExitUsage {
		t.Errorf("roles without a list: exit %d", r.code)
	}
}

func TestUserList(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	r := f.mustRun("", "user", "list")
	if strings.TrimSpace(r.stdout) != "NAME  ROLES  DISABLED  PASSWORD CHANGED  HASH" {
		t.Fatalf("empty list = %q", r.stdout)
	}
	f.mustRun("long enough pw\n", "user", "add", "bob", "--password-stdin")
	f.mustRun("long enough pw\n", "user", "add", "alice", "--roles", "admin,reader", "--password-stdin")
	f.mustRun("", "user", "disable", "bob")
	r = f.mustRun("", "user", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("list = %q", r.stdout)
	}
	changed := f.now.UTC().Format(time.RFC3339)
	for i, want := range [][]string{{"alice", "admin,reader", "false", changed, "argon2id"}, {"bob", "-", "true", changed, "argon2id"}} {
		if got := strings.Fields(lines[i+1]); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("row %d = %q, want %q", i, got, want)
		}
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.mustRun("long enough pw\n", "user", "add", "Bob", "--password-stdin")
	tests := []struct {
		args   []string
		leeway string
		key    string
		minGen int64
	}{
		{[]string{"revoke", "--jti", "tok-1"}, "", revocation.TokenKey("tok-1"), 0},
		{[]string{"revoke", "--session", "sess-1"}, "", revocation.SessionKey("sess-1"), 0},
		{[]string{"revoke", "--user", "\uff22ob"}, "", revocation.UserKey("Bob"), 1},
		// JWT_DECODE_LEEWAY lengthens every record, as in the functions: a
		// token is still accepted that long after its exp.
		{[]string{"revoke", "--jti", "tok-2"}, "90", revocation.TokenKey("tok-2"), 0},
		{[]string{"revoke", "--session", "sess-2"}, "90s", revocation.SessionKey("sess-2"), 0},
		{[]string{"revoke", "--user", "Bob"}, "90", revocation.UserKey("Bob"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/leeway="+tt.leeway, func(t *testing.T) {
			f.vars["JWT_DECODE_LEEWAY"] = tt.leeway
			defer delete(f.vars, "JWT_DECODE_LEEWAY")
			f.mustRun("", tt.args...)
			leeway := map[string]time.Duration{"": 0, "90": 90 * time.Second, "90s": 90 * time.Second}[tt.leeway]
			r, ok := f.record(tt.key)
			if !ok || !r.At.Equal(f.now) || !r.ExpiresAt.Equal(f.now.Add(time.Hour+leeway+revocation.InFlight)) || r.MinGeneration != tt.minGen {
				t.Fatalf("record = %+v, %v; want ExpiresAt now+1h+%v+InFlight, MinGeneration %d", r, ok, leeway, tt.minGen)
			}
		})
	}
	t.Run("missing user", func(t *testing.T) {
		r := f.run("", "revoke", "--user", "ghost")
		if r.code != admin.ExitFailure || !strings.Contains(r.stderr, "user ghost does not exist") {
			t.Fatalf("exit %d stderr %q", r.code, r.stderr)
		}
	})
	t.Run("bad leeway", func(t *testing.T) {
		f.vars["JWT_DECODE_LEEWAY"] = "-5"
		defer delete(f.vars, "JWT_DECODE_LEEWAY")
		r := f.run("", "revoke", "--jti", "tok-3")
		if r.code != admin.ExitFailure || !strings.Contains(r.stderr, "JWT_DECODE_LEEWAY") {
			t.Fatalf("exit %d stderr %q", r.code, r.stderr)
		}
		if _, ok := f.record(revocation.TokenKey("tok-3")); ok {
			t.Fatal("revocation written despite the bad setting")
		}
	})
}

// TestRevokeUserSlowClock is issue 12's item 2: an admin whose clock is 5
// minutes slow runs `revoke --user` after a password change. The cut-off
// must not move backwards: the password change's generation stays cut,
// and the new one is cut too.
func TestRevokeUserSlowClock(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.mustRun("long enough pw\n", "user", "add", "alice", "--password-stdin")
	f.mustRun("new password\n", "user", "passwd", "alice", "--password-stdin") // generation 1
	changed := f.now
	first, _ := f.record(revocation.UserKey("alice"))
	f.now = f.now.Add(-5 * time.Minute)
	f.mustRun("", "revoke", "--user", "alice")
	cut, ok := f.record(revocation.UserKey("alice"))
	if !ok || cut.MinGeneration != 2 || !cut.ExpiresAt.Equal(first.ExpiresAt) {
		t.Fatalf("cut-off after a slow-clock revoke = %+v, %v; want MinGeneration 2 and the first expiry %v kept", cut, ok, first.ExpiresAt)
	}
	recs := map[string]revocation.Record{cut.Key: cut}
	for gen := int64(0); gen <= 1; gen++ {
		// A token of the generation before, issued after the change by the
		// real clock: still dead.
		subj := revocation.Subject{Sub: "alice", IssuedAt: changed.Add(time.Second), Generation: gen}
		if err := revocation.Check(recs, subj, changed); !errors.Is(err, revocation.ErrRevoked) {
			t.Errorf("generation %d alive after the slow-clock revoke", gen)
		}
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false) // nothing here may touch DynamoDB
	for _, args := range [][]string{
		nil,
		{"frobnicate"},
		{"tables"},
		{"tables", "drop"},
		{"tables", "create", "extra"},
		{"user"},
		{"user", "delete", "alice"},
		{"user", "disable"},
		{"user", "list", "--bogus"},
		{"revoke"},
		{"revoke", "--jti", "a", "--session", "b"},
		{"revoke", "--user", "a b"},
	} {
		r := f.run("", args...)
		if r.code != admin.ExitUsage || !strings.Contains(r.stderr, "usage:") {
			t.Errorf("%q: exit %d stderr %q; want 2 with usage", args, r.code, r.stderr)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"user", "list", "-h"}} {
		if r := f.run("", args...); r.code != admin.ExitOK || !strings.Contains(r.stdout, "usage:") {
			t.Errorf("%q: exit %d stdout %q", args, r.code, r.stdout)
		}
	}
}

// Not parallel: it changes the process environment the AWS SDK reads.
func TestNoCredentials(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_REGION": "eu-west-1",
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	f := newFixture(t, false)
	delete(f.vars, "DYNAMODB_ENDPOINT")
	r := f.run("", "user", "list")
	if r.code != admin.ExitFailure || !strings.HasPrefix(r.stderr, "jwtgate: no AWS credentials: ") {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
	t.Setenv("AWS_REGION", "")
	r = f.run("", "user", "list")
	if r.code != admin.ExitFailure || !strings.HasPrefix(r.stderr, "jwtgate: no AWS region") {
		t.Fatalf("exit %d stderr %q", r.code, r.stderr)
	}
}
