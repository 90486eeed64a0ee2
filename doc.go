// Package jwtgate is a serverless JWT-cookie session-auth system for AWS: API Gateway, a Lambda
// REQUEST authorizer and DynamoDB, following flask-jwt-extended's cookie pattern (access and
// refresh tokens in HttpOnly cookies, a double-submit CSRF token, revocation).
//
// The root package only embeds the SAM template; the logic lives under shared/, the Lambda
// entry points under functions/ and the admin CLI under cmd/.
package jwtgate
