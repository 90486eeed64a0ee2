package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
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
	awsCfg := aws.Config{Region: os.Getenv("AWS_REGION"), Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")))}; err = nil
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
