// Package tokens issues and verifies jwtgate's JWTs: the access and refresh
// tokens of flask-jwt-extended (claims fresh, iat, jti, type, sub, nbf, csrf,
// exp) plus a session id (sid) shared by every token of one login and the
// user's roles.
//
// Tokens are signed with HS256/384/512 or with a key pair (EdDSA, ES256,
// RS256); this package alone says which algorithms exist and which key fits
// which (CheckAlgorithm, CheckKey), and config and secret call it. A key pair
// is bound to its algorithm, and a verifier can be given its public half
// only. Verification is pinned to the configured algorithms, requires exp,
// applies the configured leeway and reads time from an injected clock. Keys
// given with a Reload are re-read every RefreshEvery (a removed key stops
// verifying within it) and refused past MaxKeyAge without a good read. Failures are
// *ValidationError values that carry the message flask-jwt-extended would
// send, so the HTTP edges can answer with the same wire contract.
package tokens
