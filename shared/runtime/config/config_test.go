package config_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/cors"
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
		"JWTGATE_ROLE_RULES":           "", // role rules are refused with a cache
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
		{"legacy hash cost not a method", "JWTGATE_LEGACY_HASH_COST", "pbkdf2:sha256", "JWTGATE_LEGACY_HASH_COST"},
		{"negative leeway", "JWT_DECODE_LEEWAY", "-1s", "JWT_DECODE_LEEWAY"},
		{"bool", "JWT_COOKIE_SECURE", "maybe", "JWT_COOKIE_SECURE"},
		{"samesite", "JWT_COOKIE_SAMESITE", "sideways", "JWT_COOKIE_SAMESITE"},
		{"location", "JWT_TOKEN_LOCATION", "query", "JWT_TOKEN_LOCATION"},
		{"algorithm", "JWT_ALGORITHM", "PS256", "JWT_ALGORITHM"},
		{"alg none", "JWT_DECODE_ALGORITHMS", "HS256,none", "JWT_DECODE_ALGORITHMS"},
		{"log level", "LOG_LEVEL", "verbose", `LOG_LEVEL="verbose": supported: debug, info, warn, error`},
		{"samesite None without Secure", "JWT_COOKIE_SAMESITE", "None", "JWT_COOKIE_SAMESITE"},
		{"role rules", "JWTGATE_ROLE_RULES", "garbage", "JWTGATE_ROLE_RULES"},
		{"role rules without roles", "JWTGATE_ROLE_RULES", "GET /admin*=", "JWTGATE_ROLE_RULES"},
		{"cache ttl", "JWTGATE_AUTHORIZER_CACHE_TTL", "soon", "JWTGATE_AUTHORIZER_CACHE_TTL"},
		{"metrics switch", "JWTGATE_METRICS", "sometimes", "JWTGATE_METRICS"},
		// A cached decision serves every route: the default role rule with a
		// cache is refused (issue 12 item 8).
		{"cache ttl with role rules", "JWTGATE_AUTHORIZER_CACHE_TTL", "300", "JWTGATE_ROLE_RULES: role rules cannot be enforced with JWTGATE_AUTHORIZER_CACHE_TTL=5m0s"},
		{"role rule method ANY-like typo", "JWTGATE_ROLE_RULES", "ALL /admin*=admin", `JWTGATE_ROLE_RULES: rbac: bad rule: "ALL /admin*=admin": method "ALL"`},
		{"role denial", "JWTGATE_ROLE_DENIAL", "nobody", "JWTGATE_ROLE_DENIAL"},
		{"cors star", "JWTGATE_CORS_ORIGINS", "*", "JWTGATE_CORS_ORIGINS"},
		{"cors http remote", "JWTGATE_CORS_ORIGINS", "http://app.example.com", "JWTGATE_CORS_ORIGINS"},
		{"csrf from a form field", "JWT_CSRF_CHECK_FORM", "true", `JWT_CSRF_CHECK_FORM="true": not supported: send the CSRF value in the X-CSRF-TOKEN header`},
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
	t.Run("asymmetric algorithms", func(t *testing.T) {
		// The list is tokens.Algorithms: config keeps none of its own.
		for _, alg := range []string{"EdDSA", "ES256", "RS256", "HS512"} {
			c, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWT_ALGORITHM": alg,
				"JWT_PUBLIC_KEYS_TABLE": "pub"}), config.Lambda)
			if err != nil || c.Tokens.Algorithm != alg || c.PublicKeysTable != "pub" {
				t.Errorf("JWT_ALGORITHM=%s: %v, %+v", alg, err, c.Tokens)
			}
		}
	})
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

func TestRoleDenial(t *testing.T) {
	for val, inFunction := range map[string]bool{"": false, "gateway": false, "function": true} {
		vars := map[string]string{"JWT_SECRET_KEY": goodSecret}
		if val != "" {
			vars["JWTGATE_ROLE_DENIAL"] = val
		}
		c, err := config.Load(env(vars), config.Lambda)
		if err != nil || c.RolesInFunction != inFunction {
			t.Errorf("JWTGATE_ROLE_DENIAL=%q: RolesInFunction %v, %v; want %v", val, c.RolesInFunction, err, inFunction)
		}
	}
	c, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWTGATE_ROLE_RULES": "ANY /admin*=admin; get /r=a"}), config.Lambda)
	if err != nil || c.Rules[0].Method != "*" || c.Rules[1].Method != "GET" {
		t.Errorf("rules %+v, %v; want ANY read as every method", c.Rules, err)
	}
	if _, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWTGATE_ROLE_RULES": "",
		"JWTGATE_AUTHORIZER_CACHE_TTL": "300"}), config.Lambda); err != nil {
		t.Errorf("a cache without role rules: %v, want accepted", err)
	}
}

// TestCookiePrefixes: __Host- names (which a sibling subdomain cannot
// plant) are supported, and refused with the attributes under which a
// browser would silently drop them (issue 12 item 13).
func TestCookiePrefixes(t *testing.T) {
	const host = "__Host-access_token_cookie"
	ok := []map[string]string{
		{"JWT_ACCESS_COOKIE_NAME": host},
		{"JWT_ACCESS_COOKIE_NAME": host, "JWT_REFRESH_COOKIE_NAME": "__Host-refresh_token_cookie",
			"JWT_ACCESS_CSRF_COOKIE_NAME": "__Host-csrf_access_token", "JWT_REFRESH_CSRF_COOKIE_NAME": "__Host-csrf_refresh_token"},
		{"JWT_REFRESH_COOKIE_NAME": "__Secure-refresh", "JWT_COOKIE_DOMAIN": "example.com", "JWT_REFRESH_COOKIE_PATH": "/refresh"},
		{"JWT_ACCESS_COOKIE_NAME": "_Host-x", "JWT_COOKIE_SECURE": "false"}, // no prefix: one underscore
	}
	for _, vars := range ok {
		vars["JWT_SECRET_KEY"] = goodSecret
		c, err := config.Load(env(vars), config.Lambda)
		if err != nil {
			t.Errorf("Load(%v) = %v, want accepted", vars, err)
		} else if n := vars["JWT_ACCESS_COOKIE_NAME"]; n != "" && c.Cookies.AccessName != n {
			t.Errorf("access cookie name %q, want %q", c.Cookies.AccessName, n)
		}
	}
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"without Secure", map[string]string{"JWT_ACCESS_COOKIE_NAME": host, "JWT_COOKIE_SECURE": "false"},
			`JWT_ACCESS_COOKIE_NAME="__Host-access_token_cookie": browsers store __Host- cookies only with Secure: set JWT_COOKIE_SECURE=true`},
		{"with a Domain", map[string]string{"JWT_REFRESH_COOKIE_NAME": "__Host-r", "JWT_COOKIE_DOMAIN": "example.com"},
			`JWT_REFRESH_COOKIE_NAME="__Host-r": browsers store __Host- cookies only without a Domain: unset JWT_COOKIE_DOMAIN (now "example.com")`},
		{"with another path", map[string]string{"JWT_REFRESH_CSRF_COOKIE_NAME": "__Host-c", "JWT_REFRESH_CSRF_COOKIE_PATH": "/refresh"},
			`JWT_REFRESH_CSRF_COOKIE_PATH="/refresh": the cookie "__Host-c" is a __Host- cookie, which browsers store only with Path=/`},
		{"lower-case prefix (browsers match it without case)", map[string]string{"JWT_ACCESS_CSRF_COOKIE_NAME": "__host-c", "JWT_COOKIE_DOMAIN": "example.com"},
			`JWT_ACCESS_CSRF_COOKIE_NAME="__host-c": browsers store __Host- cookies only without a Domain`},
		{"__Secure- without Secure", map[string]string{"JWT_ACCESS_COOKIE_NAME": "__Secure-a", "JWT_COOKIE_SECURE": "false"},
			`JWT_ACCESS_COOKIE_NAME="__Secure-a": browsers store __Secure- cookies only with Secure`},
		// net/http writes no Set-Cookie for such a name: logins would
		// answer 200 and set no session.
		{"a space in the name", map[string]string{"JWT_ACCESS_COOKIE_NAME": "my access"},
			`JWT_ACCESS_COOKIE_NAME="my access": not a cookie name: letters, digits and !#$%&'*+-.^_` + "`" + `|~ only (RFC 6265)`},
		{"a separator in the name", map[string]string{"JWT_REFRESH_CSRF_COOKIE_NAME": "csrf;refresh"},
			`JWT_REFRESH_CSRF_COOKIE_NAME="csrf;refresh": not a cookie name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.vars["JWT_SECRET_KEY"] = goodSecret
			_, err := config.Load(env(tc.vars), config.Lambda)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%v) = %v, want an error containing %q", tc.vars, err, tc.want)
			}
		})
	}
	t.Run("dev mode: Secure must be asked for", func(t *testing.T) {
		_, err := config.Load(env(map[string]string{"JWT_ACCESS_COOKIE_NAME": host}), config.Dev)
		if err == nil || !strings.Contains(err.Error(), "set JWT_COOKIE_SECURE=true") {
			t.Fatalf("dev Load = %v, want Secure required", err)
		}
		if _, err := config.Load(env(map[string]string{"JWT_ACCESS_COOKIE_NAME": host, "JWT_COOKIE_SECURE": "true"}), config.Dev); err != nil {
			t.Fatal(err)
		}
	})
}

// JWT_DECODE_ALGORITHMS defaults to JWT_ALGORITHM; one bad value must not
// be reported twice.
func TestBadAlgorithmReportedOnce(t *testing.T) {
	_, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWT_ALGORITHM": "PS256"}), config.Lambda)
	if err == nil {
		t.Fatal("Load = nil error")
	}
	if n := strings.Count(err.Error(), `"PS256"`); n != 1 {
		t.Errorf("error %q names PS256 %d times, want once", err, n)
	}
}

// TestCORSOrigins: the functions read the variable the template sets from
// CorsAllowOrigin (issue 13: the loader once ignored it, so deployed
// functions sent no CORS headers), and refuse a plain-http origin off this
// machine at start (issue 12 item 14) in every mode.
func TestCORSOrigins(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    []string
		wantErr error
	}{
		{name: "unset", value: "", want: nil},
		{name: "https", value: "https://app.example.com", want: []string{"https://app.example.com"}},
		{name: "local dev server", value: "http://localhost:5173", want: []string{"http://localhost:5173"}},
		{name: "star", value: "*", wantErr: cors.ErrWildcard},
		{name: "http remote", value: "http://app.example.com", wantErr: cors.ErrInsecureOrigin},
	}
	for _, mode := range []config.Mode{config.Lambda, config.Dev} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%d/%s", mode, tc.name), func(t *testing.T) {
				c, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, cors.EnvOrigins: tc.value}), mode)
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), cors.EnvOrigins) {
						t.Fatalf("Load(%s=%q) error = %v, want %v naming the variable", cors.EnvOrigins, tc.value, err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(c.CORS.Origins, tc.want) {
					t.Errorf("CORS.Origins = %q, want %q", c.CORS.Origins, tc.want)
				}
			})
		}
	}
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

// TestQueryAndJSONLocations: flask's query_string and json locations and
// their names, with flask's defaults; the order is kept, and the query
// prefix keeps its trailing space ("Bearer ").
func TestQueryAndJSONLocations(t *testing.T) {
	c, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWT_TOKEN_LOCATION": "query_string, headers, json"}), config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	l := c.Locations
	if !l.Query || !l.Headers || !l.JSON || l.Cookies || !slices.Equal(l.Order, []string{"query_string", "headers", "json"}) ||
		l.QueryName != "jwt" || l.QueryPrefix != "" || l.JSONKey != "access_token" || l.RefreshJSONKey != "refresh_token" {
		t.Errorf("locations %+v", l)
	}
	c, err = config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWT_TOKEN_LOCATION": "json",
		"JWT_QUERY_STRING_NAME": "token", "JWT_QUERY_STRING_VALUE_PREFIX": "Bearer ", "JWT_JSON_KEY": "a", "JWT_REFRESH_JSON_KEY": "r"}), config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	if l := c.Locations; l.QueryName != "token" || l.QueryPrefix != "Bearer " || l.JSONKey != "a" || l.RefreshJSONKey != "r" {
		t.Errorf("locations %+v", l)
	}
	// Cookies and headers are looked at in the configured order too (flask).
	c, _ = config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWT_TOKEN_LOCATION": "headers,cookies"}), config.Lambda)
	if strings.Join(c.Locations.Order, ",") != "headers,cookies" {
		t.Errorf("Order %v, want [headers cookies]", c.Locations.Order)
	}
}

// TestEncodeNBF: JWT_ENCODE_NBF as flask reads it (default true).
func TestEncodeNBF(t *testing.T) {
	for val, omit := range map[string]bool{"": false, "true": false, "False": true, "0": true} {
		c, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWT_ENCODE_NBF": val}), config.Lambda)
		if err != nil || c.Tokens.OmitNBF != omit {
			t.Errorf("JWT_ENCODE_NBF=%q: OmitNBF %v, %v; want %v", val, c.Tokens.OmitNBF, err, omit)
		}
	}
}

// TestFlaskDerivedSettings: settings flask-jwt-extended derives from others
// (config.py): JWT_ALGORITHM always joins JWT_DECODE_ALGORITHMS, with the
// double submit check off there is no csrf claim and no csrf_* cookie, and
// JWT_TOKEN_LOCATION's order is the lookup order.
func TestFlaskDerivedSettings(t *testing.T) {
	c, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWT_ALGORITHM": "HS512",
		"JWT_DECODE_ALGORITHMS": "HS256", "JWT_TOKEN_LOCATION": "headers,cookies"}), config.Dev)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Tokens.DecodeAlgorithms, ","); got != "HS256,HS512" {
		t.Errorf("decode algorithms %s, want HS256,HS512", got)
	}
	if len(c.Locations.Order) != 2 || c.Locations.Order[0] != "headers" || c.Locations.Order[1] != "cookies" {
		t.Errorf("order %v, want [headers cookies]", c.Locations.Order)
	}
	if !c.Cookies.CSRFInCookies || c.Tokens.OmitCSRF {
		t.Errorf("CSRF on: csrf cookies %v, omit claim %v", c.Cookies.CSRFInCookies, c.Tokens.OmitCSRF)
	}
	off, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWT_COOKIE_CSRF_PROTECT": "false"}), config.Dev)
	if err != nil {
		t.Fatal(err)
	}
	if off.Cookies.CSRFInCookies || !off.Tokens.OmitCSRF {
		t.Errorf("CSRF off: csrf cookies %v, omit claim %v", off.Cookies.CSRFInCookies, off.Tokens.OmitCSRF)
	}
}

// TestClaimSettings: JWT_IDENTITY_CLAIM, JWT_ERROR_MESSAGE_KEY and
// JWTGATE_USER_CLAIMS, with their defaults, and the names refused at start.
func TestClaimSettings(t *testing.T) {
	tests := []struct {
		name     string
		vars     map[string]string
		identity string
		key      string
		decode   []string
		err      string // part of the error; "" accepted
	}{
		{"defaults", nil, "sub", "msg", nil, ""},
		{"set", map[string]string{"JWT_IDENTITY_CLAIM": "identity", "JWT_ERROR_MESSAGE_KEY": "error",
			"JWTGATE_USER_CLAIMS": "tenant, plan"}, "identity", "error", []string{"tenant", "plan"}, ""},
		{"sub named", map[string]string{"JWT_IDENTITY_CLAIM": "sub"}, "sub", "msg", nil, ""},
		{"identity claim reserved", map[string]string{"JWT_IDENTITY_CLAIM": "jti"}, "", "", nil, `JWT_IDENTITY_CLAIM="jti"`},
		{"user claim reserved", map[string]string{"JWTGATE_USER_CLAIMS": "tenant,roles"}, "", "", nil, `JWTGATE_USER_CLAIMS: tokens: invalid user claim: name "roles"`},
		{"user claim is the identity claim", map[string]string{"JWT_IDENTITY_CLAIM": "identity", "JWTGATE_USER_CLAIMS": "identity"},
			"", "", nil, `JWTGATE_USER_CLAIMS: tokens: invalid user claim: name "identity"`},
		{"user claim malformed", map[string]string{"JWTGATE_USER_CLAIMS": "a b"}, "", "", nil, "want a letter"},
		// encoding/json folds case: a "Roles" identity claim would be read as the role list.
		{"identity claim reserved in another case", map[string]string{"JWT_IDENTITY_CLAIM": "Roles"}, "", "", nil, `JWT_IDENTITY_CLAIM="Roles"`},
		{"user claim reserved in another case", map[string]string{"JWTGATE_USER_CLAIMS": "tenant,Sid"}, "", "", nil, `JWTGATE_USER_CLAIMS: tokens: invalid user claim: name "Sid"`},
		{"user claim is the identity claim in another case", map[string]string{"JWT_IDENTITY_CLAIM": "identity", "JWTGATE_USER_CLAIMS": "IDENTITY"},
			"", "", nil, `name "IDENTITY"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"JWT_SECRET_KEY": goodSecret}
			for k, v := range tt.vars {
				vars[k] = v
			}
			c, err := config.Load(env(vars), config.Lambda)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want it to say %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Tokens.IdentityClaim != tt.identity || c.ErrorMessageKey != tt.key || !slices.Equal(c.Tokens.DecodeClaims, tt.decode) {
				t.Errorf("identity %q, key %q, decode %v; want %q, %q, %v", c.Tokens.IdentityClaim, c.ErrorMessageKey,
					c.Tokens.DecodeClaims, tt.identity, tt.key, tt.decode)
			}
		})
	}
}

// TestKeyPairVariables: flask-jwt-extended's JWT_PRIVATE_KEY and
// JWT_PUBLIC_KEY stop the functions and `jwtgate dev` at start in every
// mode, pointing to the key set and `keys import`, instead of being
// ignored while another key signs; the value (a private key) is never
// repeated.
func TestKeyPairVariables(t *testing.T) {
	const pemBody = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC"
	key := "-----BEGIN PRIVATE KEY-----\n" + pemBody + "\n-----END PRIVATE KEY-----\n"
	for _, tc := range []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"private key", map[string]string{"JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY": key},
			[]string{"JWT_PRIVATE_KEY: not read (jwtgate takes key pairs from its key set, docs/keys.md)",
				"`jwtgate keys import --algorithm ES256 --file keys.json < private.pem`", "JWT_SECRET_KEY"}},
		{"public key", map[string]string{"JWT_ALGORITHM": "EdDSA", "JWT_PUBLIC_KEY": key},
			[]string{"JWT_PUBLIC_KEY: not read", `verify-only entry {"kid","alg":"EdDSA","public_key"}`}},
		{"both, HMAC algorithm", map[string]string{"JWT_PRIVATE_KEY": key, "JWT_PUBLIC_KEY": key},
			[]string{"JWT_PRIVATE_KEY: not read", "--algorithm RS256", "JWT_PUBLIC_KEY: not read"}},
	} {
		for _, mode := range []config.Mode{config.Lambda, config.Dev} {
			t.Run(fmt.Sprintf("%s/mode %d", tc.name, mode), func(t *testing.T) {
				tc.vars["JWT_SECRET_KEY"] = goodSecret
				_, err := config.Load(env(tc.vars), mode)
				if err == nil {
					t.Fatal("Load = nil error, want the key pair variables refused")
				}
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				if strings.Contains(err.Error(), pemBody) {
					t.Errorf("error %q repeats the key", err)
				}
			})
		}
	}
	// Empty is unset, as for every variable.
	if _, err := config.Load(env(map[string]string{"JWT_SECRET_KEY": goodSecret, "JWT_PRIVATE_KEY": " ", "JWT_PUBLIC_KEY": ""}), config.Lambda); err != nil {
		t.Errorf("Load with empty key pair variables: %v", err)
	}
}
