package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jwtgate/jwtgate/shared/authorizer"
	"github.com/jwtgate/jwtgate/shared/config"
	"github.com/jwtgate/jwtgate/shared/dynamostore"
	"github.com/jwtgate/jwtgate/shared/logging"
	"github.com/jwtgate/jwtgate/shared/secret"
	"github.com/jwtgate/jwtgate/shared/tokens"
)

func main() {
	ctx := context.Background()
	cfg, err := config.Load(os.LookupEnv, config.Lambda)
	if err != nil {
		log.Fatal(err)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var sm secret.SecretsAPI
	if cfg.SecretKey == "" {
		sm = secretsmanager.NewFromConfig(awsCfg)
	}
	keys, err := secret.Keys(ctx, cfg, sm)
	if err != nil {
		log.Fatal(err)
	}
	db := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.DynamoDBEndpoint != "" {
			o.BaseEndpoint = aws.String(cfg.DynamoDBEndpoint)
		}
	})
	topts := cfg.Tokens
	topts.Keys = keys
	ts, err := tokens.New(topts)
	if err != nil {
		log.Fatal(err)
	}
	a := &authorizer.Authorizer{Tokens: ts, CSRF: cfg.CSRF, Locations: cfg.Locations, AccessCookie: cfg.Cookies.AccessName,
		Rules: cfg.Rules, Revocations: dynamostore.NewRevocations(db, cfg.RevocationTable), CacheTTL: cfg.AuthorizerCache,
		Log: logging.New(os.Stderr, cfg.LogLevel)}
	lambda.Start(a.REST)
}
