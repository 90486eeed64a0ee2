package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jwtgate/jwtgate/shared/config"
	"github.com/jwtgate/jwtgate/shared/dynamostore"
	"github.com/jwtgate/jwtgate/shared/handlers"
	"github.com/jwtgate/jwtgate/shared/logging"
	"github.com/jwtgate/jwtgate/shared/secret"
)

func main() {
	ctx := context.Background()
	getenv := os.LookupEnv
	cfg, err := config.Load(getenv, config.Lambda)
	if err != nil {
		log.Fatal(err)
	}
	awsCfg, err := handlers.EnvAWSConfig(getenv, cfg.DynamoDBEndpoint)
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
	set, err := handlers.New(cfg, keys, handlers.Stores{Users: dynamostore.NewUsers(db, cfg.UsersTable), Revocations: dynamostore.NewRevocations(db, cfg.RevocationTable)}, logging.New(os.Stderr, cfg.LogLevel), nil)
	if err != nil {
		log.Fatal(err)
	}
	h, err := set.REST(os.Args[0])
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(h)
}
