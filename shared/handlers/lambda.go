package handlers

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jwtgate/jwtgate/shared/config"
	"github.com/jwtgate/jwtgate/shared/cors"
	"github.com/jwtgate/jwtgate/shared/demo"
	"github.com/jwtgate/jwtgate/shared/dynamostore"
	"github.com/jwtgate/jwtgate/shared/logging"
	"github.com/jwtgate/jwtgate/shared/secret"
)

// FromEnv builds the handler of function logicalID as its Lambda container
// runs it: configuration from the environment, one AWS configuration, the
// signing key from Secrets Manager and the DynamoDB stores, each created
// once per container. JWTGATE_PAYLOAD=v2 selects HTTP API payload 2.0.
func FromEnv(ctx context.Context, logicalID string, getenv config.Getenv) (any, error) {
	cfg, err := config.Load(getenv, config.Lambda)
	if err != nil {
		return nil, err
	}
	payload, _ := getenv("JWTGATE_PAYLOAD")
	v2 := payload == "v2"
	if logicalID == ProtectedFunction {
		// The demo routes only read the authorizer context: no key, no tables.
		h := cors.Middleware(cfg.CORS, demo.Handler())
		if v2 {
			return v2Proxy(h), nil
		}
		return restProxy(h), nil
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("handlers: AWS config: %w", err)
	}
	var sm secret.SecretsAPI
	if cfg.SecretKey == "" {
		sm = secretsmanager.NewFromConfig(awsCfg)
	}
	loader := secret.Loader{Config: cfg, API: sm}
	keys, err := loader.Load(ctx)
	if err != nil {
		return nil, err
	}
	if sm != nil {
		// Keys rotated after this container started are picked up the first
		// time a token names one (at most once a minute).
		cfg.Tokens.Reload = loader.Reload
	}
	db := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.DynamoDBEndpoint)
		}
	})
	stores := Stores{
		Users:       dynamostore.NewUsers(db, cfg.UsersTable),
		Revocations: dynamostore.NewRevocations(db, cfg.RevocationTable),
		Throttle:    dynamostore.NewThrottle(db, cfg.RevocationTable, nil),
	}
	set, err := New(cfg, keys, stores, logging.New(os.Stderr, cfg.LogLevel), nil)
	if err != nil {
		return nil, err
	}
	if v2 {
		return set.V2(logicalID)
	}
	return set.REST(logicalID)
}
