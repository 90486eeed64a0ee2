// Package identity gives the functions behind the authorizer the caller's
// identity, read only from the authorizer context that API Gateway puts in
// the event (through aws-lambda-go-api-proxy's context functions), never from
// request headers, which a client controls.
package identity
