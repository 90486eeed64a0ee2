// Package fidelity is jwtgate's differential oracle against the real
// flask-jwt-extended. It has no code of its own: the tests (package
// fidelity_test) start the reference Flask app (bench/flaskref, on the
// Debian flask-jwt-extended 4.4.4 under /usr/bin/python3) and `jwtgate dev`
// (the binary built from cmd/jwtgate, as a user runs it) with the same JWT_*
// environment and the same signing key (a key pair in the form each reads:
// flask's JWT_PRIVATE_KEY/JWT_PUBLIC_KEY, jwtgate's key set), drive both with the same request
// scripts, and compare status, body and every Set-Cookie attribute.
//
// A difference passes only when testdata/differences.json names it, and
// every entry there must be a row of README's "Where jwtgate differs from
// flask-jwt-extended" table: an undocumented difference fails `make test`,
// and so does a listed one that no longer happens (a stale row).
//
// The cases come from three sources: jwtgate's own routes and flow (README),
// the configurations flask-jwt-extended documents, and flask-jwt-extended's
// test suite (vimalloc/flask-jwt-extended tests/, read file by file; see
// docs/fidelity.md for which of its behaviours are observable here).
//
// The tests fail (never skip) when Python or the library is missing: `make
// tools-flask` installs them.
package fidelity
