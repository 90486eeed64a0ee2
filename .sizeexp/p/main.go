package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/jwtgate/jwtgate/shared/demo"
)

func main() { lambda.Start(httpadapter.New(demo.Handler()).ProxyWithContext) }
