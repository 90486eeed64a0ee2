package handlers

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/jwtgate/jwtgate/shared/authorizer"
	"github.com/jwtgate/jwtgate/shared/config"
	"github.com/jwtgate/jwtgate/shared/dynamostore"
	"github.com/jwtgate/jwtgate/shared/tokens"
)

// Errors of the environment-only AWS configuration.
var (
	// ErrNoEnvCredentials means AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
	// are not set (Lambda always sets them) and no local endpoint is used.
	ErrNoEnvCredentials = errors.New("handlers: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")
	// ErrNoEnvRegion means AWS_REGION (or AWS_DEFAULT_REGION) is not set
	// and no local endpoint is used.
	ErrNoEnvRegion = errors.New("handlers: AWS_REGION is not set")
)

// localRegion signs requests to a custom endpoint (DynamoDB Local) when no
// region is set; the emulator accepts any.
const localRegion = "us-east-1"

// AuthorizerFromEnv builds the AuthorizerFunction handler the way FromEnv
// does (same configuration, key, tables and logger), but links only what
// the authorizer runs: no session handlers, argon2id or proxy adapter (the
// linker drops them; of their packages only the PRECIS profiles' init
// remains, reached through the user store), and no aws-sdk-go-v2/config,
// whose shared-file, SSO, STS
// and IMDS credential providers are a megabyte and a half of the binary
// that Lambda never uses (it hands the role's credentials over in the
// environment). That keeps the bootstrap under 10 MB.
//
// JWTGATE_PAYLOAD=v2 selects the HTTP API handler, as in FromEnv.
func AuthorizerFromEnv(ctx context.Context, getenv config.Getenv) (any, error) {
	cfg, err := config.Load(getenv, config.Lambda)
	if err != nil {
		return nil, err
	}
	d, err := loadDeps(ctx, cfg, getenv)
	if err != nil {
		return nil, err
	}
	topts := d.cfg.Tokens
	topts.Keys = d.keys
	ts, err := tokens.New(topts)
	if err != nil {
		return nil, fmt.Errorf("handlers: %w", err)
	}
	a := &authorizer.Authorizer{
		Tokens: ts, CSRF: cfg.CSRF, Locations: cfg.Locations, AccessCookie: cfg.Cookies.AccessName,
		Rules: cfg.Rules, Revocations: dynamostore.NewRevocations(d.db, cfg.RevocationTable, dynamostore.WithCallTimeout(cfg.StoreTimeout)),
		CacheTTL: cfg.AuthorizerCache, Log: d.log,
	}
	if payload, _ := getenv("JWTGATE_PAYLOAD"); payload == "v2" {
		return a.HTTP, nil
	}
	return a.RESTSlim, nil
}

// EnvAWSConfig is the AWS configuration of a Lambda function read from its
// environment alone: AWS_REGION (or AWS_DEFAULT_REGION) and the execution
// role's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN,
// which the Lambda runtime sets and keeps valid for the life of the
// execution environment. It is what aws-sdk-go-v2/config resolves on
// Lambda, without linking that package. With endpoint set (DynamoDB Local)
// a missing region is us-east-1 and missing credentials are dummy ones.
//
// Settings only the full loader reads (profiles, AWS_ENDPOINT_URL_*,
// AWS_RETRY_MODE, AWS_MAX_ATTEMPTS) are ignored: the SDK defaults apply.
func EnvAWSConfig(getenv config.Getenv, endpoint string) (aws.Config, error) {
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
