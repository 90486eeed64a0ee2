package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/logging"
	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// Errors of the environment-only AWS configuration.
var (
	// ErrNoEnvCredentials means AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
	// are not set (Lambda always sets them) and no local endpoint is used.
	ErrNoEnvCredentials = errors.New("lambdaenv: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	// ErrNoEnvRegion means AWS_REGION (or AWS_DEFAULT_REGION) is not set
	// and no local endpoint is used.
	ErrNoEnvRegion = errors.New("lambdaenv: AWS_REGION is not set")
)

// localRegion signs requests to a custom endpoint (DynamoDB Local) when no
// region is set; the emulator accepts any.
const localRegion = "us-east-1"

// AWSConfig is the AWS configuration of a Lambda function read from its
// environment alone: AWS_REGION (or AWS_DEFAULT_REGION) and the execution
// role's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,
// which the Lambda runtime sets and keeps valid for the life of the
// execution environment. It is what aws-sdk-go-v2/config resolves on
// Lambda, without linking that package. With endpoint set (DynamoDB Local)
// a missing region is us-east-1 and missing credentials are dummy ones.
//
// Settings only the full loader reads (profiles, AWS_ENDPOINT_URL_*,
// AWS_RETRY_MODE, AWS_MAX_ATTEMPTS) are ignored: the SDK defaults apply.
func AWSConfig(getenv config.Getenv, endpoint string) (aws.Config, error) {
	get := func(k string) string { v, _ := getenv(k); return v }
	region := get("AWS_REGION")
	if region == "" {
		region = get("AWS_DEFAULT_REGION")
	}
	if region == "" {
		if endpoint == "" {
			return aws.Config{}, ErrNoEnvRegion
		}
		region = localRegion
	}
	id, key := get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")
	if id == "" || key == "" {
		if endpoint == "" {
			return aws.Config{}, ErrNoEnvCredentials
		}
		id, key = "dummy", "dummy" // DynamoDB Local checks the signature's shape only
	}
	return aws.Config{
		Region:      region,
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(id, key, get("AWS_SESSION_TOKEN"))),
	}, nil
}

// Deps is what every keyed function reads at init.
type Deps struct {
	// Config is the configuration, with Tokens.Reload set when the keys
	// come from Secrets Manager.
	Config config.Config
	// Keys sign (Keys[0]) and verify tokens.
	Keys []tokens.Key
	// DB is the one DynamoDB client of the container.
	DB *dynamodb.Client
	// Log writes JSON lines to stderr at LOG_LEVEL.
	Log *slog.Logger
	// Metrics returns the EMF emitter of a function (its Function
	// dimension) writing to stdout, with the Stack dimension from
	// JWTGATE_STACK_NAME (the template sets it; "local" otherwise), or
	// nil when JWTGATE_METRICS is false.
	Metrics func(function string) *metrics.Emitter
}

// Tokens is the token service of d's configuration over d's keys, as a
// verifying function (the authorizer, the JWKS) builds it.
func (d Deps) Tokens() (*tokens.Service, error) {
	topts := d.Config.Tokens
	topts.Keys = d.Keys
	ts, err := tokens.New(topts)
	if err != nil {
		return nil, fmt.Errorf("lambdaenv: %w", err)
	}
	return ts, nil
}

// Load reads the AWS configuration from the environment the Lambda runtime
// sets (AWSConfig), the keys, and builds one DynamoDB client. It is the
// wiring of the functions that sign (login, refresh, password): their keys
// come from the Secrets Manager secret, private halves included.
func Load(ctx context.Context, cfg config.Config, getenv config.Getenv) (Deps, error) {
	return load(ctx, cfg, getenv, false)
}

// LoadVerifier is Load for the functions that only verify (the authorizer,
// logout, the JWKS): with an asymmetric JWT_ALGORITHM they read the public
// key set from JWT_PUBLIC_KEYS_TABLE with the DynamoDB client they build
// anyway, so they build no Secrets Manager client, make no Secrets Manager
// call at init, and need no grant on the private key. With HMAC the
// verifying key is the signing secret, and LoadVerifier reads it as Load.
func LoadVerifier(ctx context.Context, cfg config.Config, getenv config.Getenv) (Deps, error) {
	return load(ctx, cfg, getenv, tokens.Asymmetric(cfg.Tokens.Algorithm))
}

func load(ctx context.Context, cfg config.Config, getenv config.Getenv, publicOnly bool) (Deps, error) {
	awsCfg, err := AWSConfig(getenv, cfg.DynamoDBEndpoint)
	if err != nil {
		return Deps{}, err
	}
	db := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.DynamoDBEndpoint)
			// DynamoDB Local's error replies carry no CRC32 header, and the
			// SDK would warn about every one of them (as in awsclient).
			o.DisableValidateResponseChecksum = true
		}
	})
	loader := secret.Loader{Config: cfg}
	var keys []tokens.Key
	switch {
	case publicOnly:
		loader.Public = dynamostore.NewPublicKeys(db, cfg.PublicKeysTable)
		if keys, err = loader.LoadPublic(ctx); err != nil {
			return Deps{}, err
		}
		if cfg.SecretKey == "" {
			cfg.Tokens.Reload = loader.ReloadPublic
		}
	default:
		if cfg.SecretKey == "" {
			loader.API = secretsmanager.NewFromConfig(awsCfg, func(o *secretsmanager.Options) {
				// A local stand-in (moto_server) for the emulator's cold-start
				// runs; only beside a local DynamoDB endpoint.
				if ep, _ := getenv("AWS_ENDPOINT_URL_SECRETS_MANAGER"); ep != "" && cfg.DynamoDBEndpoint != "" {
					o.BaseEndpoint = aws.String(ep)
				}
			})
		}
		if keys, err = loader.Load(ctx); err != nil {
			return Deps{}, err
		}
		if loader.API != nil {
			cfg.Tokens.Reload = loader.Reload
		}
	}
	// With Reload set, the keys are re-read every tokens.DefaultRefreshEvery
	// (a removed key stops verifying within it) and whenever a token names a
	// kid this container has not seen (at most once a minute).
	stack, _ := getenv("JWTGATE_STACK_NAME")
	if stack == "" {
		stack = "local"
	}
	return Deps{Config: cfg, Keys: keys, DB: db, Log: logging.New(os.Stderr, cfg.LogLevel),
		Metrics: func(function string) *metrics.Emitter {
			if !cfg.Metrics {
				return nil // JWTGATE_METRICS=false: no line at all
			}
			return metrics.NewEmitter(os.Stdout, stack, function)
		}}, nil
}
