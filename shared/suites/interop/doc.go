// Package interop holds the tests that prove jwtgate's tokens by verifiers
// jwtgate does not control, and jwtgate's key rotation by the runbook in
// docs/keys.md. It has no code of its own: the tests (package interop_test)
// run the dev gateway of `jwtgate dev` over real HTTP on loopback and
//
//   - PyJWT (Debian python3-jwt with python3-cryptography) verifies the
//     tokens from the published JWKS, as any third party would;
//   - a flask-jwt-extended app configured with JWT_PUBLIC_KEY and
//     JWT_DECODE_ALGORITHMS accepts jwtgate's cookies on its protected
//     route, and tokens it signs with JWT_PRIVATE_KEY verify here (the
//     migration window);
//   - the rotation runbook (add, publish, promote, retire) is played against
//     moto_server's Secrets Manager and DynamoDB Local, and logs nobody out.
//
// They run /usr/bin/python3 (Debian's, which has the JWT libraries) and
// fail, never skip, when it or a library is missing.
package interop
