// Package dynamostore keeps jwtgate's revocation records, failed-login
// counters and user accounts in DynamoDB, with the same methods and semantics
// as revocation.MemoryStore, throttle.MemoryStore and users.MemoryStore, and
// creates the two tables. Revocations, Throttle and Identities bound each
// call when given WithCallTimeout; RefreshReads reads a refresh's revocation records
// and its user in one BatchGetItem over both tables.
//
// # Revocation table
//
// Hash key pk (S), one item per record:
//
//	pk          S  "jti#<id>", "sid#<id>" or "sub#<name>" (revocation.Record.Key)
//	at          N  Record.At in Unix nanoseconds (absent when At is zero)
//	expires_at  N  Record.ExpiresAt in Unix seconds, rounded up; the table's TTL attribute
//
// The failed-login counters of Throttle share the table:
//
//	pk            S  "thr#user#<name>" or "thr#ip#<address>"
//	failures      N  attempts reserved in the current window and not given back
//	last_failure  N  the latest reservation in Unix nanoseconds
//	expires_at    N  as above
//
// A reservation is one conditional UpdateItem whose condition is the lock
// policy itself (see Throttle.Reserve and docs/throttling.md).
//
// DynamoDB deletes expired items late (often days), so every reader compares
// expires_at with the store's clock itself: an expired item that is still
// present revokes nothing and may be overwritten. Rounding expires_at up means
// a record lives at most a second longer than asked, never shorter. Reads are
// strongly consistent, so a revocation is seen by the next request.
//
// # Users table
//
// Hash key username (S):
//
//	username             S     users.User.Name, already normalised by the caller
//	password_hash        S     argon2id PHC string
//	roles                L     list of S, in order (may be empty)
//	disabled             BOOL
//	password_changed_at  N     Unix nanoseconds (absent when zero)
//	generation           N     users.User.Generation (absent when zero)
//	claims               M     of S: users.User.Claims (absent when none)
//	identity             S     users.User.Identity, the Flask identity's JSON text (absent when none)
//
// IdentityIndex is a sparse global secondary index on identity, projecting
// the keys only; Identities reads a username from it in one Query.
//
// # Errors
//
// A table that does not exist is ErrTableMissing (as a *MissingTableError that
// names it). Users methods return users.ErrNotFound and users.ErrExists
// like the memory store.
package dynamostore
