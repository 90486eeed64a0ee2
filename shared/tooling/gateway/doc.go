// Package gateway is the local stand-in for API Gateway that `jwtgate dev`
// serves: it reads the routes, the authorizer and the gateway responses from
// template.yaml, builds the REST proxy and REQUEST authorizer events API
// Gateway would build, evaluates the authorizer's IAM policy against the
// methodArn, applies the gateway responses, and invokes the functions
// through an Invoker (in-process, or the Lambda runtime emulator).
package gateway
