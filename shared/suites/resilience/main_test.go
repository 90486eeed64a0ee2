package resilience_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/logging"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/tooling/awsclient"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
)

// server is the DynamoDB Local every test of this binary shares; each
// gateway gets its own tables on it.
var server *dynamolocal.Server

func TestMain(m *testing.M) { os.Exit(run(m)) }

// run starts DynamoDB Local, warms it up and runs the tests. A server that
// cannot start fails the binary with the reason (and the install hint).
func run(m *testing.M) int {
	ctx := context.Background()
	s, err := dynamolocal.Launch(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer s.Close()
	server = s
	if err := warmUp(ctx, s.URL); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL: warm up DynamoDB Local:", err)
		return 1
	}
	return m.Run()
}

// warmUp runs every call the stores make a few times. A fresh DynamoDB
// Local answers its first calls slowly (half a second and more while the
// JVM compiles), which the fault tests' 300 ms bound would count as a
// failure before any fault is injected.
func warmUp(ctx context.Context, endpoint string) error {
	client, err := awsclient.NewDynamoDB(ctx, endpoint)
	if err != nil {
		return err
	}
	suffix := dynamolocal.RandomName()
	revTable, usersTable := "warmup-revocations-"+suffix, "warmup-users-"+suffix
	if err := dynamostore.CreateTables(ctx, client, revTable, usersTable); err != nil {
		return err
	}
	us := dynamostore.NewUsers(client, usersTable)
	revs := dynamostore.NewRevocations(client, revTable)
	hash := "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"
	for i := range warmUpRounds {
		name := fmt.Sprintf("warmup%d", i)
		if err := us.Add(ctx, users.User{Name: name, PasswordHash: hash, Roles: []string{"user"}}); err != nil {
			return err
		}
		if _, err := us.Get(ctx, name); err != nil {
			return err
		}
		now := time.Now()
		r := revocation.Record{Key: revocation.SessionKey(name), At: now, ExpiresAt: now.Add(time.Hour)}
		if err := revs.Put(ctx, r); err != nil {
			return err
		}
		if _, _, err := revs.Consume(ctx, revocation.Record{Key: revocation.TokenKey(name), At: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			return err
		}
		if _, err := revs.Lookup(ctx, r.Key, revocation.UserKey(name), revocation.TokenKey(name)); err != nil {
			return err
		}
	}
	_, err = us.List(ctx)
	return err
}

// warmUpRounds is enough calls for the JVM to compile DynamoDB Local's hot
// paths (measured: first BatchGetItem ~500 ms, after 50 rounds a few ms).
const warmUpRounds = 50

// testSecret signs the tokens of every test gateway; logs_test searches the
// logs for it.
const testSecret = "resilience-test-secret-0123456789abcdef0123"

// Bodies the gateway answers with, as the clients see them.
const (
	bodyLogin          = `{"login":true}`
	bodyRefresh        = `{"refresh":true}`
	bodyLogout         = `{"logout":true}`
	bodyRevoked        = `{"msg":"Token has been revoked"}`
	bodyAuthzDown      = `{"msg":"Authorization service unavailable"}`
	bodySessionDown    = `{"msg":"Session store unavailable, try again"}`
	bodyLogoutDown     = `{"msg":"Logout failed: the session could not be revoked, try again"}`
	bodyBadCredentials = `{"msg":"Bad username or password"}`
)

// setup says how to build one test gateway.
type setup struct {
	// API wraps the stores' client (nil: the stores talk to DynamoDB Local
	// directly). It receives a client of endpoint.
	API func(*testing.T) dynamostore.ItemAPI
	// Env adds to (or overrides) the gateway's environment.
	Env map[string]string
	// Clock is the gateway's and the stores' clock (nil: time.Now).
	Clock func() time.Time
	// Log receives the gateway's JSON log lines (nil: discarded).
	Log io.Writer
}

// fixture is one dev gateway served on loopback, its tables on the shared
// DynamoDB Local, and a direct view of its revocation table for checks.
type fixture struct {
	URL string
	// Revocations reads the gateway's revocation table directly, bypassing
	// any injected fault.
	Revocations *dynamostore.Revocations
	// Client sends the requests; its transport keeps enough idle
	// connections for the load test's clients.
	Client *http.Client
}

// newGateway builds devserver.New's gateway over DynamoDB stores, seeds the
// demo users straight into the users table and serves it with httptest.
func newGateway(t *testing.T, s setup) *fixture {
	t.Helper()
	ctx := context.Background()
	direct := server.Client(t)
	revTable, usersTable := server.CreateTables(t, direct)
	if err := devserver.Seed(ctx, dynamostore.NewUsers(direct, usersTable)); err != nil {
		t.Fatalf("seed demo users: %v", err)
	}
	env := map[string]string{
		"JWT_SECRET_KEY":   testSecret,
		"REVOCATION_TABLE": revTable,
		"USERS_TABLE":      usersTable,
		"AWS_REGION":       "us-east-1",
	}
	for k, v := range s.Env {
		env[k] = v
	}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	clock := s.Clock
	if clock == nil {
		clock = time.Now
	}
	var api dynamostore.ItemAPI = direct
	if s.API != nil {
		api = s.API(t)
	}
	out := s.Log
	if out == nil {
		out = io.Discard
	}
	cfg, err := config.Load(getenv, config.Dev)
	if err != nil {
		t.Fatal(err)
	}
	stores := handlers.DynamoStores(api, cfg, clock)
	srv, err := devserver.New(ctx, devserver.Options{Template: []byte(jwtgate.Template), Getenv: getenv,
		Log: logging.New(out, "debug"), Clock: clock, Stores: &stores})
	if err != nil {
		t.Fatalf("devserver: %v", err)
	}
	ts := httptest.NewServer(srv.Gateway)
	t.Cleanup(ts.Close)
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &fixture{
		URL:         ts.URL,
		Revocations: dynamostore.NewRevocations(direct, revTable, dynamostore.WithClock(clock)),
		Client:      &http.Client{Transport: tr, Timeout: 30 * time.Second},
	}
}

// session is the cookies of one browser, sent by hand so tests can keep or
// replay them exactly.
type session map[string]string

// update applies a response's Set-Cookie headers (Max-Age<0 deletes).
func (s session) update(res *http.Response) {
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(s, c.Name)
			continue
		}
		s[c.Name] = c.Value
	}
}

// reply is one answer of the gateway.
type reply struct {
	Status  int
	Body    string
	Header  http.Header
	Elapsed time.Duration
	res     *http.Response
}

func (r reply) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// call is one request: csrfCookie names the cookie whose value goes into
// X-CSRF-TOKEN ("" for none); body, when not nil, is sent as JSON.
type call struct {
	Method, Path string
	CSRFCookie   string
	Body         any
}

// send runs c with the cookies of s and returns the answer; it never fails
// the test itself, so load goroutines can call it.
func (f *fixture) send(s session, c call) (reply, error) {
	var rd io.Reader
	if c.Body != nil {
		b, err := json.Marshal(c.Body)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(c.Method, f.URL+c.Path, rd)
	if err != nil {
		return reply{}, err
	}
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range s {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if c.CSRFCookie != "" {
		req.Header.Set("X-CSRF-TOKEN", s[c.CSRFCookie])
	}
	start := time.Now()
	res, err := f.Client.Do(req)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: %w", c.Method, c.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return reply{}, fmt.Errorf("%s %s: read body: %w", c.Method, c.Path, err)
	}
	return reply{Status: res.StatusCode, Body: string(b), Header: res.Header, Elapsed: time.Since(start), res: res}, nil
}

// do is send for the test goroutine: a transport error fails t.
func (f *fixture) do(t *testing.T, s session, c call) reply {
	t.Helper()
	r, err := f.send(s, c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// want fails t unless r is exactly status and body.
func (r reply) want(t *testing.T, status int, body string) reply {
	t.Helper()
	if r.Status != status || r.Body != body {
		t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, status, body)
	}
	return r
}

// The calls of the demo flow.
func loginCall(user, pw string) call {
	return call{Method: http.MethodPost, Path: "/login", Body: map[string]string{"username": user, "password": pw}}
}

var (
	protectedCall = call{Method: http.MethodGet, Path: "/protected"}
	adminCall     = call{Method: http.MethodGet, Path: "/admin"}
	refreshCall   = call{Method: http.MethodPost, Path: "/refresh", CSRFCookie: "csrf_refresh_token"}
	logoutCall    = call{Method: http.MethodPost, Path: "/logout", CSRFCookie: "csrf_access_token"}
)

// login logs user in and returns the session's four cookies.
func (f *fixture) login(t *testing.T, user, pw string) session {
	t.Helper()
	s := session{}
	r := f.do(t, s, loginCall(user, pw)).want(t, http.StatusOK, bodyLogin)
	s.update(r.res)
	if len(s) != 4 {
		t.Fatalf("login set %d cookies, want 4: %v", len(s), r.Header["Set-Cookie"])
	}
	return s
}

// sidOf reads the sid claim of an access token without verifying it (the
// gateway did that): base64url JSON of the middle segment.
func sidOf(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", fmt.Errorf("payload: %w", err)
	}
	var claims struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil || claims.SID == "" {
		return "", fmt.Errorf("payload without sid: %v", err)
	}
	return claims.SID, nil
}
