// Package provision lets a test install the developer tool it needs the
// way `make test` does, so a plain `go test ./...` on a fresh clone works:
// Ensure checks whether the tool is usable and, when it is not, runs the
// repository's own make target for it (tools-dynamodb, tools-rie,
// tools-chromium) from the repository root.
//
// go test runs packages in parallel processes, and several of them need
// the same tool. The make targets install into fixed directories
// (.tools/dynamodb-local, .tools/bin) and are not safe to run twice at
// once, so Ensure holds an exclusive file lock per target
// (.tools/.locks/<target>.lock, flock(2)) while it checks again and runs
// make: the first process installs, the others wait and then find the tool
// in place.
//
// A tool that still cannot be had is an error naming the make target and
// carrying make's output; callers fail their test with it, never skip.
package provision
