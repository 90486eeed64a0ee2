package session_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/cookies"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/request"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/session"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/runtime/users/username"
)

// fuzzDemoUsers are the only credentials Login may accept.
var fuzzDemoUsers = map[string]string{"testuser": "testpass", "admin": "adminpass"}

// cheapHash keeps the stored hashes cheap so the fuzzer spends its time in
// the handler; unknown users still cost one Default verification (the
// dummy hash), which bounds the fuzzer's speed on most inputs.
var cheapHash = password.Params{Memory: 8, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newLoginHandler(tb testing.TB) http.Handler {
	tb.Helper()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	ts, err := tokens.New(tokens.Options{Keys: []tokens.Key{{Secret: []byte("fuzz-secret-0123456789abcdef0123456789")}}, Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	store := users.NewMemoryStore()
	for name, pw := range fuzzDemoUsers {
		hash, err := password.Hash(rand.Reader, pw, cheapHash)
		if err != nil {
			tb.Fatal(err)
		}
		if err := store.Add(context.Background(), users.User{Name: name, PasswordHash: hash, Roles: []string{"user"}}); err != nil {
			tb.Fatal(err)
		}
	}
	svc := session.New(config.Config{Cookies: cookies.Defaults(), CSRF: request.DefaultCSRF(),
		Locations: request.Locations{Cookies: true}},
		ts, session.Stores{Users: store, Revocations: revocation.NewMemoryStore(clock)},
		session.WithClock(clock), session.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))), session.WithHashSlots(0))
	return svc.Login()
}

// FuzzLoginBody posts arbitrary bodies with arbitrary content types to the
// Login handler: it never panics, never answers 5xx, answers only 200, 400
// or 401, and 200 (with cookies) only for a JSON body whose username
// normalises to a demo user and whose password is that user's.
func FuzzLoginBody(f *testing.F) {
	for _, s := range []struct{ ct, body string }{
		{"application/json", `{"username":"testuser","password":"testpass"}`},
		{"application/json; charset=utf-8", `{"username":"admin","password":"adminpass"}`},
		{"application/json", `{"username":"testuser","password":"wrong"}`},
		{"application/json", `{"username":"ｔｅｓｔｕｓｅｒ","password":"testpass"}`},
		{"application/json", `{"username":"tеstuser","password":"testpass"}`},
		{"application/json", `{"username":"admin","username":"testuser","password":"testpass"}`},
		{"application/json", `{"username":"test\u0000user","password":"testpass"}`},
		{"application/json", `{"username":1,"password":"testpass"}`},
		{"application/json", `[[[[[[[[[[]]]]]]]]]]`},
		{"application/json", ``},
		{"text/plain", `{"username":"testuser","password":"testpass"}`},
		{"", `username=testuser&password=testpass`},
	} {
		f.Add(s.ct, []byte(s.body))
	}
	h := newLoginHandler(f)
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/login", bytes.NewReader(body))
		if contentType != "" {
			req.Header["Content-Type"] = []string{contentType}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		setCookies := rec.Result().Cookies()
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusUnauthorized:
			if len(setCookies) != 0 {
				t.Fatalf("%d with cookies", rec.Code)
			}
			return
		default:
			t.Fatalf("status %d (%s) for %q %q", rec.Code, rec.Body, contentType, body)
		}
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil || mt != "application/json" {
			t.Fatalf("200 for content type %q", contentType)
		}
		var creds struct {
			Username, Password *string
		}
		if err := json.Unmarshal(body, &creds); err != nil || creds.Username == nil || creds.Password == nil {
			t.Fatalf("200 for body %q (%v)", body, err)
		}
		name, err := username.Normalize(*creds.Username)
		if want, ok := fuzzDemoUsers[name]; err != nil || !ok || *creds.Password != want {
			t.Fatalf("200 for username %q password %q", *creds.Username, *creds.Password)
		}
		if len(setCookies) != 4 {
			t.Fatalf("200 with %d cookies", len(setCookies))
		}
	})
}
