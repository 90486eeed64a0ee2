package dynamostore_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// TestRefreshReads: the one-call read over both tables answers what
// Lookup and Get answer apart, in a single BatchGetItem (retrying what
// DynamoDB leaves unprocessed in either table).
func TestRefreshReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := server.Client(t)
	revTable, usersTable := server.CreateTables(t, c)
	clock := newClock()
	now := clock.Now()
	revs := dynamostore.NewRevocations(c, revTable, dynamostore.WithClock(clock.Now))
	us := dynamostore.NewUsers(c, usersTable)
	for _, u := range []users.User{
		{Name: "alice", PasswordHash: "$argon2id$a", Roles: []string{"admin", "reader"}},
		{Name: "bob", PasswordHash: "$argon2id$b", Disabled: true},
	} {
		if err := us.Add(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []revocation.Record{
		{Key: revocation.SessionKey("s-revoked"), At: now, ExpiresAt: now.Add(time.Hour)},
		{Key: revocation.UserKey("alice"), At: now, ExpiresAt: now.Add(time.Hour)},
		{Key: revocation.SessionKey("s-expired"), At: now.Add(-time.Hour), ExpiresAt: now.Add(time.Minute)},
	} {
		if err := revs.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(2 * time.Minute) // s-expired's record is past its TTL, still in the table

	tests := []struct {
		name, user, sid string
		wantKeys        []string
		wantErr         error
	}{
		{"live user cut-off", "alice", "s-live", []string{revocation.UserKey("alice")}, nil},
		{"revoked session", "alice", "s-revoked", []string{revocation.SessionKey("s-revoked"), revocation.UserKey("alice")}, nil},
		{"expired record left out", "bob", "s-expired", nil, nil},
		{"no such user", "nobody", "s-revoked", []string{revocation.SessionKey("s-revoked")}, users.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys := []string{revocation.SessionKey(tc.sid), revocation.UserKey(tc.user)}
			for name, api := range map[string]dynamostore.ItemAPI{
				"direct":      c,
				"unprocessed": &unprocessing{ItemAPI: c, fail: 2},
			} {
				rr := dynamostore.NewRefreshReads(dynamostore.NewRevocations(api, revTable, dynamostore.WithClock(clock.Now)), dynamostore.NewUsers(api, usersTable))
				recs, u, err := rr.ReadForRefresh(ctx, tc.user, keys...)
				if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
					t.Fatalf("%s: ReadForRefresh error = %v, want %v", name, err, tc.wantErr)
				}
				if got := slices.Sorted(maps.Keys(recs)); !slices.Equal(got, slices.Sorted(slices.Values(tc.wantKeys))) {
					t.Errorf("%s: records %v, want %v", name, got, tc.wantKeys)
				}
				// The same answer as the two separate calls.
				apart, err := revs.Lookup(ctx, keys...)
				if err != nil {
					t.Fatal(err)
				}
				if !maps.EqualFunc(recs, apart, func(a, b revocation.Record) bool { return a.Key == b.Key && a.At.Equal(b.At) }) {
					t.Errorf("%s: records %v, Lookup says %v", name, recs, apart)
				}
				want, err := us.Get(ctx, tc.user)
				if err == nil && (u.Name != want.Name || u.Disabled != want.Disabled || !slices.Equal(u.Roles, want.Roles)) {
					t.Errorf("%s: user %+v, Get says %+v", name, u, want)
				}
			}
		})
	}
}
