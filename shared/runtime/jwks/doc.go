// Package jwks publishes jwtgate's public keys: GET /.well-known/jwks.json
// (RFC 7517) and a minimal GET /.well-known/openid-configuration (issuer,
// jwks_uri), so that API Gateway HTTP API's JWT authorizer, another
// service, PyJWT or a flask-jwt-extended app can verify jwtgate's tokens
// without calling jwtgate.
//
// The set served is the verifiers' own (tokens.Service.PublicKeys): every
// public key that may still verify a live token, re-read on the same
// bound as the authorizer's, so a retired key leaves the JWKS when it
// stops verifying here. HMAC secrets are never published; under HS* the
// set is empty.
//
// The JWK encoding of the three key types jwtgate signs with (OKP Ed25519,
// EC P-256, RSA; RFC 8037 and RFC 7518 section 6) is a few fields of the
// standard library's own key encodings, so it is written here rather than
// linking a JOSE library for it; PyJWT's JWK parser checks it in the tests.
package jwks
