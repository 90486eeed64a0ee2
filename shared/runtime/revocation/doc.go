// Package revocation decides whether a verified token has been revoked, and
// holds the in-memory store that honours expiry the way DynamoDB's TTL should
// (readers ignore expired records themselves).
//
// Three kinds of record share one key space: a revoked or consumed token
// (jti), a revoked session (sid: every token of one login) and a user-wide
// cut-off (sub: every token of the user below a generation). Lifetimes
// builds all three, with the lifetime each needs.
package revocation
