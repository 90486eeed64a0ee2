package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

// emulatorInvoker prepares every function of the template under the
// Lambda runtime emulator (rie.Prepare: Go functions built with their
// Makefile target, Python and Node.js through their runtime loops) and
// returns a pool running them, with the template's environment plus the
// local overrides, the Getenv the in-process side must use so both read the
// same configuration (the generated key, when JWT_SECRET_KEY is unset,
// above all), and how each function runs.
func emulatorInvoker(ctx context.Context, src []byte, templateDir, endpoint string, getenv config.Getenv, log io.Writer) (*rie.Pool, config.Getenv, []devserver.FunctionInfo, func(), error) {
	if endpoint == "" {
		return nil, nil, nil, nil, fmt.Errorf("--invoke rie needs --dynamodb-endpoint: the functions run as separate processes and cannot see in-memory stores")
	}
	root, err := rie.RepoRoot(".")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if templateDir == "" {
		templateDir = root
	}
	emu, err := rie.Find(root)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	tmpl, err := samtemplate.Parse(src)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	cfg, err := config.Load(getenv, config.Dev)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	key := cfg.SecretKey
	if key == "" {
		// The functions run in Lambda mode: they need a real 32-byte key.
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, nil, nil, err
		}
		key = base64.RawURLEncoding.EncodeToString(b)
	}
	dir, err := os.MkdirTemp("", "jwtgate-rie-")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	fmt.Fprintln(log, "jwtgate dev: building the function bootstraps (make build-<LogicalId>) ...")
	prepared, err := rie.Prepare(ctx, tmpl, templateDir, dir, tmpl.FunctionIDs())
	if err != nil {
		cleanup()
		return nil, nil, nil, nil, err
	}
	var infos []devserver.FunctionInfo
	for _, id := range tmpl.FunctionIDs() {
		info := devserver.FunctionInfo{ID: id, How: prepared.Descriptions[id]}
		info.Err = prepared.Unrunnable[id]
		infos = append(infos, info)
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
	pool, err := rie.NewPool(rie.Options{Emulator: emu, Functions: prepared.Functions, Env: env, Output: log})
	if err != nil {
		cleanup()
		return nil, nil, nil, nil, err
	}
	merged := func(k string) (string, bool) {
		if k == "JWT_SECRET_KEY" {
			return key, true
		}
		return getenv(k)
	}
	return pool, merged, infos, func() { _ = pool.Close(); cleanup() }, nil
}
