package dynamostore

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// RefreshReads reads what a refresh checks before it rotates a token (the
// session's and the user's revocation records, and the user record for its
// roles and disabled flag) in one strongly consistent BatchGetItem over both
// tables, where Revocations.Lookup and Users.Get would take two round trips.
type RefreshReads struct {
	rev   *Revocations
	users *Users
}

// NewRefreshReads returns the combined reader of rev's and users' tables.
// It calls DynamoDB through rev's client, within rev's call timeout.
func NewRefreshReads(rev *Revocations, users *Users) *RefreshReads {
	return &RefreshReads{rev: rev, users: users}
}

// ReadForRefresh returns the live records among keys (at most 99) and the
// user called name, or users.ErrNotFound (wrapped) with the records when
// there is no such user.
func (r *RefreshReads) ReadForRefresh(ctx context.Context, name string, keys ...string) (map[string]revocation.Record, users.User, error) {
	ctx, cancel := r.rev.bound(ctx)
	defer cancel()
	revKeys := make([]map[string]types.AttributeValue, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if !seen[k] { // BatchGetItem refuses duplicate keys
			seen[k] = true
			revKeys = append(revKeys, map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: k}})
		}
	}
	recs := make(map[string]revocation.Record, len(revKeys))
	var u users.User
	found := false
	err := batchGetTables(ctx, r.rev.api, map[string][]map[string]types.AttributeValue{
		r.rev.table: revKeys, r.users.table: {nameKey(name)},
	}, func(table string, item map[string]types.AttributeValue) error {
		if table == r.users.table {
			var err error
			u, err = decodeUser(item)
			found = err == nil
			return err
		}
		rec, err := decodeRecord(item)
		if err != nil {
			return err
		}
		recs[rec.Key] = rec
		return nil
	})
	if err != nil {
		return nil, users.User{}, fmt.Errorf("read for refresh of %q: %w", name, err)
	}
	now := r.rev.clock()
	for k, rec := range recs {
		if !rec.Live(now) {
			delete(recs, k)
		}
	}
	if !found {
		return recs, users.User{}, fmt.Errorf("read for refresh of %q: %w", name, users.ErrNotFound)
	}
	return recs, u, nil
}
