// Package devserver assembles `jwtgate dev`: the local gateway over the
// template's routes, the functions' real handlers invoked in-process, and
// the embedded default stores seeded with the demo users.
package devserver
