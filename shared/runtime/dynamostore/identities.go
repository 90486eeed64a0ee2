package dynamostore

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// ErrAmbiguousIdentity is an identity that more than one user holds. The
// import refuses to write one; an item edited by hand can still make it,
// and the lookup then fails closed rather than pick a user.
var ErrAmbiguousIdentity = errors.New("dynamostore: identity held by more than one user")

// Identities finds users by the Flask identity they were imported with
// (users.User.Identity): one Query of the users table's IdentityIndex.
// Index reads are eventually consistent, which the migration tolerates:
// identities are written by `jwtgate user import` before the cut-over and
// never change. It bounds each call when given WithCallTimeout, as the
// authorizer's revocation lookup is bounded.
type Identities struct {
	api   ItemAPI
	table string
	settings
}

// NewIdentities returns the lookup over the index of the users table
// called usersTable.
func NewIdentities(api ItemAPI, usersTable string, opts ...Option) *Identities {
	return &Identities{api: api, table: usersTable, settings: newSettings(opts)}
}

// NameOf returns the username whose identity is identity (canonical text),
// users.ErrNotFound when none, ErrAmbiguousIdentity when several.
func (s *Identities) NameOf(ctx context.Context, identity string) (string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.api.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(IdentityIndex),
		KeyConditionExpression:    aws.String("#i = :i"),
		ExpressionAttributeNames:  map[string]string{"#i": attrIdentity},
		ExpressionAttributeValues: map[string]types.AttributeValue{":i": &types.AttributeValueMemberS{Value: identity}},
		// Two are enough to tell one user from several.
		Limit: aws.Int32(2),
	})
	if err != nil {
		return "", fmt.Errorf("user of identity %s: %w", identity, classify(s.table, err))
	}
	switch len(res.Items) {
	case 0:
		return "", fmt.Errorf("user of identity %s: %w", identity, users.ErrNotFound)
	case 1:
	default:
		return "", fmt.Errorf("user of identity %s: %w", identity, ErrAmbiguousIdentity)
	}
	n, ok := res.Items[0][attrName].(*types.AttributeValueMemberS)
	if !ok || n.Value == "" {
		return "", fmt.Errorf("user of identity %s: dynamostore: index item without %s", identity, attrName)
	}
	return n.Value, nil
}
