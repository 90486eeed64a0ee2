// Package awsclient builds AWS SDK clients from the standard AWS
// configuration (environment, shared files, SSO, roles) for the admin CLI
// and the dev gateway. The Lambda functions do not use it: they read the
// configuration the runtime puts in their environment
// (lambdaenv.AWSConfig), which keeps the credential providers this
// package links out of their binaries and their cold starts.
package awsclient
