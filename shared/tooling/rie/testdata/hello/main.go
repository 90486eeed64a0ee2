// Command hello is the cold-start baseline: the smallest aws-lambda-go
// function (maxday/lambda-perf's hello world), built with the same flags as
// the jwtgate functions by mk/rie.mk's build-HelloFunction target.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (string, error) {
		return "hello world", nil
	})
}
