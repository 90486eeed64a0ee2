// Package authorizer is jwtgate's API Gateway Lambda REQUEST authorizer: it
// verifies the access token cookie (or Authorization header), the CSRF
// double submit on unsafe methods, revocation of the token, its session and
// its user in one store call, and the route role rules, and answers with an
// IAM policy and a string-only context.
//
// Decide is the pure decision; REST and HTTP wrap it for the two event
// formats.
package authorizer
