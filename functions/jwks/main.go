// Command jwks is the JwksFunction Lambda function: GET /.well-known/jwks.json
// and /.well-known/openid-configuration. It wires the configuration and the
// public keys from the environment and hands the handler to the runtime.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
)

func main() {
	h, err := handlers.FromEnv(context.Background(), handlers.JwksFunction, os.LookupEnv)
	if err != nil {
		log.Fatalf("jwks: %v", err)
	}
	lambda.Start(h)
}
