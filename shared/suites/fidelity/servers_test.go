package fidelity_test

import (
	"context"
	"maps"
	"path/filepath"

	"github.com/jwtgate/jwtgate/shared/testkit/servers"
)

// secretKey is the HMAC key both servers sign and verify with, so a token
// the harness crafts means the same to both. A test-only value.
const secretKey = "fidelity-oracle-test-only-key-0123456789"

// withKey is a configuration's environment with secretKey unless it names
// its own JWT_SECRET_KEY.
func withKey(env map[string]string) map[string]string {
	out := map[string]string{"JWT_SECRET_KEY": secretKey}
	maps.Copy(out, env)
	return out
}

// startJWTGate runs `jwtgate dev` on a free loopback port with env.
func startJWTGate(bin string, env map[string]string) (*servers.Process, error) {
	return servers.LaunchJWTGate(context.Background(), bin, withKey(env))
}

// startFlask runs the reference app with env on a socket it inherits.
func startFlask(root string, env map[string]string) (*servers.Process, error) {
	env = withKey(env)
	// Password hashing is not under test: a cheap pbkdf2 starts the app in
	// a fraction of the default's time.
	env["FLASKREF_PASSWORD_METHOD"] = "pbkdf2:sha256:1000"
	return servers.LaunchPython(context.Background(), filepath.Join(root, servers.ReferenceApp), env)
}
