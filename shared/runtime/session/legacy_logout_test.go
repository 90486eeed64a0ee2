package session_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
)

// msgLogoutFailed is logout's answer when a revocation cannot be stored.
const msgLogoutFailed = `{"msg":"Logout failed: the session could not be revoked, try again"}`

// TestLegacyLogoutAfterTrade: a /logout with the flask cookies from before
// their trade (a stale tab, a stolen copy) ends the jwtgate session the
// flask refresh token bought, within the reuse grace or after it. A flask
// access token alone names no session: the bought one goes on.
func TestLegacyLogoutAfterTrade(t *testing.T) {
	tests := []struct {
		name string
		// cookies and csrf are what the stale logout presents.
		cookies []string
		csrf    string
		// after is how long after the trade the stale logout comes.
		after time.Duration
		// ends says whether the bought session is revoked.
		ends bool
	}{
		{"both stale cookies, within the grace", bothCookies, "csrf_access_token", 0, true},
		{"both stale cookies, after the grace", bothCookies, "csrf_access_token", 11 * time.Second, true},
		{"the stale refresh cookie alone", refreshCookies, "csrf_refresh_token", 11 * time.Second, true},
		{"the stale access cookie alone: no link to the session", []string{"access_token_cookie"}, "csrf_access_token", 11 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := legacyHarness(t)
			stale := h.flaskLogin("testuser", 0)
			resp := h.legacyRefresh(stale)
			wantReply(t, resp, 200, `{"refresh":true}`)
			bought := jarOf(t, resp)
			sid := h.parse(bought["access_token_cookie"]).SID
			h.clk.Advance(tt.after)

			out := h.invoke(handlers.LogoutFunction, withSession(event(t, "logout.json"), stale, tt.cookies, stale[tt.csrf]))
			wantReply(t, out, 200, `{"logout":true}`)
			wantCleared(t, out)
			// The presented flask access token is revoked either way.
			if tt.cookies[0] == "access_token_cookie" {
				h.wantAuthorizer("the stale flask access token", stale["access_token_cookie"], "Token has been revoked")
			}
			if !tt.ends {
				h.wantAuthorizer("the bought session's access token", bought["access_token_cookie"], "")
				wantReply(t, h.legacyRefresh(bought), 200, `{"refresh":true}`)
				return
			}
			h.wantAuthorizer("the bought session's access token", bought["access_token_cookie"], "Token has been revoked")
			wantReply(t, h.legacyRefresh(bought), 401, `{"msg":"Token has been revoked"}`)
			wantReply(t, h.legacyRefresh(stale), 401, `{"msg":"Token has been revoked"}`)
			if !strings.Contains(h.logs.String(), `"revoked_sid":"`+sid+`"`) {
				t.Errorf("the logout's log line does not name the bought session %s:\n%s", sid, h.logs)
			}
		})
	}
}

// faultyRevocations is the memory store with writes that fail on demand:
// failConsume the conditional write (logout's read of a trade's record),
// failSession the write of a sid# record.
type faultyRevocations struct {
	*revocation.MemoryStore
	failConsume, failSession atomic.Bool
}

var errStoreDown = errors.New("revocation store unreachable")

func (f *faultyRevocations) Consume(ctx context.Context, r revocation.Record) (revocation.Record, bool, error) {
	if f.failConsume.Load() {
		return revocation.Record{}, false, errStoreDown
	}
	return f.MemoryStore.Consume(ctx, r)
}

func (f *faultyRevocations) Put(ctx context.Context, r revocation.Record) error {
	if f.failSession.Load() && strings.HasPrefix(r.Key, revocation.SessionKey("")) {
		return errStoreDown
	}
	return f.MemoryStore.Put(ctx, r)
}

// TestLegacyLogoutStoreFailure: when the trade's record cannot be read, or
// the session it names cannot be revoked, logout fails closed as on any
// store failure (503, the cookies kept, the reason logged) and claims
// nothing; the retry ends the session.
func TestLegacyLogoutStoreFailure(t *testing.T) {
	tests := []struct {
		name  string
		fault func(*faultyRevocations) *atomic.Bool
	}{
		{"the trade's record cannot be read", func(f *faultyRevocations) *atomic.Bool { return &f.failConsume }},
		{"the bought session cannot be revoked", func(f *faultyRevocations) *atomic.Bool { return &f.failSession }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, until := legacyHarness(t)
			store := &faultyRevocations{MemoryStore: h.revs}
			set, err := handlers.New(loadConfig(t, map[string]string{"JWTGATE_LEGACY_TOKENS_UNTIL": until.UTC().Format(time.RFC3339)}),
				testKeys, handlers.Stores{Users: h.users, Revocations: store}, slog.New(slog.NewJSONHandler(h.logs, nil)), h.clk.Now)
			if err != nil {
				t.Fatal(err)
			}
			h.set = set
			stale := h.flaskLogin("testuser", 0)
			resp := h.legacyRefresh(stale)
			wantReply(t, resp, 200, `{"refresh":true}`)
			bought := jarOf(t, resp)

			fault := tt.fault(store)
			fault.Store(true)
			ev := withSession(event(t, "logout.json"), stale, refreshCookies, stale["csrf_refresh_token"])
			out := h.invoke(handlers.LogoutFunction, ev)
			wantReply(t, out, 503, msgLogoutFailed)
			if sc := out.MultiValueHeaders["Set-Cookie"]; len(sc) != 0 {
				t.Errorf("a failed logout changed cookies: %q", sc)
			}
			logged := h.logs.String()
			if !strings.Contains(logged, `"msg":"logout failed closed"`) || !strings.Contains(logged, `"reason":"revocation store"`) ||
				!strings.Contains(logged, errStoreDown.Error()) {
				t.Errorf("the log does not say logout failed closed on the revocation store (%v):\n%s", errStoreDown, logged)
			}
			// Nothing claimed, nothing half done: the bought session works.
			h.wantAuthorizer("the bought session after the failed logout", bought["access_token_cookie"], "")

			fault.Store(false)
			wantReply(t, h.invoke(handlers.LogoutFunction, ev), 200, `{"logout":true}`)
			h.wantAuthorizer("the bought session after the retry", bought["access_token_cookie"], "Token has been revoked")
			wantReply(t, h.legacyRefresh(bought), 401, `{"msg":"Token has been revoked"}`)
		})
	}
}
