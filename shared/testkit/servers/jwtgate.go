package servers

import (
	"context"
	"regexp"
	"testing"
)

// jwtgateReady is jwtgate dev's banner line, which names its address.
var jwtgateReady = regexp.MustCompile(`^jwtgate dev: (http://127\.0\.0\.1:\d+) `)

// LaunchJWTGate runs `bin dev --addr 127.0.0.1:0` and then flags (e.g.
// --dynamodb-endpoint), with Env(env) as its environment, and returns once
// its banner names the address it listens on. A configuration jwtgate
// refuses is ErrExited, carrying its message.
func LaunchJWTGate(ctx context.Context, bin string, env map[string]string, flags ...string) (*Process, error) {
	args := append([]string{"dev", "--addr", "127.0.0.1:0"}, flags...)
	p, m, err := launch(ctx, bin, args, Env(env), nil, jwtgateReady)
	if err != nil {
		return nil, err
	}
	p.URL = m[1]
	return p, nil
}

// StartJWTGate is LaunchJWTGate for a test: it fails t when jwtgate dev
// does not start and stops it when t ends.
func StartJWTGate(t testing.TB, bin string, env map[string]string, flags ...string) *Process {
	t.Helper()
	p, err := LaunchJWTGate(t.Context(), bin, env, flags...)
	return started(t, "jwtgate dev", p, err)
}
