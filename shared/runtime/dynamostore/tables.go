package dynamostore

import (
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
// capacity), waits until both are ACTIVE and turns on TTL on expires_at for
// both. Tables that already exist and TTL already on are fine, so running it
// again changes nothing.
func CreateTables(ctx context.Context, api TableAPI, revocationTable, usersTable string) error {
	for _, t := range []struct{ name, key string }{{revocationTable, attrKey}, {usersTable, attrName}} {
		if err := createTable(ctx, api, t.name, t.key); err != nil {
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
	return nil
}

func createTable(ctx context.Context, api TableAPI, name, key string) error {
	_, err := api.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(key), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(key), KeyType: types.KeyTypeHash}},
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil // exists already (or is being created): waitActive follows
	}
	if err != nil {
		return fmt.Errorf("create table %q: %w", name, err)
	}
	return nil
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
