// Package secret loads jwtgate's signing keys: from JWT_SECRET_KEY where it
// is set (dev and tests), otherwise from AWS Secrets Manager (JWT_SECRET_ARN),
// once per Lambda container. Short and demo secrets are refused outside dev
// mode.
package secret
