package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // substring; "" checks nothing
		wantStderr string // substring; "" checks nothing
		check      func(t *testing.T, stdout string)
		env        map[string]string
	}{
		{name: "no args", args: nil, wantCode: 2, wantStderr: "usage: jwtgate <command>"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2,
			wantStderr: `jwtgate: unknown command "frobnicate"`},
		{name: "help", args: []string{"help"}, wantCode: 0, wantStdout: "usage: jwtgate <command>"},
		{name: "-h", args: []string{"-h"}, wantCode: 0, wantStdout: "usage: jwtgate <command>"},
		{name: "--help", args: []string{"--help"}, wantCode: 0, wantStdout: "usage: jwtgate <command>"},
		{name: "keys generate", args: []string{"keys", "generate"}, wantCode: 0, check: checkKeySet},
		{name: "dev bad address", args: []string{"dev", "--addr", "not-an-address"}, wantCode: 1,
			wantStderr: "jwtgate dev: listen tcp: address not-an-address: missing port in address"},
		{name: "dev bad invoke", args: []string{"dev", "--invoke", "nope"}, wantCode: 2,
			wantStderr: `jwtgate dev: --invoke "nope": want inprocess or rie`},
		{name: "dev unknown flag", args: []string{"dev", "--bogus"}, wantCode: 2,
			wantStderr: "flag provided but not defined: -bogus"},
		{name: "dev extra argument", args: []string{"dev", "extra-arg"}, wantCode: 2,
			wantStderr: `jwtgate dev: unexpected argument "extra-arg"`},
		{name: "version", args: []string{"--version"}, wantCode: 0, wantStdout: "jwtgate "},
		{name: "dev bad LOG_LEVEL", args: []string{"dev"}, env: map[string]string{"LOG_LEVEL": "verbose"}, wantCode: 1,
			wantStderr: `LOG_LEVEL="verbose": supported: debug, info, warn, error`},
		{name: "dev bad JWT_ALGORITHM once", args: []string{"dev"}, env: map[string]string{"JWT_ALGORITHM": "HS257"}, wantCode: 1,
			wantStderr: `JWT_ALGORITHM="HS257": supported`},
		{name: "dev -h", args: []string{"dev", "-h"}, wantCode: 0, wantStderr: "-addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q does not contain %q", &stdout, tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", &stderr, tt.wantStderr)
			}
			if tt.check != nil {
				tt.check(t, stdout.String())
			}
			// An error is said once (the flag package prints its own).
			if line, _, _ := strings.Cut(tt.wantStderr, "\n"); line != "" && strings.Count(stderr.String(), line) > 1 {
				t.Errorf("stderr says %q %d times, want once:\n%s", line, strings.Count(stderr.String(), line), &stderr)
			}
		})
	}
}

// TestKeysGenerateIsRandom guards against a fixed or zero key: two runs
// must give different secrets. (The kid names the second the key was made,
// so two runs in one second share it; secret.Rotate refuses such a pair.)
func TestKeysGenerateIsRandom(t *testing.T) {
	var sets [2]secret.KeySet
	for i := range sets {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"keys", "generate"}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit code %d: %s", code, &stderr)
		}
		if err := json.Unmarshal(stdout.Bytes(), &sets[i]); err != nil || len(sets[i].Keys) != 1 {
			t.Fatalf("key set %q: %v", &stdout, err)
		}
	}
	a, b := sets[0].Keys[0], sets[1].Keys[0]
	if a.Secret == b.Secret {
		t.Errorf("two generated keys share a secret: %+v %+v", a, b)
	}
}

// checkKeySet asserts stdout is one JSON key set that the functions accept
// in production mode.
func checkKeySet(t *testing.T, stdout string) {
	t.Helper()
	var set secret.KeySet
	if err := json.Unmarshal([]byte(stdout), &set); err != nil {
		t.Fatalf("stdout is not a JSON key set: %v\n%s", err, stdout)
	}
	if len(set.Keys) != 1 || set.Keys[0].KID == "" || set.Keys[0].Secret == "" {
		t.Fatalf("key set = %+v, want one key with kid and secret", set)
	}
	keys, err := secret.Parse(stdout, config.Lambda)
	if err != nil {
		t.Fatalf("secret.Parse(Lambda) rejects the generated key set: %v", err)
	}
	if len(keys) != 1 || keys[0].ID != set.Keys[0].KID {
		t.Errorf("parsed keys = %+v, want kid %q", keys, set.Keys[0].KID)
	}
}
