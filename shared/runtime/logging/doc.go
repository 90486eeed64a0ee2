// Package logging builds jwtgate's structured JSON logger (log/slog), adds
// the Lambda request id to every line logged with a request context, and
// hides unverified usernames behind keyed tags (Names), since a password
// typed into the username field must not reach the logs.
package logging
