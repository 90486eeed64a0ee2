//go:build race

package resilience_test

// raceEnabled is true in `go test -race` builds (make test's race pass).
const raceEnabled = true
