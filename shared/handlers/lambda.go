package handlers

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jwtgate/jwtgate/shared/config"
	"github.com/jwtgate/jwtgate/shared/demo"
	"github.com/jwtgate/jwtgate/shared/dynamostore"
	"github.com/jwtgate/jwtgate/shared/logging"
	"github.com/jwtgate/jwtgate/shared/secret"
	"github.com/jwtgate/jwtgate/shared/tokens"
)

// FromEnv builds the handler of function logicalID as its Lambda container
// runs it: configuration from the environment, the signing keys from
// Secrets Manager and the DynamoDB stores, each created once per container.
// JWTGATE_PAYLOAD=v2 selects HTTP API payload 2.0. The authorizer and the
// demo function have their own, lighter wiring (AuthorizerFromEnv,
// demo.FromEnv); this one still answers for them, for tools that build
// every function the same way.
func FromEnv(ctx context.Context, logicalID string, getenv config.Getenv) (any, error) {
	cfg, err := config.Load(getenv, config.Lambda)
	if err != nil {
		return nil, err
	}
	payload, _ := getenv("JWTGATE_PAYLOAD")
	v2 := payload == "v2"
	if logicalID == ProtectedFunction {
		// The demo routes only read the authorizer context: no key, no tables.
		return demo.FromEnv(getenv)
	}
	d, err := loadDeps(ctx, cfg, getenv)
	if err != nil {
		return nil, err
	}
	stores := DynamoStores(d.db, cfg, nil)
	set, err := New(d.cfg, d.keys, stores, d.log, nil)
	if err != nil {
		return nil, err
	}
	if v2 {
		return set.V2(logicalID)
	}
	return set.REST(logicalID)
}

// deps is what every keyed function reads at init.
type deps struct {
	cfg  config.Config // with Tokens.Reload set when keys come from Secrets Manager
	keys []tokens.Key
	db   *dynamodb.Client
	log  *slog.Logger
}

// loadDeps reads the AWS configuration from the environment the Lambda
// runtime sets (EnvAWSConfig: no shared-file, SSO or IMDS providers linked
// or consulted), the keys, and builds one DynamoDB client.
func loadDeps(ctx context.Context, cfg config.Config, getenv config.Getenv) (deps, error) {
	awsCfg, err := EnvAWSConfig(getenv, cfg.DynamoDBEndpoint)
	if err != nil {
		return deps{}, err
	}
	var sm secret.SecretsAPI
	if cfg.SecretKey == "" {
		sm = secretsmanager.NewFromConfig(awsCfg)
	}
	loader := secret.Loader{Config: cfg, API: sm}
	keys, err := loader.Load(ctx)
	if err != nil {
		return deps{}, err
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
	return deps{cfg: cfg, keys: keys, db: db, log: logging.New(os.Stderr, cfg.LogLevel)}, nil
}

// DynamoStores are the session functions' stores over DynamoDB: cfg's
// tables on api, each call to the revocation table (revocations, refresh
// reads, failed-login counters) bounded by cfg.StoreTimeout
// (JWTGATE_STORE_TIMEOUT), refresh's reads batched into one call. clock
// decides which records are live (nil: time.Now). Lambda, jwtgate dev and
// the tests build their stores here; AuthorizerFromEnv, which needs only the
// revocation store, applies the same bound itself.
func DynamoStores(api dynamostore.ItemAPI, cfg config.Config, clock func() time.Time) Stores {
	opts := []dynamostore.Option{dynamostore.WithCallTimeout(cfg.StoreTimeout), dynamostore.WithClock(clock)}
	us := dynamostore.NewUsers(api, cfg.UsersTable)
	revs := dynamostore.NewRevocations(api, cfg.RevocationTable, opts...)
	return Stores{
		Users: us, Revocations: revs,
		RefreshReads: dynamostore.NewRefreshReads(revs, us),
		Throttle:     dynamostore.NewThrottle(api, cfg.RevocationTable, opts...),
	}
}
