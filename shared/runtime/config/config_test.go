package config_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
)

const goodSecret = "0123456789abcdef0123456789abcdef"

// env returns a Getenv over m.
func env(m map[string]string) config.Getenv {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		name   string
		mode   config.Mode
		vars   map[string]string
		secure bool
	}{
		{"lambda", config.Lambda, map[string]string{"JWT_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:jwt"}, true},
		{"dev", config.Dev, map[string]string{"JWT_SECRET_KEY": config.DevDemoSecret}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Load(env(tc.vars), tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Metrics {
				t.Error("metrics off by default")
			}
			if c.Cookies.Secure != tc.secure {
				t.Errorf("Secure = %v, want %v", c.Cookies.Secure, tc.secure)
			}
			if c.Cookies.SameSite != http.SameSiteLaxMode || !c.Cookies.Session || !c.Cookies.CSRFInCookies {
				t.Errorf("cookies = %+v, want SameSite Lax, session cookies, csrf cookies", c.Cookies)
			}
			if c.Cookies.AccessName != "access_token_cookie" || c.Cookies.RefreshName != "refresh_token_cookie" ||
				c.Cookies.AccessCSRFName != "csrf_access_token" || c.Cookies.RefreshCSRFName != "csrf_refresh_token" {
				t.Errorf("cookie names = %+v", c.Cookies)
			}
			if !c.CSRF.Protect || c.CSRF.AccessHeader != "X-CSRF-TOKEN" || c.CSRF.RefreshHeader != "X-CSRF-TOKEN" {
				t.Errorf("CSRF = %+v", c.CSRF)
			}
			for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
				if !c.CSRF.Methods[m] {
					t.Errorf("CSRF method %s not protected", m)
				}
			}
			if c.CSRF.Methods["GET"] || c.CSRF.Methods["OPTIONS"] {
				t.Errorf("safe methods CSRF-checked: %v", c.CSRF.Methods)
			}
			if c.Tokens.AccessTTL != 15*time.Minute || c.Tokens.RefreshTTL != 30*24*time.Hour || c.Tokens.Leeway != 0 {
				t.Errorf("ttl %v / %v leeway %v", c.Tokens.AccessTTL, c.Tokens.RefreshTTL, c.Tokens.Leeway)
			}
			if c.Tokens.Algorithm != "HS256" || len(c.Tokens.DecodeAlgorithms) != 1 || c.Tokens.DecodeAlgorithms[0] != "HS256" {
				t.Errorf("algorithms %q %v", c.Tokens.Algorithm, c.Tokens.DecodeAlgorithms)
			}
			if !c.Locations.Cookies || c.Locations.Headers {
				t.Errorf("locations = %+v, want cookies only", c.Locations)
			}
			if c.RefreshReuseGrace != 10*time.Second || c.AuthorizerCache != 0 {
				t.Errorf("grace %v cache %v", c.RefreshReuseGrace, c.AuthorizerCache)
			}
			if len(c.Rules) != 1 || c.Rules[0].Method != "GET" || c.Rules[0].Path != "/admin*" {
				t.Errorf("rules = %+v, want GET /admin*=admin", c.Rules)
			}
			if c.RevocationTable != config.DefaultRevocationTable || c.UsersTable != config.DefaultUsersTable {
				t.Errorf("tables %q %q", c.RevocationTable, c.UsersTable)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"JWT_SECRET_KEY":               goodSecret,
		"JWT_ACCESS_TOKEN_EXPIRES":     "300",
		"JWT_REFRESH_TOKEN_EXPIRES":    "168h",
		"JWT_DECODE_LEEWAY":            "5m",
		"JWT_COOKIE_SECURE":            "false",
		"JWT_COOKIE_SAMESITE":          "strict",
		"JWT_TOKEN_LOCATION":           `["cookies", "headers"]`,
		"JWT_CSRF_METHODS":             "post, delete",
		"JWT_SESSION_COOKIE":           "0",
		"JWTGATE_AUTHORIZER_CACHE_TTL": "60",
		"JWTGATE_METRICS":              "off",
	}), config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	if c.Tokens.AccessTTL != 5*time.Minute || c.Tokens.RefreshTTL != 7*24*time.Hour || c.Tokens.Leeway != 5*time.Minute {
		t.Errorf("durations %v %v %v", c.Tokens.AccessTTL, c.Tokens.RefreshTTL, c.Tokens.Leeway)
	}
	if c.Cookies.Secure || c.Cookies.SameSite != http.SameSiteStrictMode || c.Cookies.Session {
		t.Errorf("cookies %+v", c.Cookies)
	}
	if !c.Locations.Cookies || !c.Locations.Headers {
		t.Errorf("locations %+v", c.Locations)
	}
	if !c.CSRF.Methods["POST"] || !c.CSRF.Methods["DELETE"] || c.CSRF.Methods["PUT"] {
		t.Errorf("csrf methods %v", c.CSRF.Methods)
	}
	if c.AuthorizerCache != time.Minute {
		t.Errorf("cache %v", c.AuthorizerCache)
	}
	if c.Metrics {
		t.Error("JWTGATE_METRICS=off left metrics on")
	}
}

func TestBadValues(t *testing.T) {
	tests := []struct {
		name, key, val string
		want           string // the variable the error must name
	}{
		{"duration", "JWT_ACCESS_TOKEN_EXPIRES", "abc", "JWT_ACCESS_TOKEN_EXPIRES"},
		{"negative duration", "JWT_REFRESH_TOKEN_EXPIRES", "-5", "JWT_REFRESH_TOKEN_EXPIRES"},
		{"zero duration", "JWT_ACCESS_TOKEN_EXPIRES", "0", "JWT_ACCESS_TOKEN_EXPIRES"},
		{"negative reuse grace", "JWTGATE_REFRESH_REUSE_GRACE", "-1", "JWTGATE_REFRESH_REUSE_GRACE"},
		{"negative leeway", "JWT_DECODE_LEEWAY", "-1s", "JWT_DECODE_LEEWAY"},
		{"bool", "JWT_COOKIE_SECURE", "maybe", "JWT_COOKIE_SECURE"},
		{"samesite", "JWT_COOKIE_SAMESITE", "sideways", "JWT_COOKIE_SAMESITE"},
		{"location", "JWT_TOKEN_LOCATION", "query", "JWT_TOKEN_LOCATION"},
		{"algorithm", "JWT_ALGORITHM", "RS256", "JWT_ALGORITHM"},
		{"alg none", "JWT_DECODE_ALGORITHMS", "HS256,none", "JWT_ALGORITHM"},
		{"samesite None without Secure", "JWT_COOKIE_SAMESITE", "None", "JWT_COOKIE_SAMESITE"},
		{"role rules", "JWTGATE_ROLE_RULES", "garbage", "JWTGATE_ROLE_RULES"},
		{"role rules without roles", "JWTGATE_ROLE_RULES", "GET /admin*=", "JWTGATE_ROLE_RULES"},
		{"cache ttl", "JWTGATE_AUTHORIZER_CACHE_TTL", "soon", "JWTGATE_AUTHORIZER_CACHE_TTL"},
		{"metrics switch", "JWTGATE_METRICS", "sometimes", "JWTGATE_METRICS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"JWT_SECRET_KEY": goodSecret, tc.key: tc.val}
			if tc.name == "samesite None without Secure" {
				vars["JWT_COOKIE_SECURE"] = "false"
			}
			c, err := config.Load(env(vars), config.Lambda)
			if err == nil {
				t.Fatalf("Load(%s=%q) = %+v, nil error", tc.key, tc.val, c)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not name %s", err, tc.want)
			}
		})
	}
	t.Run("zero reuse grace is strict rotation", func(t *testing.T) {
		// template.yaml's RefreshReuseGrace has MinValue 0.
		c, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWTGATE_REFRESH_REUSE_GRACE": "0"}), config.Lambda)
		if err != nil || c.RefreshReuseGrace != 0 {
			t.Fatalf("Load = %v, grace %v; want 0 accepted", err, c.RefreshReuseGrace)
		}
	})
	t.Run("SameSite None with Secure is fine", func(t *testing.T) {
		if _, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWT_COOKIE_SAMESITE": "None"}), config.Lambda); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBadValuesReportedTogether(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		"JWT_ACCESS_TOKEN_EXPIRES": "abc",
		"JWT_COOKIE_SECURE":        "maybe",
		"JWT_TOKEN_LOCATION":       "query",
		"JWTGATE_ROLE_RULES":       "garbage",
	}), config.Lambda)
	if err == nil {
		t.Fatal("Load = nil error")
	}
	for _, name := range []string{"JWT_ACCESS_TOKEN_EXPIRES", "JWT_COOKIE_SECURE", "JWT_TOKEN_LOCATION", "JWTGATE_ROLE_RULES", "JWT_SECRET_ARN"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestSecrets(t *testing.T) {
	tests := []struct {
		name string
		mode config.Mode
		vars map[string]string
		want error  // nil: accepted
		msg  string // substring, when want is not a sentinel
	}{
		{"lambda without any secret", config.Lambda, map[string]string{}, nil, "JWT_SECRET_ARN"},
		{"lambda with ARN", config.Lambda, map[string]string{"JWT_SECRET_ARN": "arn:x"}, nil, ""},
		{"lambda with long key", config.Lambda, map[string]string{"JWT_SECRET_KEY": goodSecret}, nil, ""},
		{"lambda short key", config.Lambda, map[string]string{"JWT_SECRET_KEY": "short"}, config.ErrSecretTooShort, "JWT_SECRET_KEY"},
		{"lambda 31 bytes", config.Lambda, map[string]string{"JWT_SECRET_KEY": goodSecret[:31]}, config.ErrSecretTooShort, "JWT_SECRET_KEY"},
		{"lambda demo secret", config.Lambda, map[string]string{"JWT_SECRET_KEY": config.DevDemoSecret}, config.ErrDemoSecret, "JWT_SECRET_KEY"},
		{"dev demo secret", config.Dev, map[string]string{"JWT_SECRET_KEY": config.DevDemoSecret}, nil, ""},
		{"dev short key", config.Dev, map[string]string{"JWT_SECRET_KEY": "short"}, nil, ""},
		{"dev without secret", config.Dev, map[string]string{}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(env(tc.vars), tc.mode)
			if tc.want == nil && tc.msg == "" {
				if err != nil {
					t.Fatalf("Load = %v, want accepted", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Load = nil error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Load = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not name %s", err, tc.msg)
			}
			if strings.Contains(err.Error(), config.DevDemoSecret) || strings.Contains(err.Error(), "short\"") {
				t.Errorf("error echoes the secret: %v", err)
			}
		})
	}
	if err := config.CheckSecret(nil, config.Dev); !errors.Is(err, config.ErrSecretTooShort) {
		t.Errorf("CheckSecret(empty, Dev) = %v, want ErrSecretTooShort", err)
	}
}

// TestLoadAdmin: the admin CLI reads the tables and the revocation
// lifetimes with Load's names, defaults and parsing, without needing the
// functions' secret settings.
func TestLoadAdmin(t *testing.T) {
	a, err := config.LoadAdmin(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if a.RevocationTable != config.DefaultRevocationTable || a.UsersTable != config.DefaultUsersTable || a.DynamoDBEndpoint != "" ||
		a.Lifetimes.RefreshTTL != 30*24*time.Hour || a.Lifetimes.Leeway != 0 {
		t.Fatalf("defaults = %+v", a)
	}
	vars := map[string]string{"REVOCATION_TABLE": "r", "USERS_TABLE": "u", "DYNAMODB_ENDPOINT": "http://127.0.0.1:8000",
		"JWT_REFRESH_TOKEN_EXPIRES": "2h", "JWT_DECODE_LEEWAY": "30"}
	a, err = config.LoadAdmin(env(vars))
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(env(vars), config.Dev)
	if err != nil {
		t.Fatal(err)
	}
	if a.RevocationTable != c.RevocationTable || a.UsersTable != c.UsersTable || a.DynamoDBEndpoint != c.DynamoDBEndpoint ||
		a.Lifetimes.RefreshTTL != c.Tokens.RefreshTTL || a.Lifetimes.Leeway != c.Tokens.Leeway || a.Lifetimes.Leeway != 30*time.Second {
		t.Fatalf("LoadAdmin %+v disagrees with Load %+v", a, c)
	}
	_, err = config.LoadAdmin(env(map[string]string{"JWT_REFRESH_TOKEN_EXPIRES": "0", "JWT_DECODE_LEEWAY": "soon"}))
	for _, name := range []string{"JWT_REFRESH_TOKEN_EXPIRES", "JWT_DECODE_LEEWAY"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("bad %s: err %v", name, err)
		}
	}
}
