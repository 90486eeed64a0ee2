// Command logout is the LogoutFunction Lambda function: it wires the configuration and
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
	h, err := handlers.FromEnv(context.Background(), handlers.LogoutFunction, os.LookupEnv)
	if err != nil {
		log.Fatalf("logout: %v", err)
	}
	lambda.Start(h)
}
