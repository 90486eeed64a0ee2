package handlers_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/authorizer"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/testkit/fakeclock"
)

// TestStaleKeysFailClosed: when the key source has been unreadable past
// tokens.DefaultMaxKeyAge, no function may act on a token it can no longer
// trust, and none may answer as if the token were the problem. The
// authorizer fails (API Gateway's 503), refresh answers 503, and logout
// answers 503 instead of claiming a logout it could not perform.
func TestStaleKeysFailClosed(t *testing.T) {
	clock := fakeclock.New(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	cfg, err := config.Load(func(k string) (string, bool) {
		v, ok := map[string]string{"JWT_SECRET_KEY": rtSecret}[k]
		return v, ok
	}, config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	sourceDown := errors.New("secretsmanager: GetSecretValue: connection refused")
	cfg.Tokens.Reload = func() ([]tokens.Key, error) { return nil, sourceDown }
	us := users.NewMemoryStore()
	hash, err := password.HashDefault("testpass")
	if err != nil {
		t.Fatal(err)
	}
	if err := us.Add(context.Background(), users.User{Name: "testuser", PasswordHash: hash, Roles: []string{"user"}}); err != nil {
		t.Fatal(err)
	}
	revs := revocation.NewMemoryStore(clock.Now)
	set, err := handlers.New(cfg, []tokens.Key{{Secret: []byte(rtSecret)}}, handlers.Stores{Users: us, Revocations: revs},
		slog.New(slog.DiscardHandler), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(id, body string, cookies []*http.Cookie, csrf string) *httptest.ResponseRecorder {
		t.Helper()
		h, err := set.HTTP(id)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		for _, c := range cookies {
			r.AddCookie(c)
		}
		if csrf != "" {
			r.Header.Set("X-CSRF-TOKEN", csrf)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	login := serve(handlers.LoginFunction, `{"username":"testuser","password":"testpass"}`, nil, "")
	if login.Code != http.StatusOK {
		t.Fatalf("login: %d %s", login.Code, login.Body)
	}
	jar := map[string]*http.Cookie{}
	var all []*http.Cookie
	for _, c := range login.Result().Cookies() {
		jar[c.Name] = c
		all = append(all, c)
	}
	az, err := set.REST(handlers.AuthorizerFunction)
	if err != nil {
		t.Fatal(err)
	}
	decide := az.(func(context.Context, authorizer.RESTEvent) (authorizer.RESTResponse, error))
	event := authorizer.RESTEvent{MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/protected",
		Resource: "/protected", Path: "/protected", HTTPMethod: "GET",
		Headers: map[string]string{"Cookie": jar["access_token_cookie"].Name + "=" + jar["access_token_cookie"].Value}}
	if resp, err := decide(context.Background(), event); err != nil || resp.PolicyDocument.Statement[0].Effect != "Allow" {
		t.Fatalf("fresh keys: %+v %v, want Allow", resp, err)
	}

	clock.Advance(tokens.DefaultMaxKeyAge + time.Minute) // the source stayed down all along
	// The access token would have expired by now too; a long-lived one shows
	// the key failure is what decides.
	if _, err := decide(context.Background(), event); !errors.Is(err, authorizer.ErrUnavailable) {
		t.Errorf("authorizer with stale keys: %v, want ErrUnavailable (API Gateway's 503)", err)
	}
	refresh := serve(handlers.RefreshFunction, "", []*http.Cookie{jar["refresh_token_cookie"]}, jar["csrf_refresh_token"].Value)
	if refresh.Code != http.StatusServiceUnavailable || !strings.Contains(refresh.Body.String(), "Session store unavailable") {
		t.Errorf("refresh with stale keys: %d %s, want 503", refresh.Code, refresh.Body)
	}
	logout := serve(handlers.LogoutFunction, "", all, jar["csrf_access_token"].Value)
	if logout.Code != http.StatusServiceUnavailable || !strings.Contains(logout.Body.String(), "could not be revoked") {
		t.Errorf("logout with stale keys: %d %s, want 503 and the cookies kept", logout.Code, logout.Body)
	}
	if len(logout.Result().Cookies()) != 0 {
		t.Errorf("logout cleared cookies it could not revoke: %v", logout.Result().Cookies())
	}
}
