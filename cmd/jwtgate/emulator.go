package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
)

// emulatorInvoker builds every function's bootstrap with its Makefile
// target and returns a pool of Lambda runtime emulators running them, with
// the template's environment plus the local overrides, and the Getenv the
// in-process side must use so both read the same configuration (the
// generated key, when JWT_SECRET_KEY is unset, above all).
func emulatorInvoker(ctx context.Context, endpoint string, getenv config.Getenv, log io.Writer) (*rie.Pool, config.Getenv, func(), error) {
	if endpoint == "" {
		return nil, nil, nil, fmt.Errorf("--invoke rie needs --dynamodb-endpoint: the functions run as separate processes and cannot see in-memory stores")
	}
	root, err := rie.RepoRoot(".")
	if err != nil {
		return nil, nil, nil, err
	}
	emu, err := rie.Find(root)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg, err := config.Load(getenv, config.Dev)
	if err != nil {
		return nil, nil, nil, err
	}
	key := cfg.SecretKey
	if key == "" {
		// The functions run in Lambda mode: they need a real 32-byte key.
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, nil, err
		}
		key = base64.RawURLEncoding.EncodeToString(b)
	}
	dir, err := os.MkdirTemp("", "jwtgate-rie-")
	if err != nil {
		return nil, nil, nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	fmt.Fprintln(log, "jwtgate dev: building the function bootstraps (make build-<LogicalId>) ...")
	boots, err := rie.BuildAll(ctx, root, dir, handlers.LoginFunction, handlers.RefreshFunction,
		handlers.LogoutFunction, handlers.PasswordFunction, handlers.ProtectedFunction, handlers.AuthorizerFunction, handlers.JwksFunction)
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	fns, err := rie.FromTemplate([]byte(jwtgate.Template), boots)
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	env := rie.LocalEnv(endpoint, cfg.RevocationTable, cfg.UsersTable, key)
	// The caller's own settings reach the functions as they reach the
	// in-process side.
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "JWT_") || strings.HasPrefix(k, "JWTGATE_") || k == "LOG_LEVEL" {
			if _, set := env[k]; !set {
				env[k] = v
			}
		}
	}
	pool, err := rie.NewPool(rie.Options{Emulator: emu, Functions: fns, Env: env, Output: log})
	if err != nil {
		cleanup()
		return nil, nil, nil, err
	}
	merged := func(k string) (string, bool) {
		if k == "JWT_SECRET_KEY" {
			return key, true
		}
		return getenv(k)
	}
	return pool, merged, func() { _ = pool.Close(); cleanup() }, nil
}
