package dynamostore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Waiting for a new table: DynamoDB makes an on-demand table ACTIVE in
// seconds, DynamoDB Local at once.
const (
	tableWaitMax      = 5 * time.Minute
	tableWaitMinDelay = 250 * time.Millisecond
	tableWaitMaxDelay = 10 * time.Second
)

// CreateTables creates the revocation and users tables (on-demand
// capacity; the users table with its IdentityIndex), waits until both are
// ACTIVE and turns on TTL on expires_at for both. Tables that already exist
// and TTL already on are fine, so running it again changes nothing; a users
// table created before IdentityIndex gets it (UpdateTable, waited for).
// template.yaml declares the same tables for a stack (template_test.go
// compares them).
func CreateTables(ctx context.Context, api TableAPI, revocationTable, usersTable string) error {
	for _, t := range []struct {
		name, key string
		indexes   []types.GlobalSecondaryIndex
	}{{revocationTable, attrKey, nil}, {usersTable, attrName, []types.GlobalSecondaryIndex{identityIndex()}}} {
		if err := createTable(ctx, api, t.name, t.key, t.indexes...); err != nil {
			return err
		}
	}
	for _, name := range []string{revocationTable, usersTable} {
		if err := waitActive(ctx, api, name); err != nil {
			return err
		}
		if err := enableTTL(ctx, api, name); err != nil {
			return err
		}
	}
	return ensureIdentityIndex(ctx, api, usersTable)
}

// identityIndex is IdentityIndex's definition: identity (S) hashed, the
// table's keys projected.
func identityIndex() types.GlobalSecondaryIndex {
	return types.GlobalSecondaryIndex{
		IndexName:  aws.String(IdentityIndex),
		KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String(attrIdentity), KeyType: types.KeyTypeHash}},
		Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
	}
}

func createTable(ctx context.Context, api TableAPI, name, key string, indexes ...types.GlobalSecondaryIndex) error {
	attrs := []types.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeTypeS}}
	for _, ix := range indexes {
		attrs = append(attrs, types.AttributeDefinition{AttributeName: ix.KeySchema[0].AttributeName, AttributeType: types.ScalarAttributeTypeS})
	}
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: attrs,
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}},
	}
	if len(indexes) > 0 {
		in.GlobalSecondaryIndexes = indexes
	}
	_, err := api.CreateTable(ctx, in)
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil // exists already (or is being created): waitActive follows
	}
	if err != nil {
		return fmt.Errorf("create table %q: %w", name, err)
	}
	return nil
}

// ensureIdentityIndex adds IdentityIndex to the users table called name
// when it lacks it (a table made by an older `jwtgate tables create`), and
// waits until the index is ACTIVE: DynamoDB backfills it from the items
// the table holds.
func ensureIdentityIndex(ctx context.Context, api TableAPI, name string) error {
	status, err := indexStatus(ctx, api, name)
	if err != nil {
		return err
	}
	if status == "" {
		ix := identityIndex()
		_, err := api.UpdateTable(ctx, &dynamodb.UpdateTableInput{
			TableName:            aws.String(name),
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(attrIdentity), AttributeType: types.ScalarAttributeTypeS}},
			GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{Create: &types.CreateGlobalSecondaryIndexAction{
				IndexName: ix.IndexName, KeySchema: ix.KeySchema, Projection: ix.Projection,
			}}},
		})
		if err != nil {
			return fmt.Errorf("add index %q to %q: %w", IdentityIndex, name, classify(name, err))
		}
	}
	deadline := time.Now().Add(tableWaitMax)
	for delay := tableWaitMinDelay; status != types.IndexStatusActive; delay = min(2*delay, tableWaitMaxDelay) {
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for index %q of %q: still %s after %v", IdentityIndex, name, status, tableWaitMax)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for index %q of %q: %w", IdentityIndex, name, ctx.Err())
		case <-time.After(delay):
		}
		if status, err = indexStatus(ctx, api, name); err != nil {
			return err
		}
	}
	return nil
}

// indexStatus is IdentityIndex's status on table name, "" without one.
func indexStatus(ctx context.Context, api TableAPI, name string) (types.IndexStatus, error) {
	d, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("describe table %q: %w", name, classify(name, err))
	}
	for _, ix := range d.Table.GlobalSecondaryIndexes {
		if aws.ToString(ix.IndexName) == IdentityIndex {
			return cmp.Or(ix.IndexStatus, types.IndexStatusActive), nil
		}
	}
	return "", nil
}

func waitActive(ctx context.Context, api TableAPI, name string) error {
	w := dynamodb.NewTableExistsWaiter(api, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = tableWaitMinDelay, tableWaitMaxDelay
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, tableWaitMax); err != nil {
		return fmt.Errorf("wait for table %q: %w", name, err)
	}
	return nil
}

func enableTTL(ctx context.Context, api TableAPI, name string) error {
	d, err := api.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe TTL of %q: %w", name, classify(name, err))
	}
	if desc := d.TimeToLiveDescription; desc != nil {
		switch desc.TimeToLiveStatus {
		case types.TimeToLiveStatusEnabled, types.TimeToLiveStatusEnabling:
			if got := aws.ToString(desc.AttributeName); got != attrExpiresAt {
				return fmt.Errorf("table %q has TTL on %q, want %q", name, got, attrExpiresAt)
			}
			return nil
		}
	}
	_, err = api.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(attrExpiresAt),
			Enabled:       aws.Bool(true),
		},
	})
	// Another run may have enabled it between our two calls.
	if err != nil && !strings.Contains(strings.ToLower(err.Error()), "already enabled") {
		return fmt.Errorf("enable TTL on %q: %w", name, classify(name, err))
	}
	return nil
}
