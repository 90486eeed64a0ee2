// Command protected is the ProtectedFunction Lambda function (the demo
// routes GET /protected and GET /admin): it wires the configuration and
// hands the handler to the runtime.
package main

import (
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/jwtgate/jwtgate/shared/runtime/demo"
)

func main() {
	h, err := demo.FromEnv(os.LookupEnv)
	if err != nil {
		log.Fatalf("protected: %v", err)
	}
	lambda.Start(h)
}
