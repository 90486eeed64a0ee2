package revocation_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
)

// lookup is what a function of your own needs of a revocation store,
// declared where it is used: one batched read. Both stores provide it; in
// Lambda the store is dynamostore.NewRevocations(client, table), locally
// and in tests a revocation.MemoryStore.
type lookup interface {
	Lookup(ctx context.Context, keys ...string) (map[string]revocation.Record, error)
}

var (
	_ lookup = (*revocation.MemoryStore)(nil)
	_ lookup = (*dynamostore.Revocations)(nil)
)

// revoked reads the three records that could kill the token described by
// s in one call and lets Check decide. A failing store is an error, on
// which the caller refuses the request (fail closed).
func revoked(ctx context.Context, store lookup, s revocation.Subject, now time.Time) error {
	records, err := store.Lookup(ctx, s.Keys()...)
	if err != nil {
		return fmt.Errorf("revocation lookup: %w", err)
	}
	return revocation.Check(records, s, now)
}

// A logout revokes a whole session, a password change cuts off every
// token of the user opened before it, and each record lives only as long
// as a token it could match. Lifetimes builds the records (what the session
// handlers and the admin CLI use); the clock is fixed, nothing sleeps.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	store := revocation.NewMemoryStore(func() time.Time { return now })
	life := revocation.Lifetimes{RefreshTTL: 30 * 24 * time.Hour, Leeway: 10 * time.Second}

	// Two tabs logged in at generation 0 (the tokens' gen claim), and a
	// third after the password change below, at generation 1.
	tab1 := revocation.Subject{JTI: "jti-1", SID: "session-1", Sub: "testuser", IssuedAt: now}
	tab2 := revocation.Subject{JTI: "jti-2", SID: "session-2", Sub: "testuser", IssuedAt: now}
	tab3 := revocation.Subject{JTI: "jti-3", SID: "session-3", Sub: "testuser", IssuedAt: now, Generation: 1}
	show := func(event string) {
		fmt.Printf("%-27s", event)
		for _, tab := range []revocation.Subject{tab1, tab2, tab3} {
			fmt.Printf(" %s: %-5v", tab.SID, errors.Is(revoked(ctx, store, tab, now), revocation.ErrRevoked))
		}
		fmt.Println()
	}
	show("nothing revoked")

	// Logout in the first tab: its session dies, refresh token included.
	if err := store.Put(ctx, life.Session(tab1.SID, now)); err != nil {
		fmt.Println(err)
		return
	}
	show("session-1 logged out")

	// A password change raises the user's generation to 1 (the users
	// store does, with the new hash); the cut-off revokes every token below.
	if err := store.Put(ctx, life.UserCutOff("testuser", 1, now)); err != nil {
		fmt.Println(err)
		return
	}
	show("password changed")

	// Records outlive the longest token they match (refresh lifetime, plus
	// leeway, plus revocation.InFlight), then mean nothing.
	rec := life.Session(tab1.SID, now)
	fmt.Println("session record lives:", rec.ExpiresAt.Sub(now))
	now = rec.ExpiresAt
	show("once they expired")
	// Output:
	// nothing revoked             session-1: false session-2: false session-3: false
	// session-1 logged out        session-1: true  session-2: false session-3: false
	// password changed            session-1: true  session-2: true  session-3: false
	// session record lives: 720h1m10s
	// once they expired           session-1: false session-2: false session-3: false
}

// Consume is the atomic "first use wins" of refresh rotation: the first
// refresh marks the token consumed until it expires, a second one finds
// the mark (and the handler then decides: within the reuse grace, or theft).
func ExampleMemoryStore_Consume() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	store := revocation.NewMemoryStore(func() time.Time { return now })
	life := revocation.Lifetimes{RefreshTTL: 30 * 24 * time.Hour}
	exp := now.Add(30 * 24 * time.Hour) // the refresh token's exp claim

	_, first, err := store.Consume(ctx, life.Consumed("refresh-jti-1", exp, now))
	if err != nil {
		fmt.Println(err)
		return
	}
	now = now.Add(3 * time.Second)
	prev, second, err := store.Consume(ctx, life.Consumed("refresh-jti-1", exp, now))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("first:", first, "second:", second, "consumed", now.Sub(prev.At), "earlier:", prev.Consumed)
	// Output:
	// first: true second: false consumed 3s earlier: true
}
