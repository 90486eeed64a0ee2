package dynamostore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
)

// identities is the lookup both stores offer (users.Identities).
var (
	_ users.Identities = (*users.MemoryStore)(nil)
	_ users.Identities = (*dynamostore.Identities)(nil)
)

// TestIdentities: a user imported with a Flask identity is found by it in
// one Query of the identity index, 42 and "42" apart; users without one
// are not in the index; a canonical form is required; two users holding one
// identity (an item edited by hand) fail closed instead of picking one.
func TestIdentities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := server.Client(t)
	_, table := server.CreateTables(t, c)
	us := dynamostore.NewUsers(c, table)
	for _, u := range []users.User{
		{Name: "alice", PasswordHash: "h", Identity: "42"},
		{Name: "bob", PasswordHash: "h", Identity: `"42"`},
		{Name: "carol", PasswordHash: "h", Identity: `"u-7"`},
		{Name: "dave", PasswordHash: "h"},
	} {
		if err := us.Add(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := us.Get(ctx, "bob"); err != nil || got.Identity != `"42"` {
		t.Fatalf("Get(bob) = %+v, %v; want its identity kept", got, err)
	}
	if err := us.Add(ctx, users.User{Name: "erin", PasswordHash: "h", Identity: "042"}); err == nil {
		t.Error(`Add with identity 042 (not canonical): nil error`)
	}
	counter := &queryCounter{ItemAPI: c}
	ids := dynamostore.NewIdentities(counter, table)
	for identity, want := range map[string]string{"42": "alice", `"42"`: "bob", `"u-7"`: "carol"} {
		if got, err := ids.NameOf(ctx, identity); err != nil || got != want {
			t.Errorf("NameOf(%s) = %q, %v; want %q", identity, got, err, want)
		}
	}
	if counter.queries != 3 {
		t.Errorf("%d calls for 3 lookups, want one Query each", counter.queries)
	}
	for _, identity := range []string{"7", `"u-8"`, `"dave"`} {
		if got, err := ids.NameOf(ctx, identity); !errors.Is(err, users.ErrNotFound) {
			t.Errorf("NameOf(%s) = %q, %v; want users.ErrNotFound", identity, got, err)
		}
	}
	// Put does not check: a hand edit can give two users one identity.
	if err := us.Put(ctx, users.User{Name: "frank", PasswordHash: "h", Identity: "42"}); err != nil {
		t.Fatal(err)
	}
	if got, err := ids.NameOf(ctx, "42"); !errors.Is(err, dynamostore.ErrAmbiguousIdentity) {
		t.Errorf("NameOf(42) held by two users = %q, %v; want ErrAmbiguousIdentity", got, err)
	}
	// A missing table (or index) is an error the caller fails closed on.
	if _, err := dynamostore.NewIdentities(c, "missing-"+dynamolocal.RandomName()).NameOf(ctx, "42"); err == nil || errors.Is(err, users.ErrNotFound) {
		t.Errorf("NameOf on a missing table: %v, want a failure, not ErrNotFound", err)
	}
}

// TestCreateTablesAddsIdentityIndex: a users table made before the
// identity index (hash key only) gets it from CreateTables, backfilled
// from the users it holds. Not parallel: DynamoDB Local builds an index
// added by UpdateTable in the background, and with the package's other
// tests writing at the same time that build was seen CREATING for minutes.
func TestCreateTablesAddsIdentityIndex(t *testing.T) {
	ctx := context.Background()
	c := server.Client(t)
	rev, table := "rev-"+dynamolocal.RandomName(), "users-"+dynamolocal.RandomName()
	if _, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("username"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("username"), KeyType: types.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := dynamostore.NewUsers(c, table).Add(ctx, users.User{Name: "alice", PasswordHash: "h", Identity: "42"}); err != nil {
		t.Fatal(err)
	}
	if _, err := dynamostore.NewIdentities(c, table).NameOf(ctx, "42"); err == nil {
		t.Fatal("NameOf before the index exists: nil error")
	}
	for range 2 { // and again, with the index there: nothing to do
		if err := dynamostore.CreateTables(ctx, c, rev, table); err != nil {
			t.Fatalf("CreateTables on the old users table: %v", err)
		}
	}
	if got, err := dynamostore.NewIdentities(c, table).NameOf(ctx, "42"); err != nil || got != "alice" {
		t.Fatalf("NameOf(42) after CreateTables = %q, %v; want alice", got, err)
	}
}

// queryCounter counts the calls of the identity lookup.
type queryCounter struct {
	dynamostore.ItemAPI
	queries int
}

func (q *queryCounter) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	q.queries++
	return q.ItemAPI.Query(ctx, in, o...)
}
