// Command login is the LoginFunction Lambda function: it wires the configuration and
// dependencies from the environment and hands the handler to the runtime.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
)

func main() {
	h, err := handlers.FromEnv(context.Background(), handlers.LoginFunction, os.LookupEnv)
	if err != nil {
		log.Fatalf("login: %v", err)
	}
	lambda.Start(h)
}
