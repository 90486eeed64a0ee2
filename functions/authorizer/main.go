// Command authorizer is the AuthorizerFunction Lambda function: it wires the configuration and
// dependencies from the environment and hands the handler to the runtime.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/jwtgate/jwtgate/shared/runtime/lambdaenv"
)

func main() {
	h, err := lambdaenv.Authorizer(context.Background(), os.LookupEnv)
	if err != nil {
		log.Fatalf("authorizer: %v", err)
	}
	lambda.Start(h)
}
