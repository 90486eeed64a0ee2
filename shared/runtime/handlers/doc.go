// Package handlers builds every jwtgate Lambda function's handler from one
// configuration and its stores. The functions' main packages, the local
// gateway of `jwtgate dev` and the tests all build handlers here, so they
// run exactly the code Lambda runs.
package handlers
