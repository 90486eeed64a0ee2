package config

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/cookies"
	"github.com/jwtgate/jwtgate/shared/runtime/cors"
	"github.com/jwtgate/jwtgate/shared/runtime/rbac"
	"github.com/jwtgate/jwtgate/shared/runtime/reply"
	"github.com/jwtgate/jwtgate/shared/runtime/request"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// Defaults of the jwtgate-specific settings.
const (
	// RoleDenialGateway and RoleDenialFunction are the values of
	// JWTGATE_ROLE_DENIAL: who refuses a request that fails a role rule.
	RoleDenialGateway  = "gateway"
	RoleDenialFunction = "function"

	// LegacyIdentitiesUsername and LegacyIdentitiesImported are the values
	// of JWTGATE_LEGACY_IDENTITIES: a legacy token's identity is the
	// username (the default), or is mapped to the username imported with
	// it (users.User.Identity).
	LegacyIdentitiesUsername = "username"
	LegacyIdentitiesImported = "imported"

	DefaultRefreshReuseGrace = 10 * time.Second
	DefaultRoleRules         = "GET /admin*=admin"
	DefaultStoreTimeout      = time.Second
	// Cognito locks a user out after 5 failures, doubling from 1 s to about
	// 15 min; an IP gets more room since many users may share one.
	DefaultLoginFailuresUser = 5
	DefaultLoginFailuresIP   = 20
	DefaultLoginLockoutMax   = 15 * time.Minute
	DefaultRevocationTable   = "jwtgate-revocations"
	DefaultUsersTable        = "jwtgate-users"
	// MinSecretBytes is the shortest HMAC secret accepted outside dev mode:
	// HS256's key should be at least as long as its 256-bit output.
	MinSecretBytes = 32
	// DevDemoSecret is the documented demo secret. It is refused everywhere
	// but dev mode, so a copy-pasted example can never sign production tokens.
	DevDemoSecret = "jwtgate-dev-only-demo-secret-do-not-deploy"
)

// Mode says where the configuration runs.
type Mode int

// Modes: Lambda (production rules) and Dev (the local gateway).
const (
	Lambda Mode = iota
	Dev
)

// Config is the whole validated configuration.
type Config struct {
	Mode      Mode
	Tokens    tokens.Options // Keys is filled by the secret loader
	Cookies   cookies.Options
	CSRF      request.CSRF
	Locations request.Locations
	Rules     rbac.Rules
	// RolesInFunction is JWTGATE_ROLE_DENIAL=function: a request failing a
	// role rule reaches the function with a forbidden context value (403
	// from identity.Require) instead of being denied at the gateway.
	RolesInFunction bool
	// ErrorMessageKey is the key of every JSON error body
	// (JWT_ERROR_MESSAGE_KEY, flask's; "msg" by default).
	ErrorMessageKey string
	// CORS lists the exact origins of front ends on other origins
	// (JWTGATE_CORS_ORIGINS); empty means same-origin only.
	CORS              cors.Options
	RefreshReuseGrace time.Duration
	AuthorizerCache   time.Duration
	// LoginFailuresUser and LoginFailuresIP are how many failed logins a
	// username or a source IP may have before lockouts start (0: no limit);
	// LoginLockoutMax caps the doubling lockout.
	LoginFailuresUser, LoginFailuresIP int
	LoginLockoutMax                    time.Duration
	// StoreTimeout bounds each call to the revocation table (retries
	// included; dynamostore.WithCallTimeout), and three of it a session
	// request's store calls together: past it requests fail closed.
	StoreTimeout time.Duration
	// LegacyHashCost is the cost of the imported password hashes that
	// remain (JWTGATE_LEGACY_HASH_COST, e.g. "pbkdf2:sha256:260000"): login
	// spends that work on every attempt so that imported users cannot be
	// told apart (password.Checker); empty when none remain.
	LegacyHashCost   string
	SecretKey        string // JWT_SECRET_KEY; empty when the secret is in Secrets Manager
	SecretARN        string // JWT_SECRET_ARN
	RevocationTable  string
	UsersTable       string
	DynamoDBEndpoint string
	LogLevel         string
	// Metrics writes one CloudWatch EMF line per deciding invocation
	// (JWTGATE_METRICS, true by default; docs/metrics.md has its cost).
	Metrics bool

	// PublicKeysTable (JWT_PUBLIC_KEYS_TABLE) holds the public keys that
	// verifiers read instead of the secret when the algorithm is asymmetric.
	PublicKeysTable string
}

// Getenv is os.LookupEnv's shape, injected for tests.
type Getenv func(string) (string, bool)

// Load reads and validates the configuration. Every problem is reported,
// each naming its variable.
func Load(env Getenv, mode Mode) (Config, error) {
	r := reader{env: env}
	c := Config{Mode: mode}

	lifetimes := r.lifetimes()
	c.Tokens = tokens.Options{
		Algorithm:      r.str("JWT_ALGORITHM", tokens.DefaultAlgorithm),
		AccessTTL:      r.duration("JWT_ACCESS_TOKEN_EXPIRES", tokens.DefaultAccessTTL),
		RefreshTTL:     lifetimes.RefreshTTL,
		Leeway:         lifetimes.Leeway,
		OmitNBF:        !r.boolean("JWT_ENCODE_NBF", true),
		Issuer:         r.str("JWT_ENCODE_ISSUER", ""),
		Audience:       r.list("JWT_ENCODE_AUDIENCE", nil),
		DecodeIssuer:   r.str("JWT_DECODE_ISSUER", ""),
		DecodeAudience: r.list("JWT_DECODE_AUDIENCE", nil),
		IdentityClaim:  r.str("JWT_IDENTITY_CLAIM", tokens.DefaultIdentityClaim),
		DecodeClaims:   r.list("JWTGATE_USER_CLAIMS", nil),
	}
	if id := c.Tokens.IdentityClaim; id != tokens.DefaultIdentityClaim && tokens.CheckClaimName(id, "") != nil {
		r.fail("JWT_IDENTITY_CLAIM", id, "a claim jwtgate writes itself, or not a claim name: want e.g. \"identity\"")
	}
	for _, n := range c.Tokens.DecodeClaims {
		if err := tokens.CheckClaimName(n, c.Tokens.IdentityClaim); err != nil {
			r.errs = append(r.errs, fmt.Errorf("JWTGATE_USER_CLAIMS: %w", err))
		}
	}
	c.ErrorMessageKey = r.str("JWT_ERROR_MESSAGE_KEY", reply.DefaultKey)
	c.Tokens.DecodeAlgorithms = r.list("JWT_DECODE_ALGORITHMS", []string{c.Tokens.Algorithm})
	// JWT_DECODE_ALGORITHMS defaults to JWT_ALGORITHM: a bad value is
	// reported once, under the variable that holds it. Which algorithms
	// exist is tokens' to say (tokens.CheckAlgorithm).
	badAlg := map[string]bool{}
	for i, a := range append([]string{c.Tokens.Algorithm}, c.Tokens.DecodeAlgorithms...) {
		if tokens.CheckAlgorithm(a) != nil && !badAlg[a] {
			badAlg[a] = true
			name := "JWT_ALGORITHM"
			if i > 0 {
				name = "JWT_DECODE_ALGORITHMS"
			}
			r.fail(name, a, "supported: "+strings.Join(tokens.Algorithms, ", "))
		}
	}
	// flask's decode_algorithms: JWT_ALGORITHM is always accepted, so the
	// tokens this configuration signs verify under it.
	if !slices.Contains(c.Tokens.DecodeAlgorithms, c.Tokens.Algorithm) {
		c.Tokens.DecodeAlgorithms = append(c.Tokens.DecodeAlgorithms, c.Tokens.Algorithm)
	}

	loc := r.list("JWT_TOKEN_LOCATION", []string{"cookies"})
	c.Locations = request.Locations{
		HeaderName: r.str("JWT_HEADER_NAME", "Authorization"),
		HeaderType: r.strEmptyOK("JWT_HEADER_TYPE", "Bearer"),
	}
	for _, l := range loc {
		switch l {
		case "cookies":
			c.Locations.Cookies = true
		case "headers":
			c.Locations.Headers = true
		case request.LocQuery:
			c.Locations.Query = true
		case request.LocJSON:
			c.Locations.JSON = true
		default:
			r.fail("JWT_TOKEN_LOCATION", l, `supported: "cookies", "headers", "query_string", "json"`)
		}
	}
	// The order is flask's lookup order (and its combined message's):
	// headers,cookies looks at the header first.
	c.Locations.Order = loc
	c.Locations.QueryName = r.str("JWT_QUERY_STRING_NAME", "jwt")
	// Not trimmed: flask's documented prefix is "Bearer " with its space.
	c.Locations.QueryPrefix, _ = r.env("JWT_QUERY_STRING_VALUE_PREFIX")
	c.Locations.JSONKey = r.str("JWT_JSON_KEY", "access_token")
	c.Locations.RefreshJSONKey = r.str("JWT_REFRESH_JSON_KEY", "refresh_token")

	secureDefault := mode != Dev
	c.Cookies = cookies.Options{
		AccessName:      r.str("JWT_ACCESS_COOKIE_NAME", cookies.DefaultAccessName),
		RefreshName:     r.str("JWT_REFRESH_COOKIE_NAME", cookies.DefaultRefreshName),
		AccessCSRFName:  r.str("JWT_ACCESS_CSRF_COOKIE_NAME", cookies.DefaultAccessCSRFName),
		RefreshCSRFName: r.str("JWT_REFRESH_CSRF_COOKIE_NAME", cookies.DefaultRefreshCSRFName),
		AccessPath:      r.str("JWT_ACCESS_COOKIE_PATH", cookies.DefaultPath),
		RefreshPath:     r.str("JWT_REFRESH_COOKIE_PATH", cookies.DefaultPath),
		AccessCSRFPath:  r.str("JWT_ACCESS_CSRF_COOKIE_PATH", cookies.DefaultPath),
		RefreshCSRFPath: r.str("JWT_REFRESH_CSRF_COOKIE_PATH", cookies.DefaultPath),
		Domain:          r.str("JWT_COOKIE_DOMAIN", ""),
		Secure:          r.boolean("JWT_COOKIE_SECURE", secureDefault),
		SameSite:        r.sameSite("JWT_COOKIE_SAMESITE", http.SameSiteLaxMode),
		Session:         r.boolean("JWT_SESSION_COOKIE", true),
		CSRFInCookies:   r.boolean("JWT_CSRF_IN_COOKIES", true),
	}
	if c.Cookies.SameSite == http.SameSiteNoneMode && !c.Cookies.Secure {
		r.fail("JWT_COOKIE_SAMESITE", "None", "browsers drop SameSite=None cookies without Secure: set JWT_COOKIE_SECURE=true")
	}
	r.cookiePrefixes(c.Cookies)

	c.CSRF = request.CSRF{
		Protect:       r.boolean("JWT_COOKIE_CSRF_PROTECT", true),
		Methods:       map[string]bool{},
		AccessHeader:  r.str("JWT_ACCESS_CSRF_HEADER_NAME", "X-CSRF-TOKEN"),
		RefreshHeader: r.str("JWT_REFRESH_CSRF_HEADER_NAME", "X-CSRF-TOKEN"),
	}
	for _, m := range r.list("JWT_CSRF_METHODS", []string{"POST", "PUT", "PATCH", "DELETE"}) {
		c.CSRF.Methods[strings.ToUpper(m)] = true
	}
	// flask's JWT_CSRF_CHECK_FORM (the value from a form field when the
	// header is absent) is refused, not ignored: an authorizer is never given
	// the body, so no guarded route could honour it, and a front end built
	// for it would meet "Missing CSRF token" on every request.
	if r.boolean("JWT_CSRF_CHECK_FORM", false) {
		r.fail("JWT_CSRF_CHECK_FORM", "true", "not supported: send the CSRF value in the "+c.CSRF.AccessHeader+" header")
	}
	// flask writes the csrf_* cookies and the csrf claim only with the
	// double submit check on (4.7: JWT_COOKIE_CSRF_PROTECT; 4.4 also wanted
	// cookies among the locations).
	c.Cookies.CSRFInCookies = c.Cookies.CSRFInCookies && c.CSRF.Protect
	c.Tokens.OmitCSRF = !c.CSRF.Protect

	rules, err := rbac.Parse(r.strEmptyOK("JWTGATE_ROLE_RULES", DefaultRoleRules))
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("JWTGATE_ROLE_RULES: %w", err))
	}
	c.Rules = rules
	switch v := r.str("JWTGATE_ROLE_DENIAL", RoleDenialGateway); v {
	case RoleDenialGateway:
	case RoleDenialFunction:
		c.RolesInFunction = true
	default:
		r.fail("JWTGATE_ROLE_DENIAL", v, `want "gateway" (refused by API Gateway) or "function" (403 from identity.Require)`)
	}
	// 0 is a valid grace (strict rotation; the template allows it).
	c.RefreshReuseGrace = DefaultRefreshReuseGrace
	if _, set := r.lookup("JWTGATE_REFRESH_REUSE_GRACE"); set {
		c.RefreshReuseGrace = r.durationZero("JWTGATE_REFRESH_REUSE_GRACE")
	}
	corsOpts, err := cors.FromEnv(r.env)
	if err != nil {
		r.errs = append(r.errs, err)
	}
	c.CORS = corsOpts
	c.AuthorizerCache = r.durationZero("JWTGATE_AUTHORIZER_CACHE_TTL")
	if c.AuthorizerCache > 0 && len(c.Rules) > 0 {
		// A cached decision serves every route sharing the Cookie header,
		// so a per-route role decision cannot be cached safely (the
		// template's Rules refuse the pair at deploy time too).
		r.errs = append(r.errs, fmt.Errorf("JWTGATE_ROLE_RULES: role rules cannot be enforced with JWTGATE_AUTHORIZER_CACHE_TTL=%v: "+
			"set JWTGATE_ROLE_RULES to empty or the cache TTL to 0", c.AuthorizerCache))
	}
	c.StoreTimeout = r.duration("JWTGATE_STORE_TIMEOUT", DefaultStoreTimeout)
	c.LoginFailuresUser = r.count("JWTGATE_LOGIN_FAILURES_USER", DefaultLoginFailuresUser)
	c.LoginFailuresIP = r.count("JWTGATE_LOGIN_FAILURES_IP", DefaultLoginFailuresIP)
	c.LoginLockoutMax = r.duration("JWTGATE_LOGIN_LOCKOUT_MAX", DefaultLoginLockoutMax)
	// The window's bound (at most the refresh lifetime from now) is
	// checked by tokens.New, against its clock.
	if v := r.str("JWTGATE_LEGACY_TOKENS_UNTIL", ""); v != "" {
		until, err := time.Parse(time.RFC3339, v)
		if err != nil {
			r.fail("JWTGATE_LEGACY_TOKENS_UNTIL", v, "want an RFC 3339 instant, e.g. 2026-12-31T00:00:00Z")
		}
		c.Tokens.LegacyUntil = until
	}
	switch v := r.str("JWTGATE_LEGACY_IDENTITIES", LegacyIdentitiesUsername); v {
	case LegacyIdentitiesUsername:
	case LegacyIdentitiesImported:
		c.Tokens.MapLegacyIdentities = true
	default:
		r.fail("JWTGATE_LEGACY_IDENTITIES", v, "want "+LegacyIdentitiesUsername+" (a legacy token's identity is the username) or "+
			LegacyIdentitiesImported+" (mapped to the user imported with that identity)")
	}
	c.LegacyHashCost = r.str("JWTGATE_LEGACY_HASH_COST", "")
	if c.LegacyHashCost != "" && !legacyHashCost.MatchString(c.LegacyHashCost) {
		r.fail("JWTGATE_LEGACY_HASH_COST", c.LegacyHashCost, "want the method part of the imported hashes: pbkdf2:<hash>:<iterations>, scrypt:<n>:<r>:<p> or bcrypt:<cost>")
	}
	c.RevocationTable, c.UsersTable, c.DynamoDBEndpoint = r.tables()
	c.LogLevel = r.str("LOG_LEVEL", "info")
	c.Metrics = r.boolean("JWTGATE_METRICS", true)
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		r.fail("LOG_LEVEL", c.LogLevel, "supported: debug, info, warn, error")
	}

	c.SecretKey = r.str("JWT_SECRET_KEY", "")
	c.SecretARN = r.str("JWT_SECRET_ARN", "")
	c.PublicKeysTable = r.str("JWT_PUBLIC_KEYS_TABLE", "")
	if c.SecretKey != "" {
		if err := CheckSecret([]byte(c.SecretKey), mode); err != nil {
			r.errs = append(r.errs, fmt.Errorf("JWT_SECRET_KEY: %w", err))
		}
	}
	r.keyPairVariables(c.Tokens.Algorithm)
	if mode == Lambda && c.SecretKey == "" && c.SecretARN == "" {
		r.errs = append(r.errs, errors.New("JWT_SECRET_ARN: required (or JWT_SECRET_KEY) outside dev mode"))
	}
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// keyPairVariables refuses flask-jwt-extended's JWT_PRIVATE_KEY and
// JWT_PUBLIC_KEY: jwtgate reads key pairs from its key set, and ignoring
// them would have it sign with a key of its own that the Flask app cannot
// verify, and refuse the Flask app's tokens, with nothing said. The value
// is never quoted: it is a private key.
func (r *reader) keyPairVariables(alg string) {
	if !tokens.Asymmetric(alg) {
		alg = "RS256"
	}
	if _, set := r.lookup("JWT_PRIVATE_KEY"); set {
		r.errs = append(r.errs, fmt.Errorf("JWT_PRIVATE_KEY: not read (jwtgate takes key pairs from its key set, docs/keys.md): "+
			"put the key into one with `jwtgate keys import --algorithm %s --file keys.json < private.pem` and pass the file's "+
			"contents as JWT_SECRET_KEY (for a deployed stack: --stack NAME), then unset JWT_PRIVATE_KEY", alg))
	}
	if _, set := r.lookup("JWT_PUBLIC_KEY"); set {
		r.errs = append(r.errs, fmt.Errorf("JWT_PUBLIC_KEY: not read (jwtgate takes key pairs from its key set, docs/keys.md): "+
			"the key set holds the public half of each private key it signs with, and another app's public key joins it as a "+
			"verify-only entry {\"kid\",\"alg\":%q,\"public_key\"}; unset JWT_PUBLIC_KEY", alg))
	}
}

// legacyHashCost is the syntax of JWTGATE_LEGACY_HASH_COST; its bounds are
// checked by password.NewChecker where the login functions build it (the
// authorizer links no hashing code).
var legacyHashCost = regexp.MustCompile(`^(pbkdf2:(sha1|sha224|sha256|sha384|sha512):[0-9]+|scrypt:[0-9]+:[0-9]+:[0-9]+|bcrypt:[0-9]+)$`)

// Admin is the part of the configuration the admin CLI shares with the
// functions: where the tables are, and how long revocations must live.
type Admin struct {
	RevocationTable  string
	UsersTable       string
	DynamoDBEndpoint string
	// Lifetimes builds the revocation records from JWT_REFRESH_TOKEN_EXPIRES
	// and JWT_DECODE_LEEWAY, as the session functions do.
	Lifetimes revocation.Lifetimes
}

// LoadAdmin reads the settings of Admin with Load's names, defaults and
// parsing, so a revocation made from the CLI lasts as long as one made by
// the functions; every problem is reported, each naming its variable.
func LoadAdmin(env Getenv) (Admin, error) {
	r := reader{env: env}
	a := Admin{Lifetimes: r.lifetimes()}
	a.RevocationTable, a.UsersTable, a.DynamoDBEndpoint = r.tables()
	if err := errors.Join(r.errs...); err != nil {
		return Admin{}, fmt.Errorf("config: %w", err)
	}
	return a, nil
}

// lifetimes reads the token lifetimes revocation records depend on.
func (r *reader) lifetimes() revocation.Lifetimes {
	return revocation.Lifetimes{
		RefreshTTL: r.duration("JWT_REFRESH_TOKEN_EXPIRES", tokens.DefaultRefreshTTL),
		Leeway:     r.durationZero("JWT_DECODE_LEEWAY"),
	}
}

// tables reads the table names and the DynamoDB endpoint.
func (r *reader) tables() (revocations, users, endpoint string) {
	return r.str("REVOCATION_TABLE", DefaultRevocationTable), r.str("USERS_TABLE", DefaultUsersTable),
		r.str("DYNAMODB_ENDPOINT", "")
}

// Secret errors.
var (
	ErrSecretTooShort = errors.New("secret shorter than 32 bytes")
	ErrDemoSecret     = errors.New("the dev-only demo secret is refused outside `jwtgate dev`")
)

// CheckSecret refuses short and demo secrets outside dev mode.
func CheckSecret(secret []byte, mode Mode) error {
	if mode == Dev {
		if len(secret) == 0 {
			return ErrSecretTooShort
		}
		return nil
	}
	if string(secret) == DevDemoSecret {
		return ErrDemoSecret
	}
	if len(secret) < MinSecretBytes {
		return ErrSecretTooShort
	}
	return nil
}

// Cookie name prefixes browsers enforce (RFC 6265bis, matched without
// regard to case): a __Host- cookie is only stored when Secure, host-only
// and on Path=/, so a sibling subdomain cannot plant or shadow it (cookie
// tossing); a __Secure- cookie only when Secure.
const (
	HostPrefix   = "__Host-"
	SecurePrefix = "__Secure-"
)

// cookiePrefixes refuses cookie names net/http would not write (it drops
// such a Set-Cookie silently) and names whose prefix the attributes break:
// the browser would drop every such cookie silently, and logins would
// appear to work and then lose their session.
func (r *reader) cookiePrefixes(o cookies.Options) {
	for _, c := range []struct{ nameVar, name, pathVar, path string }{
		{"JWT_ACCESS_COOKIE_NAME", o.AccessName, "JWT_ACCESS_COOKIE_PATH", o.AccessPath},
		{"JWT_REFRESH_COOKIE_NAME", o.RefreshName, "JWT_REFRESH_COOKIE_PATH", o.RefreshPath},
		{"JWT_ACCESS_CSRF_COOKIE_NAME", o.AccessCSRFName, "JWT_ACCESS_CSRF_COOKIE_PATH", o.AccessCSRFPath},
		{"JWT_REFRESH_CSRF_COOKIE_NAME", o.RefreshCSRFName, "JWT_REFRESH_CSRF_COOKIE_PATH", o.RefreshCSRFPath},
	} {
		if err := (&http.Cookie{Name: c.name, Value: "v"}).Valid(); err != nil {
			r.fail(c.nameVar, c.name, "not a cookie name: letters, digits and !#$%&'*+-.^_`|~ only (RFC 6265)")
			continue
		}
		lower := strings.ToLower(c.name)
		host := strings.HasPrefix(lower, strings.ToLower(HostPrefix))
		if !host && !strings.HasPrefix(lower, strings.ToLower(SecurePrefix)) {
			continue
		}
		prefix := c.name[:strings.IndexByte(c.name[2:], '-')+3]
		if !o.Secure {
			r.fail(c.nameVar, c.name, "browsers store "+prefix+" cookies only with Secure: set JWT_COOKIE_SECURE=true")
		}
		if !host {
			continue
		}
		if o.Domain != "" {
			r.fail(c.nameVar, c.name, "browsers store __Host- cookies only without a Domain: unset JWT_COOKIE_DOMAIN (now "+strconv.Quote(o.Domain)+")")
		}
		if c.path != "/" {
			r.fail(c.pathVar, c.path, "the cookie "+strconv.Quote(c.name)+" is a __Host- cookie, which browsers store only with Path=/")
		}
	}
}

type reader struct {
	env  Getenv
	errs []error
}

func (r *reader) fail(name, val, why string) {
	r.errs = append(r.errs, fmt.Errorf("%s=%q: %s", name, val, why))
}

func (r *reader) lookup(name string) (string, bool) {
	v, ok := r.env(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (r *reader) str(name, def string) string {
	if v, ok := r.lookup(name); ok {
		return v
	}
	return def
}

// strEmptyOK lets a variable that is set but empty mean "empty".
func (r *reader) strEmptyOK(name, def string) string {
	if v, ok := r.env(name); ok {
		return strings.TrimSpace(v)
	}
	return def
}

// list reads a comma-separated list; Python-style ["a", "b"] is accepted too.
func (r *reader) list(name string, def []string) []string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	v = strings.Trim(v, "[]")
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.Trim(strings.TrimSpace(p), `"'`)
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (r *reader) boolean(name string, def bool) bool {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	r.fail(name, v, "want true or false")
	return def
}

// count reads a non-negative integer.
func (r *reader) count(name string, def int) int {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		r.fail(name, v, "want a whole number, 0 or more")
		return def
	}
	return n
}

// duration takes integer seconds (flask style) or a Go duration ("5m");
// it must be positive: tokens without expiry are not supported.
func (r *reader) duration(name string, def time.Duration) time.Duration {
	d, ok := r.parseDuration(name)
	if !ok {
		return def
	}
	if d <= 0 {
		r.fail(name, fmt.Sprint(d), "must be positive")
		return def
	}
	return d
}

func (r *reader) durationZero(name string) time.Duration {
	d, ok := r.parseDuration(name)
	if !ok {
		return 0
	}
	if d < 0 {
		r.fail(name, fmt.Sprint(d), "must not be negative")
		return 0
	}
	return d
}

func (r *reader) parseDuration(name string) (time.Duration, bool) {
	v, ok := r.lookup(name)
	if !ok {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(n) * time.Second, true
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, v, `not a duration: integer seconds or a Go duration such as "5m"`)
		return 0, false
	}
	return d, true
}

func (r *reader) sameSite(name string, def http.SameSite) http.SameSite {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	switch strings.ToLower(v) {
	case "lax":
		return http.SameSiteLaxMode
	case "strict":
		return http.SameSiteStrictMode
	case "none":
		return http.SameSiteNoneMode
	}
	r.fail(name, v, "want Lax, Strict or None")
	return def
}
