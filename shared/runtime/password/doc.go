// Package password hashes and verifies passwords with argon2id
// (golang.org/x/crypto/argon2), stored in the PHC string form
// $argon2id$v=19$m=...,t=...,p=...$salt$hash so parameters can change
// without invalidating old hashes.
//
// The default parameters are OWASP's argon2id minimum (m=19 MiB, t=2, p=1):
// one hash needs 19 MiB, so a 128 MB Lambda keeps ample headroom even with a
// few concurrent verifications in the local gateway, and a verification costs
// tens of milliseconds, which bounds online guessing without making login
// slow.
package password
