// Package session holds the net/http handlers of jwtgate's session
// endpoints: login, refresh (with rotation and reuse detection), logout
// (revoking the whole session) and password change. The same handlers run
// inside the Lambda functions (through aws-lambda-go-api-proxy) and in the
// local gateway of `jwtgate dev`.
package session
