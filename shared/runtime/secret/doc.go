// Package secret loads jwtgate's signing keys: from JWT_SECRET_KEY where it
// is set (dev and tests), otherwise from AWS Secrets Manager (JWT_SECRET_ARN)
// for the functions that sign, and from the public key set (LoadPublic) for
// the verifiers of a key pair algorithm, which never read the secret. It
// decodes key sets (HMAC secrets, PEM key pairs, PEM public keys) and edits
// them for `jwtgate keys` (Rotate, Add, Promote, Retire); which key fits
// which algorithm is tokens' to check. Short and demo secrets are refused
// outside dev mode.
package secret
