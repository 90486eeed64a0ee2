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

// A logout revokes a whole session, a password change cuts off every token
// of the user issued before it, and each record lives only as long as a
// token it could match: with a fixed clock, nothing here sleeps.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	store := revocation.NewMemoryStore(func() time.Time { return now })
	const refreshTTL = 30 * 24 * time.Hour

	tab1 := revocation.Subject{JTI: "jti-1", SID: "session-1", Sub: "testuser", IssuedAt: now.Add(-time.Hour)}
	tab2 := revocation.Subject{JTI: "jti-2", SID: "session-2", Sub: "testuser", IssuedAt: now.Add(-time.Minute)}
	show := func(event string) {
		fmt.Printf("%-28s session-1: %-5v session-2: %v\n", event,
			errors.Is(revoked(ctx, store, tab1, now), revocation.ErrRevoked),
			errors.Is(revoked(ctx, store, tab2, now), revocation.ErrRevoked))
	}
	show("nothing revoked")

	// Logout in the first tab: its session dies, refresh token included.
	if err := store.Put(ctx, revocation.Record{Key: revocation.SessionKey(tab1.SID), At: now, ExpiresAt: now.Add(refreshTTL)}); err != nil {
		fmt.Println(err)
		return
	}
	show("session-1 logged out")

	// A password change ten minutes ago: tokens issued before it die, a
	// login after it is unaffected.
	at := now.Add(-10 * time.Minute)
	if err := store.Put(ctx, revocation.Record{Key: revocation.UserKey("testuser"), At: at, ExpiresAt: at.Add(refreshTTL)}); err != nil {
		fmt.Println(err)
		return
	}
	show("password changed at -10m")

	now = now.Add(refreshTTL)
	show("30 days later (records gone)")
	// Output:
	// nothing revoked              session-1: false session-2: false
	// session-1 logged out         session-1: true  session-2: false
	// password changed at -10m     session-1: true  session-2: false
	// 30 days later (records gone) session-1: false session-2: false
}

// Consume is the atomic "first use wins" of refresh rotation: the first
// refresh records the token as consumed, a second one finds that record.
func ExampleMemoryStore_Consume() {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	store := revocation.NewMemoryStore(func() time.Time { return now })
	rec := revocation.Record{Key: revocation.TokenKey("refresh-jti-1"), At: now, ExpiresAt: now.Add(time.Hour)}

	_, first, err := store.Consume(ctx, rec)
	if err != nil {
		fmt.Println(err)
		return
	}
	now = now.Add(3 * time.Second)
	prev, second, err := store.Consume(ctx, revocation.Record{Key: rec.Key, At: now, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("first:", first, "second:", second, "consumed", now.Sub(prev.At), "earlier")
	// Output:
	// first: true second: false consumed 3s earlier
}
