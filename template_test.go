package jwtgate_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/cors"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
	"gopkg.in/yaml.v3"
)

// The two SAM templates describe one system; every test below runs on both.
const (
	restTemplate = "template.yaml"
	httpTemplate = "template-httpapi.yaml"
)

// functionDir is the Makefile's naming rule (build-%Function): LoginFunction is built from
// ./functions/login.
func functionDir(id string) string {
	return "./functions/" + strings.ToLower(strings.TrimSuffix(id, "Function"))
}

// route is a method and path of the API with the authorizer guarding it ("NONE" for none)
// and the function it invokes.
type route struct {
	authorizer string
	function   string
}

// guarded stands for the default authorizer, which TokenLocation picks.
const guarded = "default"

var wantRoutes = map[string]route{
	"POST /login":    {"NONE", "LoginFunction"},
	"POST /refresh":  {"NONE", "RefreshFunction"},
	"POST /logout":   {"NONE", "LogoutFunction"},
	"POST /password": {guarded, "PasswordFunction"},
	"GET /protected": {guarded, "ProtectedFunction"},
	"GET /admin":     {guarded, "ProtectedFunction"},
	// Public: verifiers elsewhere fetch the keys without a session.
	"GET /.well-known/jwks.json":            {"NONE", "JwksFunction"},
	"GET /.well-known/openid-configuration": {"NONE", "JwksFunction"},
}

// wantPermissions lists, per function, every "action resource" pair its role grants besides
// the AWSLambdaBasicExecutionRole managed policy (and X-Ray's write-only one, for the Tracing
// parameter): least privilege, compared exactly.
var wantPermissions = map[string][]string{
	// Users read for the password check; revocation writes for the failed-login counters
	// (UpdateItem reserves or releases an attempt, PutItem restarts or resets a counter),
	// only on the counters' keys; no reads (a reservation decides in its condition).
	"LoginFunction": {
		"dynamodb:GetItem UsersTable",
		"dynamodb:PutItem RevocationTable thr#user#*,thr#ip#*",
		"dynamodb:UpdateItem RevocationTable thr#user#*,thr#ip#*",
	},
	// The revocation records and the user in one BatchGetItem over both
	// tables, then the conditional consume (jti#), and on theft the session (sid#).
	"RefreshFunction": {
		"dynamodb:BatchGetItem UsersTable",
		"dynamodb:BatchGetItem RevocationTable",
		"dynamodb:PutItem RevocationTable jti#*,sid#*",
		"dynamodb:UpdateItem RevocationTable jti#*,sid#*",
	},
	// Logout verifies (never signs): the public keys, as the authorizer. It revokes
	// sessions, and flask-minted tokens (no session; the legacy window) by jti; a flask
	// refresh token's record (jti# only) names the session the token bought at /refresh.
	"LogoutFunction": {
		"dynamodb:GetItem PublicKeysTable",
		"dynamodb:BatchGetItem RevocationTable jti#*",
		"dynamodb:PutItem RevocationTable jti#*,sid#*",
		"dynamodb:UpdateItem RevocationTable jti#*,sid#*",
	},
	"PasswordFunction": {
		"dynamodb:GetItem UsersTable",
		"dynamodb:UpdateItem UsersTable",
		"dynamodb:PutItem RevocationTable sub#*,sid#*,thr#user#*",
		"dynamodb:UpdateItem RevocationTable sub#*,sid#*,thr#user#*",
	},
	"ProtectedFunction": {},
	// The authorizer only reads the revocation table, in one BatchGetItem,
	// and the public keys.
	"AuthorizerFunction": {
		"dynamodb:GetItem PublicKeysTable",
		"dynamodb:BatchGetItem RevocationTable",
	},
	"JwksFunction": {
		"dynamodb:GetItem PublicKeysTable",
	},
}

// signers are the functions that issue tokens: the only ones that may read
// the signing secret when the algorithm is asymmetric. Verifiers read it
// only under HS*, where the verifying key is the signing secret.
var signers = []string{"LoginFunction", "RefreshFunction", "PasswordFunction"}

var hmacVerifiers = []string{"LogoutFunction", "AuthorizerFunction"}

// legacyIdentityLookup is the grant AuthorizerFunction and RefreshFunction have while
// LegacyIdentities is imported: one Query of the users table's identity index, which projects
// the keys alone (dynamostore.Identities), never the table itself.
const legacyIdentityLookup = "dynamodb:Query UsersTable/index/identity"

// legacyHashUpgrade is the grant LoginFunction has while LegacyHashCost is set: the upgrade
// of an imported hash to argon2id at the user's next login (dynamostore.Users.ReplaceHash).
const legacyHashUpgrade = "dynamodb:UpdateItem UsersTable"

// wantEnv lists every environment variable of each function of template.yaml, with its value
// as describe prints it. template-httpapi.yaml differs as httpEnv says.
func wantEnv(function string) map[string]string {
	env := map[string]string{
		"JWT_ACCESS_TOKEN_EXPIRES":  "!Ref AccessTokenExpires",
		"JWT_REFRESH_TOKEN_EXPIRES": "!Ref RefreshTokenExpires",
		"JWT_COOKIE_SECURE":         "!Ref CookieSecure",
		"JWT_COOKIE_SAMESITE":       "!Ref CookieSameSite",
		"JWT_COOKIE_DOMAIN":         "!Ref CookieDomain",
		"JWT_SESSION_COOKIE":        "!Ref SessionCookie",
		"JWT_SECRET_ARN":            "!Ref JwtSecret",
		"JWT_ALGORITHM":             "!Ref JwtAlgorithm",
		"JWT_ENCODE_ISSUER":         "!Ref Issuer",
		"JWT_ERROR_MESSAGE_KEY":     "!Ref ErrorMessageKey",
		"JWT_IDENTITY_CLAIM":        "!Ref IdentityClaim",
		"JWT_ACCESS_COOKIE_NAME":    "!Ref AccessCookieName",
		"JWTGATE_USER_CLAIMS":       "!Ref UserClaims",
		"JWT_PUBLIC_KEYS_TABLE":     "!Ref PublicKeysTable",
		"REVOCATION_TABLE":          "!Ref RevocationTable",
		"DYNAMODB_ENDPOINT":         "",
		"JWTGATE_CORS_ORIGINS":      "!Ref CorsAllowOrigin",
		"JWT_TOKEN_LOCATION":        `{"Fn::FindInMap":["TokenLocations",{"Ref":"TokenLocation"},"Flask"]}`,
		"JWTGATE_STACK_NAME":        "!Ref AWS::StackName",
		"JWT_SECRET_KEY":            "",
	}
	// The migration settings reach the functions that read them (config.Load; handlers.New):
	// the legacy window every verifier of flask-minted tokens, the hash cost the login.
	switch function {
	case "LoginFunction":
		env["USERS_TABLE"] = "!Ref UsersTable"
		env["JWTGATE_LEGACY_HASH_COST"] = "!Ref LegacyHashCost"
	case "PasswordFunction":
		env["USERS_TABLE"] = "!Ref UsersTable"
	case "RefreshFunction":
		env["JWTGATE_REFRESH_REUSE_GRACE"] = "!Ref RefreshReuseGrace"
		env["USERS_TABLE"] = "!Ref UsersTable"
		env["JWTGATE_LEGACY_TOKENS_UNTIL"] = "!Ref LegacyTokensUntil"
		env["JWTGATE_LEGACY_IDENTITIES"] = "!Ref LegacyIdentities"
	case "LogoutFunction":
		env["JWTGATE_LEGACY_TOKENS_UNTIL"] = "!Ref LegacyTokensUntil"
		env["JWTGATE_LEGACY_IDENTITIES"] = "!Ref LegacyIdentities"
	case "AuthorizerFunction":
		env["JWTGATE_ROLE_RULES"] = "!Ref RoleRules"
		env["JWTGATE_ROLE_DENIAL"] = "!Ref RoleDenial"
		env["JWTGATE_AUTHORIZER_CACHE_TTL"] = "!Ref AuthorizerCacheTtl"
		env["JWTGATE_LEGACY_TOKENS_UNTIL"] = "!Ref LegacyTokensUntil"
		env["JWTGATE_LEGACY_IDENTITIES"] = "!Ref LegacyIdentities"
		env["USERS_TABLE"] = "!Ref UsersTable" // the identity index, with LegacyIdentities=imported
	}
	return env
}

// httpEnv is wantEnv for template-httpapi.yaml: the v2 payload everywhere, a cache TTL
// fixed at 0 (that template has no AuthorizerCacheTtl parameter), and no TokenLocation
// (cookies, the default: SAM takes no parameter as an HTTP API's DefaultAuthorizer).
func httpEnv(function string) map[string]string {
	env := wantEnv(function)
	delete(env, "JWT_TOKEN_LOCATION")
	env["JWTGATE_PAYLOAD"] = "v2"
	if function == "AuthorizerFunction" {
		env["JWTGATE_AUTHORIZER_CACHE_TTL"] = "0"
	}
	return env
}

// TestTemplateLint runs cfn-lint, which is what `sam validate --lint` runs: the SAM
// transform plus CloudFormation's resource schemas.
func TestTemplateLint(t *testing.T) {
	out, err := command(t, "cfn-lint", restTemplate, httpTemplate).CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint %s %s: %v\n%s", restTemplate, httpTemplate, err, out)
	}
}

// TestTemplateTranslated asserts on the CloudFormation the SAM translator generates, which is
// what CloudFormation deploys.
func TestTemplateTranslated(t *testing.T) {
	// authorizer is the one guarding the routes (one per TokenLocation value), identity its
	// identity source: with headers allowed there is none, so Bearer-only requests reach it.
	tests := []struct {
		name       string
		template   string
		params     []string
		authorizer string
		identity   string
		wantTTL    string
	}{
		{name: "rest", template: restTemplate, authorizer: "cookies", identity: "method.request.header.Cookie", wantTTL: "0"},
		{name: "rest cached", template: restTemplate, params: []string{"AuthorizerCacheTtl=300", "RoleRules="}, authorizer: "cookies", identity: "method.request.header.Cookie", wantTTL: "300"},
		{name: "rest headers", template: restTemplate, params: []string{"TokenLocation=headers"}, authorizer: "headers", identity: "null", wantTTL: "0"},
		{name: "rest cookies then headers", template: restTemplate, params: []string{"TokenLocation=cookiesHeaders"}, authorizer: "cookiesHeaders", identity: "null", wantTTL: "0"},
		{name: "rest query string", template: restTemplate, params: []string{"TokenLocation=queryString"}, authorizer: "queryString", identity: "null", wantTTL: "0"},
		{name: "rest all four locations", template: restTemplate, params: []string{"TokenLocation=headersCookiesQueryStringJson"}, authorizer: "headersCookiesQueryStringJson", identity: "null", wantTTL: "0"},
		// SAM refuses a parameter as an HTTP API's DefaultAuthorizer: that template stays on cookies.
		{name: "httpapi", template: httpTemplate, authorizer: "CookieAuthorizer", identity: `["$request.header.Cookie"]`, wantTTL: "0"},
		{name: "rest throwaway", template: restTemplate, params: []string{"RetainData=false"}, authorizer: "cookies", identity: "method.request.header.Cookie", wantTTL: "0"},
		{name: "httpapi throwaway", template: httpTemplate, params: []string{"RetainData=false"}, authorizer: "CookieAuthorizer", identity: `["$request.header.Cookie"]`, wantTTL: "0"},
		{name: "rest HS512", template: restTemplate, params: []string{"JwtAlgorithm=HS512"}, authorizer: "cookies", identity: "method.request.header.Cookie", wantTTL: "0"},
		{name: "rest EdDSA", template: restTemplate, params: []string{"JwtAlgorithm=EdDSA"}, authorizer: "cookies", identity: "method.request.header.Cookie", wantTTL: "0"},
		{name: "rest ES256", template: restTemplate, params: []string{"JwtAlgorithm=ES256"}, authorizer: "cookies", identity: "method.request.header.Cookie", wantTTL: "0"},
		{name: "rest RS256", template: restTemplate, params: []string{"JwtAlgorithm=RS256"}, authorizer: "cookies", identity: "method.request.header.Cookie", wantTTL: "0"},
		{name: "httpapi EdDSA", template: httpTemplate, params: []string{"JwtAlgorithm=EdDSA"}, authorizer: "CookieAuthorizer", identity: `["$request.header.Cookie"]`, wantTTL: "0"},
		{name: "httpapi RS256", template: httpTemplate, params: []string{"JwtAlgorithm=RS256"}, authorizer: "CookieAuthorizer", identity: `["$request.header.Cookie"]`, wantTTL: "0"},
		// The migration from Flask (docs/migrating-from-flask.md): the login may upgrade hashes.
		{name: "rest migrating", template: restTemplate, params: migrating, authorizer: "cookies", identity: "method.request.header.Cookie", wantTTL: "0"},
		{name: "httpapi migrating", template: httpTemplate, params: migrating, authorizer: "CookieAuthorizer", identity: `["$request.header.Cookie"]`, wantTTL: "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfn := translate(t, tt.template, tt.params...)
			checkFunctions(t, cfn)
			checkRoles(t, cfn, params(tt.params))
			checkTables(t, cfn)
			checkSecret(t, cfn)
			checkRetention(t, cfn, !slices.Contains(tt.params, "RetainData=false"))
			checkMigration(t, cfn, params(tt.params))
			if tt.template == httpTemplate {
				checkHTTPAPI(t, cfn, tt.authorizer, tt.identity, tt.wantTTL)
				checkAccessLog(t, cfn, "AWS::ApiGatewayV2::Stage", "AccessLogSettings", "$context.authorizer.sub")
			} else {
				checkRESTAPI(t, cfn, tt.authorizer, tt.identity, tt.wantTTL)
				checkAccessLog(t, cfn, "AWS::ApiGateway::Stage", "AccessLogSetting", "$context.authorizer.principalId")
			}
		})
	}
}

// TestTemplateMeaning checks what neither cfn-lint nor the translator can: that sam build
// finds a Makefile target for every function, that the functions get the environment the Go
// code reads, and that env.json only overrides variables the template declares (sam local
// silently ignores the others).
func TestTemplateMeaning(t *testing.T) {
	if !strings.Contains(jwtgate.Template, "AWS::Serverless-2016-10-31") {
		t.Errorf("jwtgate.Template does not embed the SAM template")
	}
	tests := []struct {
		template string
		env      func(string) map[string]string
	}{
		{restTemplate, wantEnv},
		{httpTemplate, httpEnv},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			t.Parallel()
			cfn := translate(t, tt.template)
			functions := cfn.ofType("AWS::Lambda::Function")
			if got, want := sortedKeys(functions), sortedKeys(wantPermissions); !slices.Equal(got, want) {
				t.Fatalf("functions = %v, want %v", got, want)
			}
			for _, id := range sortedKeys(functions) {
				t.Run(id, func(t *testing.T) {
					checkMakeTarget(t, id)
					var props lambdaFunction
					decode(t, functions[id].Properties, &props)
					got := map[string]string{}
					for k, v := range props.Environment.Variables {
						got[k] = describe(v)
					}
					checkMap(t, "environment", got, tt.env(id))
				})
			}
			checkEnvJSON(t, functions)
		})
	}
}

// checkMakeTarget dry-runs the target sam build runs for the function: it must exist, build
// the function's directory for arm64 (the templates' Architectures) and write bootstrap.
func checkMakeTarget(t *testing.T, id string) {
	t.Helper()
	artifacts := t.TempDir()
	cmd := command(t, "make", "--no-print-directory", "-n", "build-"+id, "ARTIFACTS_DIR="+artifacts)
	// A GOARCH from the caller's environment would override the Makefile's default.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOARCH=") })
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n build-%s: %v\n%s", id, err, out)
	}
	dir := functionDir(id)
	if _, err := os.Stat(dir); err != nil {
		dir = "./examples/" + strings.TrimPrefix(dir, "./functions/")
	}
	for _, want := range []string{
		"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "-tags lambda.norpc",
		"-o " + filepath.Join(artifacts, "bootstrap"), dir,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("make -n build-%s = %q, want it to contain %q", id, out, want)
		}
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("build-%s builds %s, which is not a directory (%v)", id, dir, err)
	}
}

// checkEnvJSON reads env.json, the overrides for `sam local start-api --env-vars env.json`.
func checkEnvJSON(t *testing.T, functions map[string]resource) {
	t.Helper()
	data, err := os.ReadFile("env.json")
	if err != nil {
		t.Fatal(err)
	}
	var overrides map[string]map[string]string
	if err := json.Unmarshal(data, &overrides); err != nil {
		t.Fatalf("env.json: %v", err)
	}
	for _, id := range sortedKeys(functions) {
		vars, ok := overrides[id]
		if !ok {
			t.Errorf("env.json has no entry for %s", id)
			continue
		}
		if vars["JWT_COOKIE_SECURE"] != "false" {
			t.Errorf("env.json %s: JWT_COOKIE_SECURE = %q, want \"false\" (sam local serves http)", id, vars["JWT_COOKIE_SECURE"])
		}
	}
	for id, vars := range overrides {
		fn, ok := functions[id]
		if !ok {
			t.Errorf("env.json names %s, which is not a function of the template", id)
			continue
		}
		var props lambdaFunction
		decode(t, fn.Properties, &props)
		for name := range vars {
			if _, ok := props.Environment.Variables[name]; !ok {
				t.Errorf("env.json sets %s on %s, which the template does not declare: sam local would ignore it", name, id)
			}
		}
	}
}

func checkFunctions(t *testing.T, cfn template) {
	t.Helper()
	functions := cfn.ofType("AWS::Lambda::Function")
	if got, want := sortedKeys(functions), sortedKeys(wantPermissions); !slices.Equal(got, want) {
		t.Errorf("functions = %v, want %v", got, want)
	}
	for id, fn := range functions {
		var p lambdaFunction
		decode(t, fn.Properties, &p)
		wantTimeout, wantMemory := 5, 128
		switch id {
		case "AuthorizerFunction":
			wantTimeout = 3
		case "LoginFunction", "PasswordFunction": // argon2id wants CPU, which comes with memory
			wantMemory = 512
		}
		if p.Runtime != "provided.al2023" || !slices.Equal(p.Architectures, []string{"arm64"}) ||
			p.Handler != "bootstrap" || p.MemorySize != wantMemory || p.Timeout != wantTimeout {
			t.Errorf("%s: runtime %q, architectures %v, handler %q, memory %d, timeout %d; want provided.al2023, [arm64], bootstrap, %d, %d",
				id, p.Runtime, p.Architectures, p.Handler, p.MemorySize, p.Timeout, wantMemory, wantTimeout)
		}
		if got := fn.Metadata["BuildMethod"]; got != "makefile" {
			t.Errorf("%s: Metadata.BuildMethod = %v, want makefile", id, got)
		}
	}
}

// migrating are the parameters of a stack taking over a Flask app's sessions and users, as
// docs/migrating-from-flask.md sets them.
var migrating = []string{"LegacyTokensUntil=2026-12-31T00:00:00Z", "LegacyHashCost=pbkdf2:sha256:260000", "LegacyIdentities=imported"}

// checkMigration asserts the values the migration settings take in each function as deployed
// with params: the window in every verifier of flask-minted tokens, the hash cost in the
// login, empty (off) by default and nowhere else.
func checkMigration(t *testing.T, cfn template, params map[string]string) {
	t.Helper()
	want := map[string]map[string]string{
		"JWTGATE_LEGACY_TOKENS_UNTIL": {"AuthorizerFunction": params["LegacyTokensUntil"],
			"RefreshFunction": params["LegacyTokensUntil"], "LogoutFunction": params["LegacyTokensUntil"]},
		"JWTGATE_LEGACY_HASH_COST": {"LoginFunction": params["LegacyHashCost"]},
		"JWTGATE_LEGACY_IDENTITIES": {"AuthorizerFunction": cmp.Or(params["LegacyIdentities"], "username"),
			"RefreshFunction": cmp.Or(params["LegacyIdentities"], "username"), "LogoutFunction": cmp.Or(params["LegacyIdentities"], "username")},
	}
	for id, fn := range cfn.ofType("AWS::Lambda::Function") {
		var p lambdaFunction
		decode(t, fn.Properties, &p)
		for name, per := range want {
			v, declared := p.Environment.Variables[name]
			wantValue, reads := per[id]
			switch {
			case declared != reads:
				t.Errorf("%s: %s declared %v, want %v", id, name, declared, reads)
			case reads:
				if got := cfn.value(t, v, params); got != wantValue {
					t.Errorf("%s: %s = %q as deployed, want %q", id, name, got, wantValue)
				}
			}
		}
	}
}

// value is a resolved scalar: a literal, or a !Ref of a parameter with params (else its default).
func (c template) value(t *testing.T, v any, params map[string]string) string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		return describe(v)
	}
	name, _ := m["Ref"].(string)
	if p, ok := params[name]; ok {
		return p
	}
	if def, ok := c.Parameters[name]; ok {
		return describe(def.Default)
	}
	t.Fatalf("cannot resolve %v", v)
	return ""
}

// checkRoles compares each role's grants, with the template's conditions
// decided for params (the deployed parameter values), against
// wantPermissions, the signing secret's grant where the algorithm needs it.
func checkRoles(t *testing.T, cfn template, params map[string]string) {
	t.Helper()
	alg := cmp.Or(params["JwtAlgorithm"], "HS256")
	hmac := strings.HasPrefix(alg, "HS")
	for id, fn := range cfn.ofType("AWS::Lambda::Function") {
		var p lambdaFunction
		decode(t, fn.Properties, &p)
		role, ok := cfn.Resources[arnOf(p.Role)]
		if !ok || role.Type != "AWS::IAM::Role" {
			t.Errorf("%s: role %s is not an AWS::IAM::Role of the template", id, describe(p.Role))
			continue
		}
		var r iamRole
		decode(t, cfn.resolve(t, role.Properties, params), &r)
		// SAM attaches the X-Ray write-only policy to every function with a Tracing property
		// (the Tracing parameter; SAM cannot resolve its !Ref): it writes trace segments and
		// reads nothing.
		if want := []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
			"arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"}; !slices.Equal(r.ManagedPolicyArns, want) {
			t.Errorf("%s: managed policies %v, want %v", id, r.ManagedPolicyArns, want)
		}
		var got []string
		for _, policy := range r.Policies {
			for _, s := range policy.PolicyDocument.Statement {
				if s.Effect != "Allow" {
					t.Errorf("%s: statement with effect %q", id, s.Effect)
				}
				keys, err := s.leadingKeys()
				if err != nil {
					t.Errorf("%s: %v", id, err)
				}
				for _, action := range s.actions() {
					grant := action + " " + arnOf(s.Resource)
					if keys != nil {
						grant += " " + strings.Join(keys, ",")
					}
					got = append(got, grant)
				}
			}
		}
		want := slices.Clone(wantPermissions[id])
		if slices.Contains(signers, id) || (hmac && slices.Contains(hmacVerifiers, id)) {
			want = append(want, "secretsmanager:GetSecretValue JwtSecret")
		}
		if id == "LoginFunction" && params["LegacyHashCost"] != "" {
			want = append(want, legacyHashUpgrade)
		}
		if (id == "AuthorizerFunction" || id == "RefreshFunction") && params["LegacyIdentities"] == "imported" {
			want = append(want, legacyIdentityLookup)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: role grants\n\t%s\nwant\n\t%s", id, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
		// The invariants the exact list encodes, spelt out.
		var wantKeys []string
		for _, p := range handlers.RevocationWritePrefixes()[id] {
			wantKeys = append(wantKeys, p+"*")
		}
		for _, grant := range got {
			action, rest, _ := strings.Cut(grant, " ")
			table, keys, _ := strings.Cut(rest, " ")
			write := !slices.Contains([]string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}, action)
			switch {
			case table == "RevocationTable" && write && keys != strings.Join(wantKeys, ","):
				// Issue 12 item 11: the key prefixes the function's code writes, and no other.
				t.Errorf("%s: %s on RevocationTable limited to keys %q, want dynamodb:LeadingKeys %q (handlers.RevocationWritePrefixes)",
					id, action, keys, strings.Join(wantKeys, ","))
			case id == "LogoutFunction" && table == "RevocationTable" && !write && keys != revocation.TokenKey("")+"*":
				// Logout reads a flask refresh token's record for the session it bought, no other.
				t.Errorf("LogoutFunction: %s on RevocationTable limited to keys %q, want dynamodb:LeadingKeys %q", action, keys, revocation.TokenKey("")+"*")
			case id == "AuthorizerFunction" && strings.HasPrefix(action, "dynamodb:") && (write || (table != "RevocationTable" && table != "PublicKeysTable" &&
				(grant != legacyIdentityLookup || params["LegacyIdentities"] != "imported"))):
				t.Errorf("the authorizer may only read RevocationTable and PublicKeysTable (and Query the users' identity index with LegacyIdentities=imported); it has %s", grant)
			case strings.HasPrefix(table, "UsersTable/index/") && (grant != legacyIdentityLookup || params["LegacyIdentities"] != "imported"):
				t.Errorf("%s: %s, want the identity index queried only with LegacyIdentities=imported", id, grant)
			case table == "UsersTable" && write && id != "PasswordFunction" &&
				(id != "LoginFunction" || grant != legacyHashUpgrade || params["LegacyHashCost"] == ""):
				t.Errorf("only PasswordFunction may write UsersTable (and LoginFunction UpdateItem while LegacyHashCost is set); %s has %s", id, grant)
			case table == "PublicKeysTable" && write:
				t.Errorf("no function may write PublicKeysTable (a writer could publish its own key); %s has %s", id, grant)
			case strings.HasPrefix(action, "secretsmanager:") && !hmac && !slices.Contains(signers, id):
				t.Errorf("with %s only the signing functions may read the private key; %s has %s", alg, id, grant)
			}
		}
	}
}

func checkTables(t *testing.T, cfn template) {
	t.Helper()
	wantKeys := map[string]string{"RevocationTable": "pk", "UsersTable": "username", "PublicKeysTable": "pk"}
	tables := cfn.ofType("AWS::DynamoDB::Table")
	if got, want := sortedKeys(tables), sortedKeys(wantKeys); !slices.Equal(got, want) {
		t.Errorf("tables = %v, want %v", got, want)
	}
	for id, table := range tables {
		var p dynamoTable
		decode(t, table.Properties, &p)
		if id == "PublicKeysTable" { // one item that never expires
			if p.TimeToLiveSpecification.Enabled {
				t.Errorf("%s: TTL %+v, want none", id, p.TimeToLiveSpecification)
			}
		} else if p.TimeToLiveSpecification.AttributeName != "expires_at" || !p.TimeToLiveSpecification.Enabled {
			t.Errorf("%s: TTL %+v, want expires_at enabled", id, p.TimeToLiveSpecification)
		}
		key := wantKeys[id]
		attrs := []string{key + " S"}
		if id == "UsersTable" {
			attrs = append(attrs, "identity S") // the identity index's key
		}
		var gotAttrs []string
		for _, a := range p.AttributeDefinitions {
			gotAttrs = append(gotAttrs, a.AttributeName+" "+a.AttributeType)
		}
		if len(p.KeySchema) != 1 || p.KeySchema[0].AttributeName != key || p.KeySchema[0].KeyType != "HASH" || !slices.Equal(gotAttrs, attrs) {
			t.Errorf("%s: key schema %+v, attributes %v; want hash key %s (S), attributes %v", id, p.KeySchema, gotAttrs, key, attrs)
		}
		// The users table's identity index, as dynamostore.CreateTables makes it: sparse on
		// identity, keys only (the functions that query it read no hash); no other index.
		var gotIndexes []string
		for _, ix := range p.GlobalSecondaryIndexes {
			var keys []string
			for _, k := range ix.KeySchema {
				keys = append(keys, k.AttributeName+" "+k.KeyType)
			}
			gotIndexes = append(gotIndexes, ix.IndexName+": "+strings.Join(keys, ",")+" "+ix.Projection.ProjectionType)
		}
		var wantIndexes []string
		if id == "UsersTable" {
			wantIndexes = []string{dynamostore.IdentityIndex + ": identity HASH KEYS_ONLY"}
		}
		if !slices.Equal(gotIndexes, wantIndexes) {
			t.Errorf("%s: global secondary indexes %q, want %q", id, gotIndexes, wantIndexes)
		}
		if p.BillingMode != "PAY_PER_REQUEST" || !p.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled || !p.SSESpecification.SSEEnabled {
			t.Errorf("%s: billing %q, PITR %v, SSE %v; want PAY_PER_REQUEST, PITR and SSE on", id,
				p.BillingMode, p.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, p.SSESpecification.SSEEnabled)
		}
	}
}

// checkRetention: the tables and the signing secret outlive the stack (sam delete) and a
// replacement, and the tables refuse DeleteTable, unless RetainData=false asks otherwise for a
// throwaway stack. The policies are read resolved, as AWS::LanguageExtensions leaves them.
func checkRetention(t *testing.T, cfn template, keep bool) {
	t.Helper()
	want := "Delete"
	if keep {
		want = "Retain"
	}
	kept := []string{"JwtSecret", "RevocationTable", "UsersTable", "PublicKeysTable"}
	for _, id := range kept {
		r := cfn.Resources[id]
		if r.DeletionPolicy != want || r.UpdateReplacePolicy != want {
			t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v; want %s", id, r.DeletionPolicy, r.UpdateReplacePolicy, want)
		}
	}
	for id := range cfn.ofType("AWS::DynamoDB::Table") {
		var p struct{ DeletionProtectionEnabled any }
		decode(t, cfn.Resources[id].Properties, &p)
		if got := describe(p.DeletionProtectionEnabled); got != `{"Fn::If":["KeepData",true,false]}` {
			t.Errorf("%s: DeletionProtectionEnabled %s, want !If [KeepData, true, false]", id, got)
		}
	}
	if got := describe(cfn.Conditions["KeepData"]); got != `{"Fn::Equals":[{"Ref":"RetainData"},"true"]}` {
		t.Errorf("condition KeepData = %s, want it to follow RetainData", got)
	}
	// Anything else the stack holds state in would need the same care.
	for id, r := range cfn.Resources {
		switch r.Type {
		case "AWS::DynamoDB::Table", "AWS::SecretsManager::Secret", "AWS::KMS::Key", "AWS::S3::Bucket":
			if !slices.Contains(kept, id) {
				t.Errorf("%s (%s) holds data and has no retention check", id, r.Type)
			}
		}
	}
}

func checkSecret(t *testing.T, cfn template) {
	t.Helper()
	secrets := cfn.ofType("AWS::SecretsManager::Secret")
	var p map[string]json.RawMessage
	decode(t, secrets["JwtSecret"].Properties, &p)
	if len(secrets) != 1 || p["GenerateSecretString"] == nil {
		t.Fatalf("want one secret JwtSecret with GenerateSecretString, got %v", sortedKeys(secrets))
	}
	if _, ok := p["SecretString"]; ok {
		t.Errorf("JwtSecret has a SecretString: the key must be generated, never written in the template")
	}
	var gen struct {
		PasswordLength     int
		ExcludePunctuation bool
	}
	decode(t, p["GenerateSecretString"], &gen)
	if gen.PasswordLength != 64 || !gen.ExcludePunctuation {
		t.Errorf("GenerateSecretString = %+v, want 64 characters without punctuation", gen)
	}
}

func checkRESTAPI(t *testing.T, cfn template, authorizer, identity, wantTTL string) {
	t.Helper()
	var api struct{ Body openAPI }
	decode(t, cfn.Resources["JwtGateApi"].Properties, &api)
	auth := api.Body.Components.SecuritySchemes[authorizer]
	checkMap(t, authorizer, map[string]string{
		"authtype":       auth.AuthType,
		"type":           describe(auth.Authorizer["type"]),
		"identitySource": describe(auth.Authorizer["identitySource"]),
		"ttl":            describe(auth.Authorizer["authorizerResultTtlInSeconds"]),
	}, map[string]string{
		"authtype":       "custom",
		"type":           "request",
		"identitySource": identity,
		"ttl":            wantTTL,
	})
	// API Gateway's quota: 10 authorizers per REST API; SAM imports every
	// one of Auth.Authorizers (one per TokenLocation value), used or not.
	if n := len(api.Body.Components.SecuritySchemes); n > 10 {
		t.Errorf("%d authorizers in the API, API Gateway allows 10", n)
	}
	checkRoutes(t, api.Body, authorizer, "")
	checkPreflights(t, api.Body)
	checkAuthorizerPermission(t, cfn)

	const contentType = "gatewayresponse.header.Content-Type"
	// The bodies' key is the ErrorMessageKey parameter (JWT_ERROR_MESSAGE_KEY).
	wantResponses := map[string]string{
		"ACCESS_DENIED":                  `401 {"Fn::Sub":"{\"${ErrorMessageKey}\":\"$context.authorizer.msg\"}"}`,
		"UNAUTHORIZED":                   `401 {"Fn::Sub":"{\"${ErrorMessageKey}\":\"Missing cookie \\\"${AccessCookieName}\\\"\"}"}`,
		"AUTHORIZER_FAILURE":             `503 {"Fn::Sub":"{\"${ErrorMessageKey}\":\"Authorization service unavailable\"}"}`,
		"AUTHORIZER_CONFIGURATION_ERROR": `503 {"Fn::Sub":"{\"${ErrorMessageKey}\":\"Authorization service unavailable\"}"}`,
		"THROTTLED":                      `429 {"Fn::Sub":"{\"${ErrorMessageKey}\":\"Too many requests, try again later\"}"}`,
	}
	got := map[string]string{}
	for name, r := range api.Body.GatewayResponses {
		got[name] = r.StatusCode + " " + describe(r.ResponseTemplates["application/json"])
		if ct := r.ResponseParameters[contentType]; ct != "'application/json'" {
			t.Errorf("gateway response %s: Content-Type %q, want 'application/json'", name, ct)
		}
		// Cross-origin front ends must be able to read a 401 to refresh:
		// the CORS headers are there exactly when CorsAllowOrigin is set.
		for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials"} {
			v, _ := json.Marshal(r.ResponseParameters["gatewayresponse.header."+h])
			if !strings.Contains(string(v), `"Fn::If":["HasCors"`) {
				t.Errorf("gateway response %s: %s = %s, want conditional on HasCors", name, h, v)
			}
		}
	}
	checkMap(t, "gateway responses", got, wantResponses)

	var stage struct {
		StageName      any
		MethodSettings []struct {
			ResourcePath, HttpMethod                  string
			ThrottlingRateLimit, ThrottlingBurstLimit any
		}
	}
	decode(t, cfn.Resources["JwtGateApiStage"].Properties, &stage)
	if len(stage.MethodSettings) != 1 || stage.MethodSettings[0].ResourcePath != "/~1login" || stage.MethodSettings[0].HttpMethod != "POST" ||
		describe(stage.MethodSettings[0].ThrottlingRateLimit) != "!Ref LoginThrottleRate" ||
		describe(stage.MethodSettings[0].ThrottlingBurstLimit) != "!Ref LoginThrottleBurst" {
		t.Errorf("stage method settings %+v, want POST /~1login throttled by the Login* parameters", stage.MethodSettings)
	}
	if stages := cfn.ofType("AWS::ApiGateway::Stage"); len(stages) != 1 {
		t.Errorf("stages %v, want only JwtGateApiStage", sortedKeys(stages))
	}
}

func checkHTTPAPI(t *testing.T, cfn template, authorizer, identity, wantTTL string) {
	t.Helper()
	var api struct{ Body openAPI }
	decode(t, cfn.Resources["JwtGateHttpApi"].Properties, &api)
	auth := api.Body.Components.SecuritySchemes[authorizer]
	checkMap(t, authorizer, map[string]string{
		"type":           describe(auth.Authorizer["type"]),
		"identitySource": describe(auth.Authorizer["identitySource"]),
		"ttl":            describe(auth.Authorizer["authorizerResultTtlInSeconds"]),
		"payload":        describe(auth.Authorizer["authorizerPayloadFormatVersion"]),
		"simple":         describe(auth.Authorizer["enableSimpleResponses"]),
	}, map[string]string{
		"type":           "request",
		"identitySource": identity,
		"ttl":            wantTTL,
		"payload":        "2.0",
		"simple":         "true",
	})
	checkRoutes(t, api.Body, authorizer, "2.0")
	checkAuthorizerPermission(t, cfn)

	var stage struct{ RouteSettings map[string]map[string]any }
	decode(t, cfn.Resources["JwtGateHttpApiStage"].Properties, &stage)
	login := stage.RouteSettings["POST /login"]
	if describe(login["ThrottlingRateLimit"]) != "!Ref LoginThrottleRate" || describe(login["ThrottlingBurstLimit"]) != "!Ref LoginThrottleBurst" {
		t.Errorf("stage route settings %v, want POST /login throttled by the Login* parameters", stage.RouteSettings)
	}
}

// checkRoutes compares the API's operations with wantRoutes: which authorizer guards each and
// which function it invokes (with the given payload format version, if any).
func checkRoutes(t *testing.T, body openAPI, authorizer, payload string) {
	t.Helper()
	got := map[string]string{}
	for path, ops := range body.Paths {
		for method, op := range ops {
			var security []string
			for _, req := range op.Security {
				security = append(security, sortedKeys(req)...)
			}
			uri := describe(op.Integration.URI)
			if strings.EqualFold(method, "options") {
				// CORS preflights (template Cors): a mock integration that
				// must not meet the cookie authorizer, since preflights carry
				// no cookies.
				if len(security) != 0 || op.Integration.Type != "mock" {
					t.Errorf("OPTIONS %s: security %v, integration %q; want none and mock", path, security, op.Integration.Type)
				}
				continue
			}
			function := "?"
			for id := range wantPermissions {
				if strings.Contains(uri, "${"+id+".Arn}") {
					function = id
				}
			}
			got[strings.ToUpper(method)+" "+path] = fmt.Sprintf("%s %s %s", strings.Join(security, ","), function, op.Integration.PayloadFormatVersion)
		}
	}
	want := map[string]string{}
	for r, w := range wantRoutes {
		if w.authorizer == guarded {
			w.authorizer = authorizer
		}
		want[r] = fmt.Sprintf("%s %s %s", w.authorizer, w.function, payload)
	}
	checkMap(t, "routes (authorizer, function, payload)", got, want)
}

// checkPreflights: API Gateway answers every path's OPTIONS with the template's Cors, the
// origin present exactly when CorsAllowOrigin is set. (A Cors given as !If once made SAM put
// the whole map into Access-Control-Allow-Origin, with SAM's default methods and no
// credentials header: no browser could pass that preflight.)
func checkPreflights(t *testing.T, body openAPI) {
	t.Helper()
	want := map[string]string{
		"Access-Control-Allow-Origin":      `{"Fn::If":["HasCors",{"Fn::Sub":"'${CorsAllowOrigin}'"},{"Ref":"AWS::NoValue"}]}`,
		"Access-Control-Allow-Credentials": "'true'",
		"Access-Control-Allow-Headers":     "'Content-Type,X-CSRF-TOKEN'",
		"Access-Control-Allow-Methods":     "'GET,POST,PUT,PATCH,DELETE,OPTIONS'",
		"Access-Control-Max-Age":           "'600'",
	}
	for path, ops := range body.Paths {
		op, ok := ops["options"]
		if !ok {
			t.Errorf("%s: no OPTIONS method for preflights", path)
			continue
		}
		r := op.Integration.Responses["default"]
		got := map[string]string{}
		for k, v := range r.ResponseParameters {
			got[strings.TrimPrefix(k, "method.response.header.")] = describe(v)
		}
		if r.StatusCode != "200" {
			t.Errorf("OPTIONS %s: status %q, want 200", path, r.StatusCode)
		}
		checkMap(t, "OPTIONS "+path+" headers", got, want)
	}
}

// checkAuthorizerPermission: without a Lambda permission API Gateway cannot call the
// authorizer and every guarded route fails.
func checkAuthorizerPermission(t *testing.T, cfn template) {
	t.Helper()
	for _, p := range cfn.ofType("AWS::Lambda::Permission") {
		var perm struct{ FunctionName, Principal any }
		decode(t, p.Properties, &perm)
		if describe(perm.FunctionName) == "!GetAtt AuthorizerFunction.Arn" && perm.Principal == "apigateway.amazonaws.com" {
			return
		}
	}
	t.Errorf("no AWS::Lambda::Permission lets API Gateway invoke AuthorizerFunction")
}

// checkAccessLog: with AccessLog=true the stage writes one JSON line per
// request, naming the authorized user, into the stack's 30-day log group;
// by default (the account may lack API Gateway's CloudWatch role) nothing.
func checkAccessLog(t *testing.T, cfn template, stageType, property, userVar string) {
	t.Helper()
	if got, _ := json.Marshal(cfn.Conditions["HasAccessLog"]); string(got) != `{"Fn::Equals":[{"Ref":"AccessLog"},"true"]}` {
		t.Errorf("condition HasAccessLog = %s, want AccessLog = \"true\"", got)
	}
	group, ok := cfn.Resources["AccessLogGroup"]
	var props struct{ RetentionInDays int }
	if ok {
		decode(t, group.Properties, &props)
	}
	if !ok || group.Type != "AWS::Logs::LogGroup" || group.Condition != "HasAccessLog" || props.RetentionInDays != 30 {
		t.Errorf("AccessLogGroup = %+v (retention %d), want a 30-day log group under HasAccessLog", group, props.RetentionInDays)
	}
	stages := cfn.ofType(stageType)
	if len(stages) != 1 {
		t.Fatalf("%d %s, want 1", len(stages), stageType)
	}
	for id, st := range stages {
		var p map[string]json.RawMessage
		decode(t, st.Properties, &p)
		var cond struct {
			If []json.RawMessage `json:"Fn::If"`
		}
		var name string
		var otherwise struct{ Ref string }
		if err := json.Unmarshal(p[property], &cond); err != nil || len(cond.If) != 3 ||
			json.Unmarshal(cond.If[0], &name) != nil || name != "HasAccessLog" ||
			json.Unmarshal(cond.If[2], &otherwise) != nil || otherwise.Ref != "AWS::NoValue" {
			t.Fatalf("%s.%s = %s, want Fn::If HasAccessLog, setting, NoValue", id, property, p[property])
		}
		var setting struct {
			DestinationArn any
			Format         string
		}
		decode(t, cond.If[1], &setting)
		if describe(setting.DestinationArn) != "!GetAtt AccessLogGroup.Arn" {
			t.Errorf("%s access log goes to %v, want the AccessLogGroup", id, setting.DestinationArn)
		}
		// API Gateway requires $context.requestId; with every variable
		// filled in, the line must be one JSON object.
		line := regexp.MustCompile(`\$context\.[A-Za-z.]+`).ReplaceAllString(setting.Format, "x")
		var fields map[string]string
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			t.Errorf("%s access log format is not one JSON object: %v: %s", id, err, setting.Format)
		}
		for _, v := range []string{"$context.requestId", "$context.status", userVar} {
			if !strings.Contains(setting.Format, `"`+v+`"`) {
				t.Errorf("%s access log format lacks %s: %s", id, v, setting.Format)
			}
		}
	}
}

// template is the part of a CloudFormation template the tests read.
type template struct {
	Parameters map[string]struct{ Default any }
	Rules      map[string]struct {
		RuleCondition any
		Assertions    []struct {
			Assert            any
			AssertDescription string
		}
	}
	Conditions map[string]any
	Resources  map[string]resource
}

// failedRules evaluates the template's Rules as CloudFormation does before a
// deploy, with params over the parameters' defaults, and returns the
// descriptions of the assertions that fail.
func (c template) failedRules(t *testing.T, params map[string]string) []string {
	t.Helper()
	value := func(name string) string {
		if v, ok := params[name]; ok {
			return v
		}
		p, ok := c.Parameters[name]
		if !ok {
			t.Fatalf("rule refers to unknown parameter %q", name)
		}
		return describe(p.Default)
	}
	var eval func(v any) any
	eval = func(v any) any {
		m, ok := v.(map[string]any)
		if !ok || len(m) != 1 {
			return v
		}
		for fn, arg := range m {
			args, _ := arg.([]any)
			switch fn {
			case "Ref":
				return value(arg.(string))
			case "Fn::Equals":
				return describe(eval(args[0])) == describe(eval(args[1]))
			case "Fn::Not":
				return !eval(args[0]).(bool)
			case "Fn::And", "Fn::Or":
				all, anyTrue := true, false
				for _, a := range args {
					b := eval(a).(bool)
					all, anyTrue = all && b, anyTrue || b
				}
				return fn == "Fn::And" && all || fn == "Fn::Or" && anyTrue
			}
			t.Fatalf("rule function %s is not evaluated by this test", fn)
		}
		return nil
	}
	var failed []string
	for _, name := range sortedKeys(c.Rules) {
		r := c.Rules[name]
		if r.RuleCondition != nil && !eval(r.RuleCondition).(bool) {
			continue
		}
		for _, a := range r.Assertions {
			if !eval(a.Assert).(bool) {
				failed = append(failed, name+": "+a.AssertDescription)
			}
		}
	}
	return failed
}

// TestTemplateRules: CloudFormation refuses, before deploying, role rules
// together with an authorizer cache (issue 12 item 8): a cached answer is
// reused for every route sharing the Cookie header, so it cannot carry a
// route's role decision. The authorizer refuses the pair at start as well
// (shared/runtime/config).
func TestTemplateRules(t *testing.T) {
	cfn := translate(t, restTemplate)
	for _, tc := range []struct {
		name   string
		params map[string]string
		refuse bool
	}{
		{"defaults", nil, false},
		{"cache with the default rule", map[string]string{"AuthorizerCacheTtl": "300"}, true},
		{"cache with a rule", map[string]string{"AuthorizerCacheTtl": "60", "RoleRules": "ANY /reports*=auditor"}, true},
		{"cache without rules", map[string]string{"AuthorizerCacheTtl": "300", "RoleRules": ""}, false},
		{"rules without cache", map[string]string{"AuthorizerCacheTtl": "0", "RoleRules": "ANY /reports*=auditor"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failed := cfn.failedRules(t, tc.params)
			if tc.refuse != (len(failed) > 0) {
				t.Fatalf("parameters %v: failed rules %q, want refused = %v", tc.params, failed, tc.refuse)
			}
			if tc.refuse && !strings.Contains(failed[0], "RoleRules cannot be enforced with AuthorizerCacheTtl above 0") {
				t.Errorf("refusal %q does not say why", failed[0])
			}
		})
	}
}

type resource struct {
	Type                string
	Condition           string
	DeletionPolicy      any
	UpdateReplacePolicy any
	Properties          json.RawMessage
	Metadata            map[string]any
}

// params turns Name=Value overrides into a map.
func params(kvs []string) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out
}

// resolve decides every Fn::If in raw as CloudFormation would for params
// (other parameters at their defaults) and drops the AWS::NoValue left, so
// a conditional grant is asserted as deployed, never skipped.
func (c template) resolve(t *testing.T, raw json.RawMessage, params map[string]string) json.RawMessage {
	t.Helper()
	var v any
	decode(t, raw, &v)
	var walk func(any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			if branches, ok := v["Fn::If"].([]any); ok && len(v) == 1 && len(branches) == 3 {
				if c.condition(t, branches[0].(string), params) {
					return walk(branches[1])
				}
				return walk(branches[2])
			}
			out := map[string]any{}
			for k, e := range v {
				if w := walk(e); !isNoValue(w) {
					out[k] = w
				}
			}
			return out
		case []any:
			out := []any{}
			for _, e := range v {
				if w := walk(e); !isNoValue(w) {
					out = append(out, w)
				}
			}
			return out
		}
		return v
	}
	b, err := json.Marshal(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func isNoValue(v any) bool {
	m, ok := v.(map[string]any)
	return ok && len(m) == 1 && m["Ref"] == "AWS::NoValue"
}

// condition evaluates a named condition (Fn::Equals, Fn::Or, Fn::And,
// Fn::Not, Condition, Ref of a parameter).
func (c template) condition(t *testing.T, name string, params map[string]string) bool {
	t.Helper()
	var eval func(any) any
	eval = func(v any) any {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		for fn, arg := range m {
			args, _ := arg.([]any)
			switch fn {
			case "Ref":
				if p, ok := params[arg.(string)]; ok {
					return p
				}
				if def, ok := c.Parameters[arg.(string)]; ok {
					return describe(def.Default)
				}
				t.Fatalf("condition %s: unknown parameter %v", name, arg)
			case "Condition":
				return c.condition(t, arg.(string), params)
			case "Fn::Equals":
				return fmt.Sprint(eval(args[0])) == fmt.Sprint(eval(args[1]))
			case "Fn::Not":
				return !eval(args[0]).(bool)
			case "Fn::Or", "Fn::And":
				all, any := true, false
				for _, a := range args {
					b := eval(a).(bool)
					all, any = all && b, any || b
				}
				return map[bool]bool{true: any, false: all}[fn == "Fn::Or"]
			}
		}
		t.Fatalf("condition %s: cannot evaluate %v", name, v)
		return nil
	}
	cond, ok := c.Conditions[name]
	if !ok {
		t.Fatalf("no condition %s", name)
	}
	return eval(cond).(bool)
}

func (c template) ofType(typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range c.Resources {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}

type lambdaFunction struct {
	Runtime       string
	Architectures []string
	Handler       string
	MemorySize    int
	Timeout       int
	Role          any
	Environment   struct{ Variables map[string]any }
}

type iamRole struct {
	ManagedPolicyArns []string
	Policies          []struct {
		PolicyDocument struct{ Statement []statement }
	}
}

type statement struct {
	Effect    string
	Action    any // a string or a list of strings
	Resource  any
	Condition map[string]map[string]any
}

// leadingKeys returns the dynamodb:LeadingKeys patterns the statement is
// limited to (nil without that condition). Only ForAllValues:StringLike
// limits a key to its patterns; any other form of the condition is an error.
func (s statement) leadingKeys() ([]string, error) {
	var out []string
	for op, conds := range s.Condition {
		v, ok := conds["dynamodb:LeadingKeys"]
		if !ok {
			continue
		}
		if op != "ForAllValues:StringLike" && op != "ForAllValues:StringEquals" {
			return nil, fmt.Errorf("dynamodb:LeadingKeys under %s, want ForAllValues:StringLike", op)
		}
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("dynamodb:LeadingKeys = %v, want a list", v)
		}
		for _, k := range list {
			out = append(out, fmt.Sprint(k))
		}
	}
	return out, nil
}

func (s statement) actions() []string {
	switch a := s.Action.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, v := range a {
			out = append(out, fmt.Sprint(v))
		}
		return out
	}
	return []string{describe(s.Action)}
}

type dynamoTable struct {
	BillingMode            string
	GlobalSecondaryIndexes []struct {
		IndexName  string
		KeySchema  []struct{ AttributeName, KeyType string }
		Projection struct{ ProjectionType string }
	}
	KeySchema               []struct{ AttributeName, KeyType string }
	AttributeDefinitions    []struct{ AttributeName, AttributeType string }
	TimeToLiveSpecification struct {
		AttributeName string
		Enabled       bool
	}
	PointInTimeRecoverySpecification struct{ PointInTimeRecoveryEnabled bool }
	SSESpecification                 struct{ SSEEnabled bool }
}

// openAPI is the part of the API definition SAM generates that the tests read.
type openAPI struct {
	Components struct {
		SecuritySchemes map[string]struct {
			AuthType   string         `json:"x-amazon-apigateway-authtype"`
			Authorizer map[string]any `json:"x-amazon-apigateway-authorizer"`
		}
	}
	Paths map[string]map[string]struct {
		Security    []map[string][]string
		Integration struct {
			URI                  any
			PayloadFormatVersion string
			Type                 string
			Responses            map[string]struct {
				StatusCode         string
				ResponseParameters map[string]any
			}
		} `json:"x-amazon-apigateway-integration"`
	}
	GatewayResponses map[string]struct {
		StatusCode         string
		ResponseTemplates  map[string]any
		ResponseParameters map[string]any
	} `json:"x-amazon-apigateway-gateway-responses"`
}

// translate runs testdata/translate_template.py, which turns a SAM template into the
// CloudFormation the SAM translator generates for it. params are Name=Value overrides.
func translate(t *testing.T, file string, params ...string) template {
	t.Helper()
	cmd := command(t, "python3", append([]string{"testdata/translate_template.py", file}, params...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("translate %s: %v\n%s", file, err, stderr.Bytes())
	}
	var cfn template
	if err := json.Unmarshal(out, &cfn); err != nil {
		t.Fatalf("translate %s: %v", file, err)
	}
	return cfn
}

// command returns a command for a tool these tests need; a missing tool fails the test,
// never skips it, so CI cannot pass without checking the templates.
func command(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is required to check the templates: %v", name, err)
	}
	return exec.Command(name, args...)
}

func decode(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// describe prints a CloudFormation value the way the templates are written: a string or
// number as itself, {"Ref": X} as "!Ref X", {"Fn::GetAtt": [X, A]} as "!GetAtt X.A", the
// SAM policy templates' {"Fn::Sub": ["${v}", {"v": {"Ref": X}}]} as X, and anything else
// as JSON.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64, bool:
		return fmt.Sprint(v)
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok && len(v) == 1 {
			return "!Ref " + ref
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(v) == 1 && len(att) == 2 {
			return fmt.Sprintf("!GetAtt %v.%v", att[0], att[1])
		}
		if sub, ok := v["Fn::Sub"].([]any); ok && len(sub) == 2 {
			if vars, ok := sub[1].(map[string]any); ok && len(vars) == 1 {
				for name, val := range vars {
					if sub[0] == "${"+name+"}" {
						return strings.TrimPrefix(describe(val), "!Ref ")
					}
				}
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// arnOf names the resource whose ARN v is (!GetAtt X.Arn, or a secret's !Ref X), else
// describes v.
func arnOf(v any) string {
	d := describe(v)
	if strings.HasPrefix(d, "!GetAtt ") && strings.HasSuffix(d, ".Arn") {
		return strings.TrimSuffix(strings.TrimPrefix(d, "!GetAtt "), ".Arn")
	}
	// An index of a table: !Sub "${Table.Arn}/index/name".
	if m := subArn.FindStringSubmatch(d); m != nil {
		return m[1] + m[2]
	}
	return d
}

// subArn is how describe prints !Sub "${Table.Arn}/index/name".
var subArn = regexp.MustCompile(`^\{"Fn::Sub":"\$\{([A-Za-z0-9]+)\.Arn\}(/index/[A-Za-z0-9_.-]+)"\}$`)

// checkMap reports every key whose value differs between got and want.
func checkMap(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for _, k := range sortedKeys(want) {
		if g, ok := got[k]; !ok {
			t.Errorf("%s: %s missing, want %q", what, k, want[k])
		} else if g != want[k] {
			t.Errorf("%s: %s = %q, want %q", what, k, g, want[k])
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %s = %q", what, k, got[k])
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// TestEveryFunctionHasABuild: the list of functions is the template's alone, so each function of
// both templates, and of template.yaml with the examples pasted in, must have what sam build runs
// for it: the Makefile's build-<LogicalId> (the naming rule) for the Go ones, its own CodeUri
// holding the handler's module for the Python ones.
func TestEveryFunctionHasABuild(t *testing.T) {
	rest, err := os.ReadFile(restTemplate)
	if err != nil {
		t.Fatal(err)
	}
	snippet, err := os.ReadFile("examples/template-snippet.yaml")
	if err != nil {
		t.Fatal(err)
	}
	withExamples, err := samtemplate.WithResources(rest, snippet)
	if err != nil {
		t.Fatal(err)
	}
	httpapi, err := os.ReadFile(httpTemplate)
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string][]byte{restTemplate: rest, httpTemplate: httpapi, "template.yaml with examples": withExamples} {
		t.Run(name, func(t *testing.T) {
			tmpl, err := samtemplate.Parse(src)
			if err != nil {
				t.Fatal(err)
			}
			if len(tmpl.Functions) == 0 {
				t.Fatal("no functions")
			}
			for _, id := range tmpl.FunctionIDs() {
				fn := tmpl.Functions[id]
				t.Run(id, func(t *testing.T) {
					switch {
					case fn.BuildMethod == "makefile":
						if fn.CodeUri != "." {
							t.Errorf("CodeUri %q: the Makefile is at the root", fn.CodeUri)
						}
						checkMakeTarget(t, id)
					case strings.HasPrefix(fn.Runtime, "python3."):
						module, _, _ := strings.Cut(fn.Handler, ".")
						if fn.CodeUri == "." || fn.CodeUri == "" {
							t.Errorf("CodeUri %q: sam's Python builder would pack the whole tree", fn.CodeUri)
						}
						if _, err := os.Stat(filepath.Join(fn.CodeUri, module+".py")); err != nil {
							t.Errorf("Handler %s: %v", fn.Handler, err)
						}
					default:
						t.Errorf("runtime %q, BuildMethod %q: no build for it", fn.Runtime, fn.BuildMethod)
					}
				})
			}
		})
	}
}

// TestSamBuildInputs shows what sam build reads. samconfig.toml has it run each make target in
// the tree (build_in_source) rather than copy the tree, .tools/ and .bench/ included, once per
// function; a target run in a copy holding only go.mod, go.sum, the Makefile, functions/ and
// shared/runtime/ (no tests, no testdata) builds its function and writes nothing but bootstrap
// into ARTIFACTS_DIR, the function's package; and every function's package graph reads files
// of the repository only under functions/ and shared/runtime/.
func TestSamBuildInputs(t *testing.T) {
	cfg, err := os.ReadFile("samconfig.toml")
	if err != nil {
		t.Fatal(err)
	}
	section := ""
	inSource := false
	for _, line := range strings.Split(string(cfg), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = line
		}
		if section == "[default.build.parameters]" && strings.ReplaceAll(line, " ", "") == "build_in_source=true" {
			inSource = true
		}
	}
	if !inSource {
		t.Errorf("samconfig.toml: [default.build.parameters] has no build_in_source = true")
	}

	tree := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum", "Makefile"} {
		copyFile(t, f, filepath.Join(tree, f))
	}
	for _, dir := range []string{"functions", filepath.Join("shared", "runtime")} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && d.Name() == "testdata":
				return filepath.SkipDir
			case d.IsDir() || strings.HasSuffix(path, "_test.go"):
				return nil
			}
			copyFile(t, path, filepath.Join(tree, path))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// One real build there (they all take minutes on a shared machine), then the file set of
	// every function's package graph, which is what any of its builds reads of the repository.
	artifacts := t.TempDir()
	cmd := command(t, "make", "--no-print-directory", "build-AuthorizerFunction", "ARTIFACTS_DIR="+artifacts)
	cmd.Dir = tree
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("make build-AuthorizerFunction in a tree of go.mod, go.sum, Makefile, functions/ and shared/runtime/ only: %v\n%s", err, out)
	}
	if entries, _ := os.ReadDir(artifacts); len(entries) != 1 || entries[0].Name() != "bootstrap" {
		t.Errorf("build-AuthorizerFunction wrote %v into ARTIFACTS_DIR, want bootstrap only", entries)
	}
	tmpl, err := samtemplate.Parse([]byte(jwtgate.Template))
	if err != nil {
		t.Fatal(err)
	}
	root, _ := os.Getwd()
	for _, id := range tmpl.FunctionIDs() {
		cmd := command(t, "go", "list", "-deps", "-tags", "lambda.norpc",
			"-f", `{{if .Module}}{{if .Module.Main}}{{range .GoFiles}}{{$.Dir}}/{{.}} {{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}} {{end}}{{end}}{{end}}`,
			functionDir(id))
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", functionDir(id), err)
		}
		files := strings.Fields(string(out))
		if len(files) == 0 {
			t.Errorf("%s: go list found no files", id)
		}
		for _, f := range files {
			rel, _ := filepath.Rel(root, f)
			if !strings.HasPrefix(rel, "functions"+string(filepath.Separator)) && !strings.HasPrefix(rel, filepath.Join("shared", "runtime")+string(filepath.Separator)) {
				t.Errorf("%s's build reads %s, outside functions/ and shared/runtime/", id, rel)
			}
		}
	}
}

// TestCorsOriginPattern: CloudFormation refuses a CorsAllowOrigin the
// functions would refuse at start (cors.Parse), so a bad origin fails the
// deploy instead of every cold start. Issue 12 item 14: plain http only on
// this machine.
func TestCorsOriginPattern(t *testing.T) {
	origins := []string{
		"", "https://app.example.com", "https://app.example.com:8443", "http://localhost:5173",
		"http://localhost", "http://app.localhost:5173", "http://127.0.0.1:5173", "http://127.0.0.2", "http://[::1]:8080",
		"http://app.example.com", "http://192.168.1.10:5173", "http://localhost.example.com",
		"http://10.0.0.1", "https://app.example.com/path", "*", "null", "ftp://app.example.com",
	}
	for _, file := range []string{restTemplate, httpTemplate} {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Parameters map[string]struct {
				AllowedPattern string `yaml:"AllowedPattern"`
			} `yaml:"Parameters"`
		}
		if err := yaml.Unmarshal(src, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		pattern := doc.Parameters["CorsAllowOrigin"].AllowedPattern
		re, err := regexp.Compile(pattern)
		if err != nil || pattern == "" {
			t.Fatalf("%s: CorsAllowOrigin AllowedPattern %q: %v", file, pattern, err)
		}
		for _, o := range origins {
			_, perr := cors.Parse(o)
			if got, want := re.MatchString(o), perr == nil; got != want {
				t.Errorf("%s: CorsAllowOrigin %q: template accepts %v, cors.Parse accepts %v (%v)", file, o, got, want, perr)
			}
		}
		for _, o := range []string{"http://app.example.com", "http://192.168.1.10:5173"} {
			if _, err := cors.Parse(o); !errors.Is(err, cors.ErrInsecureOrigin) {
				t.Errorf("cors.Parse(%q) = %v, want ErrInsecureOrigin", o, err)
			}
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
