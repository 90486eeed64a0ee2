package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrNoPublicKeys means the public keys table holds no key set yet: run
// `jwtgate keys publish` (or rotate, add, promote, retire with
// --public-keys-table).
var ErrNoPublicKeys = errors.New("dynamostore: no public key set published")

// publicKeysPK is the key of the one item of the public keys table: the
// whole set in one item, so a reader sees an old or a new set, never half.
const publicKeysPK = "jwks"

// PublicKeys is the public key set verifiers read when tokens are signed
// with an asymmetric algorithm: one item of its own table, which the stack
// lets the verifying functions read and no function write (the admin CLI
// writes it with the operator's credentials). Verifiers thus need no
// Secrets Manager client and no grant on the private key, and a reader that
// already has a DynamoDB client (the authorizer) needs no other client.
type PublicKeys struct {
	api   ItemAPI
	table string
}

// NewPublicKeys returns the public key set of table.
func NewPublicKeys(api ItemAPI, table string) *PublicKeys {
	return &PublicKeys{api: api, table: table}
}

// PublicKeys returns the stored key set JSON (secret.KeySet with public
// keys), read strongly consistent so a removal is seen at once.
func (p *PublicKeys) PublicKeys(ctx context.Context) (string, error) {
	out, err := p.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(p.table),
		Key:            map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: publicKeysPK}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("dynamostore: get public keys from %s: %w", p.table, err)
	}
	v, ok := out.Item["keys"].(*types.AttributeValueMemberS)
	if !ok {
		return "", fmt.Errorf("%w in %s", ErrNoPublicKeys, p.table)
	}
	return v.Value, nil
}

// Put replaces the stored key set.
func (p *PublicKeys) Put(ctx context.Context, set string, now time.Time) error {
	_, err := p.api.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(p.table),
		Item: map[string]types.AttributeValue{
			attrKey:      &types.AttributeValueMemberS{Value: publicKeysPK},
			"keys":       &types.AttributeValueMemberS{Value: set},
			"updated_at": &types.AttributeValueMemberS{Value: now.UTC().Format(time.RFC3339)},
		},
	})
	if err != nil {
		return fmt.Errorf("dynamostore: put public keys into %s: %w", p.table, err)
	}
	return nil
}

// CreatePublicKeysTable creates the public keys table (key pk, on-demand)
// and waits until it is ACTIVE; an existing table is fine.
func CreatePublicKeysTable(ctx context.Context, api TableAPI, name string) error {
	if err := createTable(ctx, api, name, attrKey); err != nil {
		return err
	}
	return waitActive(ctx, api, name)
}
