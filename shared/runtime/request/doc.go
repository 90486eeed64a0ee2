// Package request reads the token a request presents and checks it the way
// flask-jwt-extended does: where to look (JWT_TOKEN_LOCATION, in its order;
// the Authorization header parsed as flask 4.7 parses it), the CSRF double
// submit (header present, then equal to the token's csrf claim in constant
// time), and the order of every check (Verifier).
//
// The authorizer and the session handlers (refresh, logout, password) both
// run Verifier.Verify, so the security-critical sequence is written once.
// Every refusal is a *tokens.ValidationError carrying flask's message;
// branch on this package's sentinels (ErrNoToken, ErrBadHeader,
// ErrCSRFMissing, ErrCSRFMismatch) or the tokens package's with errors.Is.
//
// EventHeaders adapts API Gateway's header maps, so the authorizer reads an
// event's headers without building an http.Request.
package request
