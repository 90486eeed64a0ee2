// Package lambdaenv builds what a Lambda function needs from the
// environment the Lambda runtime gives it: the AWS configuration (region
// and the execution role's credentials, without aws-sdk-go-v2/config's
// shared-file, SSO, STS and IMDS providers), the signing keys (Secrets
// Manager, or JWT_SECRET_KEY locally), one DynamoDB client and the logger.
// Functions that only verify use LoadVerifier: under a key pair algorithm
// it reads the public keys with that DynamoDB client, so they build no
// Secrets Manager client and need no grant on the private key.
//
// It also wires the authorizer function (Authorizer). That wiring lives
// here rather than in shared/runtime/handlers so that the authorizer's binary does
// not link, nor run the package initialisation of, the session handlers,
// argon2id and the proxy adapter: every function's init runs before its
// first request, and the authorizer's runs before every cold one.
package lambdaenv
