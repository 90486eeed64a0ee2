package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/logging"
	"github.com/jwtgate/jwtgate/shared/runtime/session"
	"github.com/jwtgate/jwtgate/shared/runtime/throttle"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/testkit/fakeclock"
)

// brokenUsers is a user store whose reads fail with an error naming the
// user, as dynamostore's do ("get user \"alice\": ...").
type brokenUsers struct{}

func (brokenUsers) Get(_ context.Context, name string) (users.User, error) {
	return users.User{}, fmt.Errorf("get user %q: %w", name, errors.New("connection reset"))
}

func (brokenUsers) ChangePassword(context.Context, string, string, string, time.Time) (int64, error) {
	return 0, errors.New("unused")
}

func (brokenUsers) ReplaceHash(context.Context, string, string, string) error {
	return errors.New("unused")
}

// brokenStore is a throttle store whose writes fail naming the key.
type brokenStore struct{}

func (brokenStore) Reserve(_ context.Context, key string, _ throttle.Policy, _, _ time.Time) (throttle.Counter, error) {
	return throttle.Counter{}, fmt.Errorf("reserve attempt on %s: %w", key, errors.New("throttled"))
}
func (brokenStore) Release(context.Context, string) error { return nil }
func (brokenStore) Reset(context.Context, string) error   { return nil }

// TestLoginLogsNoUnverifiedName is issue 12 item 10 on the failure paths:
// a name the user store has not confirmed reaches the log only as its tag,
// also inside the error text of a failing store.
func TestLoginLogsNoUnverifiedName(t *testing.T) {
	const typed = "my-Secret-passw0rd" // typed into the username field
	names := logging.NewNames([]byte("0123456789abcdef0123456789abcdef"))
	ts, err := tokens.New(tokens.Options{Keys: []tokens.Key{{Secret: []byte(testSecret)}}})
	if err != nil {
		t.Fatal(err)
	}
	policy := throttle.NewPolicy(5, time.Minute)
	tests := []struct {
		name     string
		users    session.Users
		throttle session.Throttle
		status   int
		body     string
	}{
		{"user store fails", brokenUsers{}, nil, 503, `{"msg":"Session store unavailable, try again"}`},
		{"throttle store fails", users.NewMemoryStore(), throttle.NewLimiter(brokenStore{}, policy, policy, nil), 503,
			`{"msg":"Session store unavailable, try again"}`},
		{"unknown user", users.NewMemoryStore(), nil, 401, `{"msg":"Bad username or password"}`},
		{"locked out", users.NewMemoryStore(), lockedLimiter(t, typed), 429, `{"msg":"Too many failed login attempts, try again later"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			opts := []session.Option{session.WithNames(names), session.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil)))}
			if tc.throttle != nil {
				opts = append(opts, session.WithThrottle(tc.throttle)) // a limiter over a broken or prepared store
			}
			s := session.New(config.Config{}, ts, session.Stores{Users: tc.users}, opts...)
			req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(`{"username":"`+typed+`","password":"x"}`))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.Login().ServeHTTP(rec, req)
			if rec.Code != tc.status || strings.TrimSpace(rec.Body.String()) != tc.body {
				t.Fatalf("login: %d %s, want %d %s", rec.Code, rec.Body.String(), tc.status, tc.body)
			}
			out := logs.String()
			if strings.Contains(out, typed) || strings.Contains(out, strings.ToLower(typed)) {
				t.Errorf("the log carries the unverified name:\n%s", out)
			}
			if !strings.Contains(out, `"user_tag":"`+names.Tag(typed)+`"`) {
				t.Errorf("the log has no tag of the name:\n%s", out)
			}
		})
	}
}

// lockedLimiter is a limiter on which name is locked out, on a stopped
// clock so the lock cannot run out before the subtest runs.
func lockedLimiter(t *testing.T, name string) *throttle.Limiter {
	t.Helper()
	p := throttle.NewPolicy(1, time.Minute)
	clock := fakeclock.New(time.Now())
	l := throttle.NewLimiter(throttle.NewMemoryStore(clock.Now), p, p, clock.Now)
	if err := l.Reserve(context.Background(), name, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	return l
}
