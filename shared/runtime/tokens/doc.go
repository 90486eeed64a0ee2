// Package tokens issues and verifies jwtgate's JWTs: the access and refresh
// tokens of flask-jwt-extended (claims fresh, iat, jti, type, sub, nbf, csrf,
// exp) plus a session id (sid) shared by every token of one login and the
// user's roles.
//
// Verification is pinned to the configured algorithms, requires exp, applies
// the configured leeway and reads time from an injected clock. Failures are
// *ValidationError values that carry the message flask-jwt-extended would
// send, so the HTTP edges can answer with the same wire contract.
package tokens
