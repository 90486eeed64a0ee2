package devserver_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

// templates are the two SAM templates, each read as `jwtgate dev --template F` reads it.
func templates(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{"template.yaml": jwtgate.Template}
	b, err := os.ReadFile("../../../template-httpapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out["template-httpapi.yaml"] = string(b)
	return out
}

// TestMigrationParameters: JWTGATE_LEGACY_TOKENS_UNTIL,
// JWTGATE_LEGACY_HASH_COST and JWTGATE_LEGACY_IDENTITIES stand for the
// templates' LegacyTokensUntil, LegacyHashCost and LegacyIdentities, as the other settings stand for theirs: `jwtgate dev`
// reads the template with those values and each function's environment
// holds what a stack deployed with them gives it. Each value below is
// accepted by the template (AllowedPattern, as CloudFormation checks it)
// exactly when the functions' configuration accepts it (a pattern cannot
// know each month's days: 2026-02-30 passes the template and stops the
// functions at start).
func TestMigrationParameters(t *testing.T) {
	tests := []struct {
		name, value string
		ok          bool
	}{
		{"JWTGATE_LEGACY_TOKENS_UNTIL", "2026-12-31T00:00:00Z", true},
		{"JWTGATE_LEGACY_TOKENS_UNTIL", "2026-12-31T01:30:00.250+02:00", true},
		{"JWTGATE_LEGACY_TOKENS_UNTIL", "2026-12-31", false},
		{"JWTGATE_LEGACY_TOKENS_UNTIL", "2026-12-31 00:00:00Z", false},
		{"JWTGATE_LEGACY_TOKENS_UNTIL", "2026-12-31T00:00:00", false},
		{"JWTGATE_LEGACY_TOKENS_UNTIL", "next week", false},
		{"JWTGATE_LEGACY_TOKENS_UNTIL", "2026-13-31T00:00:00Z", false},
		{"JWTGATE_LEGACY_TOKENS_UNTIL", "2026-12-31T24:00:00Z", false},
		{"JWTGATE_LEGACY_TOKENS_UNTIL", "2026-12-31t00:00:00z", false},
		{"JWTGATE_LEGACY_TOKENS_UNTIL", "2026-12-31T00:00:00+0200", false},
		{"JWTGATE_LEGACY_HASH_COST", "pbkdf2:sha256:260000", true},
		{"JWTGATE_LEGACY_HASH_COST", "pbkdf2:sha512:600000", true},
		{"JWTGATE_LEGACY_HASH_COST", "scrypt:32768:8:1", true},
		{"JWTGATE_LEGACY_HASH_COST", "bcrypt:12", true},
		{"JWTGATE_LEGACY_HASH_COST", "pbkdf2:sha256", false},
		{"JWTGATE_LEGACY_HASH_COST", "pbkdf2:md5:1000", false},
		{"JWTGATE_LEGACY_HASH_COST", "argon2id", false},
		{"JWTGATE_LEGACY_IDENTITIES", "imported", true},
		{"JWTGATE_LEGACY_IDENTITIES", "username", true},
		{"JWTGATE_LEGACY_IDENTITIES", "Imported", false},
		{"JWTGATE_LEGACY_IDENTITIES", "ids", false},
	}
	for file, src := range templates(t) {
		for _, tt := range tests {
			t.Run(file+"/"+tt.name+"="+tt.value, func(t *testing.T) {
				env := map[string]string{tt.name: tt.value}
				getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
				params, err := samtemplate.ParametersFromEnv([]byte(src), getenv)
				if err == nil {
					_, err = samtemplate.ParseWith([]byte(src), params)
				}
				_, cfgErr := config.Load(getenv, config.Dev)
				if (err == nil) != tt.ok || (cfgErr == nil) != tt.ok {
					t.Fatalf("template: %v; configuration: %v; want accepted %v by both", err, cfgErr, tt.ok)
				}
				if !tt.ok && !errors.Is(err, samtemplate.ErrParameter) {
					t.Errorf("template error %v is not samtemplate.ErrParameter", err)
				}
			})
		}
	}
}

// TestMigrationParametersInDev: `jwtgate dev` with both settings (the
// window an hour ahead) gives each function what the deployed stack would:
// the window to the verifiers of flask-minted tokens, the cost to the
// login, nothing to the others.
func TestMigrationParametersInDev(t *testing.T) {
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	env := map[string]string{"JWT_SECRET_KEY": testSecret,
		"JWTGATE_LEGACY_TOKENS_UNTIL": until, "JWTGATE_LEGACY_HASH_COST": "pbkdf2:sha256:260000", "JWTGATE_LEGACY_IDENTITIES": "imported"}
	want := map[string]map[string]string{
		"JWTGATE_LEGACY_TOKENS_UNTIL": {"AuthorizerFunction": until, "RefreshFunction": until, "LogoutFunction": until},
		"JWTGATE_LEGACY_HASH_COST":    {"LoginFunction": "pbkdf2:sha256:260000"},
		"JWTGATE_LEGACY_IDENTITIES":   {"AuthorizerFunction": "imported", "RefreshFunction": "imported", "LogoutFunction": "imported"},
	}
	for file, src := range templates(t) {
		t.Run(file, func(t *testing.T) {
			srv, err := devserver.New(context.Background(), devserver.Options{
				Template: []byte(src),
				Getenv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
				Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			api := srv.Gateway.API()
			if api.Parameters["LegacyTokensUntil"] != until || api.Parameters["LegacyHashCost"] != "pbkdf2:sha256:260000" ||
				api.Parameters["LegacyIdentities"] != "imported" {
				t.Errorf("parameters LegacyTokensUntil=%q LegacyHashCost=%q LegacyIdentities=%q, want the settings' values",
					api.Parameters["LegacyTokensUntil"], api.Parameters["LegacyHashCost"], api.Parameters["LegacyIdentities"])
			}
			for id, fn := range api.Functions {
				for name, per := range want {
					got, declared := fn.Env[name]
					if w, reads := per[id]; declared != reads || got != w {
						t.Errorf("%s: %s = %q (declared %v), want %q (declared %v)", id, name, got, declared, w, reads)
					}
				}
			}
			if !srv.Config.Tokens.LegacyUntil.Equal(mustTime(t, until)) || srv.Config.LegacyHashCost != "pbkdf2:sha256:260000" ||
				!srv.Config.Tokens.MapLegacyIdentities {
				t.Errorf("the in-process functions' configuration: window %v, cost %q, identities mapped %v",
					srv.Config.Tokens.LegacyUntil, srv.Config.LegacyHashCost, srv.Config.Tokens.MapLegacyIdentities)
			}
		})
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
