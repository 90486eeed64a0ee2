package devserver

import (
	"context"
	"fmt"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/tooling/awsclient"
)

// DynamoStores opens the tables named by REVOCATION_TABLE and USERS_TABLE
// (defaults jwtgate-revocations, jwtgate-users) at endpoint, creates them
// when absent, and seeds the demo users only when the users table is empty
// (seeded reports whether it did).
func DynamoStores(ctx context.Context, endpoint string, getenv config.Getenv) (stores *handlers.Stores, seeded bool, err error) {
	cfg, err := config.Load(getenv, config.Dev)
	if err != nil {
		return nil, false, err
	}
	client, err := awsclient.NewDynamoDB(ctx, endpoint)
	if err != nil {
		return nil, false, err
	}
	if err := dynamostore.CreateTables(ctx, client, cfg.RevocationTable, cfg.UsersTable); err != nil {
		return nil, false, fmt.Errorf("devserver: %w", err)
	}
	us := dynamostore.NewUsers(client, cfg.UsersTable)
	existing, err := us.List(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("devserver: %w", err)
	}
	if len(existing) == 0 {
		if err := Seed(ctx, us); err != nil {
			return nil, false, err
		}
		seeded = true
	}
	st := handlers.DynamoStores(client, cfg, nil)
	return &st, seeded, nil
}
