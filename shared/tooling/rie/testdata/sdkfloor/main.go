// Command sdkfloor is the second cold-start baseline: hello world plus what
// the authorizer cannot avoid, the AWS SDK's DynamoDB and Secrets Manager
// packages (their init builds the API models) and a client of each built
// from the environment. The authorizer's init over this one is jwtgate's
// own cost. Built like the functions by mk/rie.mk's build-SDKFloorFunction.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func main() {
	cfg := aws.Config{
		Region: os.Getenv("AWS_REGION"),
		Credentials: credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")),
	}
	db := dynamodb.NewFromConfig(cfg)
	sm := secretsmanager.NewFromConfig(cfg)
	lambda.Start(func(context.Context, map[string]any) (string, error) {
		if db == nil || sm == nil {
			return "", os.ErrInvalid
		}
		return "hello world", nil
	})
}
