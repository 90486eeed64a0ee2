// Package resilience holds jwtgate's fault-injection, load and log-hygiene
// tests. It has no code of its own: the tests (package resilience_test) run
// the dev gateway of `jwtgate dev` over Amazon's DynamoDB Local through real
// HTTP on loopback, and check that every failure of the stores fails closed
// within the configured bound, that no request is lost or answered 5xx under
// load, and that no secret reaches the logs.
//
// The tests start DynamoDB Local themselves and fail (never skip) when it
// cannot start: `make tools` installs it.
package resilience
