package devserver_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jwtgate/jwtgate"
)

// probeTemplate is the real template with one more route, ANY /probe, on
// the demo function behind the authorizer, so CSRF can be checked on PUT,
// PATCH and DELETE over the real HTTP path. The demo function answers an
// authorized request to it with 404 {"msg":"Not found"}: that answer means
// "the authorizer let it through".
func probeTemplate(t *testing.T) string {
	t.Helper()
	anchor := "        Admin:\n          Type: Api\n"
	if strings.Count(jwtgate.Template, anchor) != 1 {
		t.Fatalf("template.yaml changed: the ProtectedFunction Admin event (%q) is not found exactly once", anchor)
	}
	probe := "        Probe:\n          Type: Api\n          Properties:\n            RestApiId: !Ref JwtGateApi\n" +
		"            Path: /probe\n            Method: ANY\n"
	return strings.Replace(jwtgate.Template, anchor, probe+anchor, 1)
}

var passed = msg("Not found") // the probe route's answer once authorized

// attackCase is one request and the exact answer it must get.
type attackCase struct {
	name    string
	method  string
	path    string
	headers map[string]string
	status  int
	body    string
}

func runCases(t *testing.T, h *harness, cases []attackCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method, path := tc.method, tc.path
			if method == "" {
				method, path = "GET", "/protected"
			}
			expect(t, method+" "+path, h.raw(method, path, "", tc.headers), tc.status, tc.body)
		})
	}
}

func ac(tok string) map[string]string { return cookieHeader(accessCookie + "=" + tok) }

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// TestAttackTokens sends forged, tampered and malformed tokens in the access
// cookie of GET /protected.
func TestAttackTokens(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	b.login("testuser", "testpass")
	real := b.cookie(accessCookie)
	parts := strings.Split(real, ".")
	hdr, payload, sig := parts[0], parts[1], parts[2]
	now := h.Clock.Now()
	ok := `{"logged_in_as":"testuser"}`
	algMsg := msg("The specified alg value is not allowed")
	sigMsg := msg("Signature verification failed")
	unknownKey := msg("Unknown signing key")
	kidType := msg("Key ID header parameter must be a string")

	adminClaims := claimsOf(t, real)
	adminClaims["sub"], adminClaims["roles"] = "admin", []string{"admin", "user"}
	adminPayload, _ := json.Marshal(adminClaims)

	without := func(claim string) jwt.MapClaims {
		c := validClaims(now, "testuser")
		delete(c, claim)
		return c
	}
	with := func(claim string, v any) jwt.MapClaims {
		c := validClaims(now, "testuser")
		c[claim] = v
		return c
	}

	runCases(t, h, []attackCase{
		{name: "control: real token", headers: ac(real), status: 200, body: ok},
		{name: "control: forged with the real key", headers: ac(sign(t, validClaims(now, "testuser"), testSecret, nil)), status: 200, body: ok},

		{name: "alg none", headers: ac(b64(`{"alg":"none","typ":"JWT"}`) + "." + payload + "."), status: 401, body: algMsg},
		{name: "alg None", headers: ac(b64(`{"alg":"None","typ":"JWT"}`) + "." + payload + "."), status: 401, body: algMsg},
		{name: "alg NONE", headers: ac(b64(`{"alg":"NONE","typ":"JWT"}`) + "." + payload + "."), status: 401, body: algMsg},
		{name: "alg none, signature kept", headers: ac(b64(`{"alg":"none","typ":"JWT"}`) + "." + payload + "." + sig), status: 401, body: algMsg},
		{name: "alg HS512 (not allowed)", headers: ac(b64(`{"alg":"HS512","typ":"JWT"}`) + "." + payload + "." + sig), status: 401, body: algMsg},
		{name: "alg missing", headers: ac(b64(`{"typ":"JWT"}`) + "." + payload + "." + sig), status: 401, body: algMsg},

		{name: "HS256 with another secret", headers: ac(sign(t, validClaims(now, "testuser"), otherSecret, nil)), status: 401, body: sigMsg},
		{name: "HS256 with another secret, admin", headers: ac(sign(t, validClaims(now, "admin", "admin"), otherSecret, nil)), status: 401, body: sigMsg},

		{name: "kid path traversal", headers: ac(sign(t, validClaims(now, "testuser"), testSecret, map[string]any{"kid": "../../etc/passwd"})), status: 401, body: unknownKey},
		{name: "kid SQL", headers: ac(sign(t, validClaims(now, "testuser"), testSecret, map[string]any{"kid": "' OR '1'='1"})), status: 401, body: unknownKey},
		{name: "kid very long", headers: ac(sign(t, validClaims(now, "testuser"), testSecret, map[string]any{"kid": strings.Repeat("k", 4000)})), status: 401, body: unknownKey},
		// PyJWT's check: a kid must be a string (null is no kid at all).
		{name: "kid number", headers: ac(sign(t, validClaims(now, "testuser"), testSecret, map[string]any{"kid": 0})), status: 401, body: kidType},
		{name: "kid object", headers: ac(sign(t, validClaims(now, "testuser"), testSecret, map[string]any{"kid": map[string]string{"": ""}})), status: 401, body: kidType},
		{name: "kid null", headers: ac(sign(t, validClaims(now, "testuser"), testSecret, map[string]any{"kid": nil})), status: 200, body: ok},
		{name: "kid array", headers: ac(sign(t, validClaims(now, "testuser"), testSecret, map[string]any{"kid": []string{""}})), status: 401, body: kidType},

		{name: "signature stripped, dot kept", headers: ac(hdr + "." + payload + "."), status: 401, body: sigMsg},
		{name: "signature stripped", headers: ac(hdr + "." + payload), status: 401, body: msg("Not enough segments")},
		{name: "four segments", headers: ac(real + ".x"), status: 401, body: msg("Not enough segments")},
		{name: "payload tampered: sub admin", headers: ac(hdr + "." + b64(string(adminPayload)) + "." + sig), status: 401, body: sigMsg},
		{name: "header tampered", headers: ac(b64(`{"typ":"JWT","alg":"HS256"}`) + "." + payload + "." + sig), status: 401, body: sigMsg},
		{name: "signature tampered", headers: ac(hdr + "." + payload + "." + strings.Repeat("A", len(sig))), status: 401, body: sigMsg},
		{name: "header not base64", headers: ac("!!!." + payload + "." + sig), status: 401, body: msg("Invalid header padding")},
		{name: "payload not JSON", headers: ac(hdr + "." + b64("not json") + "." + sig), status: 401, body: msg("Invalid payload string")},

		// flask's type rule: an access route takes every token but a refresh
		// token, typed or not (signed with the key, so not a forgery).
		{name: "other type", headers: ac(sign(t, with("type", "bogus"), testSecret, nil)), status: 200, body: ok},
		{name: "refresh type", headers: ac(sign(t, with("type", "refresh"), testSecret, nil)), status: 401, body: msg("Only non-refresh tokens are allowed")},
		{name: "non-string type", headers: ac(sign(t, with("type", 1), testSecret, nil)), status: 200, body: ok},
		{name: "missing type", headers: ac(sign(t, without("type"), testSecret, nil)), status: 200, body: ok},
		{name: "missing sub", headers: ac(sign(t, without("sub"), testSecret, nil)), status: 401, body: msg("Missing claim: sub")},
		{name: "empty sub", headers: ac(sign(t, with("sub", ""), testSecret, nil)), status: 401, body: msg("Missing claim: sub")},
		{name: "missing jti", headers: ac(sign(t, without("jti"), testSecret, nil)), status: 200, body: ok}, // flask: jti None
		{name: "missing sid", headers: ac(sign(t, without("sid"), testSecret, nil)), status: 401, body: msg("Missing claim: sid")},
		{name: "missing exp", headers: ac(sign(t, without("exp"), testSecret, nil)), status: 401, body: msg(`Token is missing the "exp" claim`)},
		{name: "missing iat", headers: ac(sign(t, without("iat"), testSecret, nil)), status: 401, body: msg("Missing claim: iat")},
		{name: "non-string sub", headers: ac(sign(t, with("sub", 42), testSecret, nil)), status: 401, body: msg("Subject must be a string")},
		{name: "array sub", headers: ac(sign(t, with("sub", []string{"admin"}), testSecret, nil)), status: 401, body: msg("Subject must be a string")},
		// The csrf claim only matters where CSRF is checked (unsafe methods):
		// flask accepts such a token on GET too. See TestAttackCSRF for POST.
		{name: "missing csrf on GET", headers: ac(sign(t, without("csrf"), testSecret, nil)), status: 200, body: ok},
	})
}

// TestAttackTime checks exp, nbf and iat with and without leeway.
func TestAttackTime(t *testing.T) {
	at := func(now time.Time, claim string, d time.Duration) jwt.MapClaims {
		c := validClaims(now, "testuser")
		c[claim] = now.Add(d).Unix()
		return c
	}
	ok := `{"logged_in_as":"testuser"}`
	expired, nbf, iat := msg("Token has expired"), msg("The token is not yet valid (nbf)"), msg("The token is not yet valid (iat)")
	t.Run("no leeway", func(t *testing.T) {
		h := newHarness(t, nil)
		now := h.Clock.Now()
		runCases(t, h, []attackCase{
			{name: "exp 1s ago", headers: ac(sign(t, at(now, "exp", -time.Second), testSecret, nil)), status: 401, body: expired},
			{name: "exp now", headers: ac(sign(t, at(now, "exp", 0), testSecret, nil)), status: 401, body: expired},
			{name: "nbf in 1s", headers: ac(sign(t, at(now, "nbf", time.Second), testSecret, nil)), status: 401, body: nbf},
			{name: "iat in 1s", headers: ac(sign(t, at(now, "iat", time.Second), testSecret, nil)), status: 401, body: iat},
			{name: "iat in a year", headers: ac(sign(t, at(now, "iat", 365*24*time.Hour), testSecret, nil)), status: 401, body: iat},
		})
	})
	t.Run("leeway 30s", func(t *testing.T) {
		h := newHarness(t, map[string]string{"JWT_DECODE_LEEWAY": "30"})
		now := h.Clock.Now()
		runCases(t, h, []attackCase{
			{name: "exp 10s ago", headers: ac(sign(t, at(now, "exp", -10*time.Second), testSecret, nil)), status: 200, body: ok},
			{name: "exp 31s ago", headers: ac(sign(t, at(now, "exp", -31*time.Second), testSecret, nil)), status: 401, body: expired},
			{name: "nbf in 10s", headers: ac(sign(t, at(now, "nbf", 10*time.Second), testSecret, nil)), status: 200, body: ok},
			{name: "nbf in 31s", headers: ac(sign(t, at(now, "nbf", 31*time.Second), testSecret, nil)), status: 401, body: nbf},
			{name: "iat in 10s", headers: ac(sign(t, at(now, "iat", 10*time.Second), testSecret, nil)), status: 200, body: ok},
			{name: "iat in 31s", headers: ac(sign(t, at(now, "iat", 31*time.Second), testSecret, nil)), status: 401, body: iat},
		})
		// A real login's token, past its lifetime plus the leeway.
		b := h.browser()
		b.login("testuser", "testpass")
		h.Clock.Advance(15*time.Minute + 20*time.Second)
		expect(t, "real token within leeway", b.do("GET", "/protected", "", nil), 200, ok)
		h.Clock.Advance(20 * time.Second)
		expect(t, "real token past leeway", b.do("GET", "/protected", "", nil), 401, expired)
	})
}

// TestAttackIssuerAudience runs with JWT_DECODE_ISSUER/AUDIENCE set.
func TestAttackIssuerAudience(t *testing.T) {
	h := newHarness(t, map[string]string{
		"JWT_ENCODE_ISSUER": "jwtgate-e2e", "JWT_DECODE_ISSUER": "jwtgate-e2e",
		"JWT_ENCODE_AUDIENCE": "jwtgate-app", "JWT_DECODE_AUDIENCE": "jwtgate-app",
	})
	b := h.browser()
	b.login("testuser", "testpass")
	expect(t, "real token", b.do("GET", "/protected", "", nil), 200, `{"logged_in_as":"testuser"}`)
	now := h.Clock.Now()
	claims := func(iss, aud any) jwt.MapClaims {
		c := validClaims(now, "testuser")
		if iss != nil {
			c["iss"] = iss
		}
		if aud != nil {
			c["aud"] = aud
		}
		return c
	}
	runCases(t, h, []attackCase{
		{name: "control", headers: ac(sign(t, claims("jwtgate-e2e", "jwtgate-app"), testSecret, nil)), status: 200, body: `{"logged_in_as":"testuser"}`},
		{name: "aud list", headers: ac(sign(t, claims("jwtgate-e2e", []string{"x", "jwtgate-app"}), testSecret, nil)), status: 200, body: `{"logged_in_as":"testuser"}`},
		{name: "wrong iss", headers: ac(sign(t, claims("evil", "jwtgate-app"), testSecret, nil)), status: 401, body: msg("Invalid issuer")},
		{name: "iss case", headers: ac(sign(t, claims("JWTGATE-E2E", "jwtgate-app"), testSecret, nil)), status: 401, body: msg("Invalid issuer")},
		{name: "wrong aud", headers: ac(sign(t, claims("jwtgate-e2e", "other-app"), testSecret, nil)), status: 401, body: msg("Invalid audience")},
		{name: "wrong aud list", headers: ac(sign(t, claims("jwtgate-e2e", []string{"a", "b"}), testSecret, nil)), status: 401, body: msg("Invalid audience")},
		{name: "missing iss", headers: ac(sign(t, claims(nil, "jwtgate-app"), testSecret, nil)), status: 401, body: msg(`Token is missing the "iss" claim`)},
		{name: "missing aud", headers: ac(sign(t, claims("jwtgate-e2e", nil), testSecret, nil)), status: 401, body: msg(`Token is missing the "aud" claim`)},
		{name: "wrong iss, expired", headers: ac(sign(t, jwt.MapClaims(func() jwt.MapClaims {
			c := claims("evil", "jwtgate-app")
			c["exp"] = now.Add(-time.Hour).Unix()
			return c
		}()), testSecret, nil)), status: 401, body: msg("Invalid issuer")},
	})
}

// TestAttackSize sends an oversized Cookie header and an oversized token:
// both are refused before any decoding. Durations are logged, not asserted.
func TestAttackSize(t *testing.T) {
	h := newHarness(t, nil)
	now := h.Clock.Now()
	big := validClaims(now, "testuser")
	big["pad"] = strings.Repeat("p", 100<<10)
	bigToken := sign(t, big, testSecret, nil)
	tooLarge := msg("Token is too large")
	for _, tc := range []struct {
		name   string
		cookie string
		body   string
	}{
		{"16 KiB access cookie", accessCookie + "=" + strings.Repeat("a", 16<<10), tooLarge},
		{"16 KiB of other cookies", "pad=" + strings.Repeat("a", 16<<10), msg(`Missing cookie "access_token_cookie"`)},
		{"100 KiB validly signed token", accessCookie + "=" + bigToken, tooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			began := time.Now()
			got := h.raw("GET", "/protected", "", cookieHeader(tc.cookie))
			t.Logf("%d-byte Cookie header answered in %v", len(tc.cookie), time.Since(began))
			expect(t, tc.name, got, 401, tc.body)
		})
	}
}

// TestAttackDuplicateCookies sends two access_token_cookie values, in one
// Cookie header and in two header lines, in both orders. net/http (and so
// jwtgate) takes the first; the answer is never an identity other than the
// valid token's, and a forged first value is refused, never skipped.
func TestAttackDuplicateCookies(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	b.login("testuser", "testpass")
	valid := accessCookie + "=" + b.cookie(accessCookie)
	now := h.Clock.Now()
	forgedSig := accessCookie + "=" + sign(t, validClaims(now, "admin", "admin", "user"), otherSecret, nil)
	forgedNone := accessCookie + "=" + b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(`{"sub":"admin"}`) + "."
	ok := `{"logged_in_as":"testuser"}`
	forbidden := msg("Forbidden: requires role admin")
	for _, tc := range []struct {
		name   string
		lines  []string
		path   string
		status int
		body   string
	}{
		{"valid+forged", []string{valid + "; " + forgedSig}, "/protected", 200, ok},
		{"valid+forged on /admin", []string{valid + "; " + forgedSig}, "/admin", 401, forbidden},
		{"forged+valid", []string{forgedSig + "; " + valid}, "/protected", 401, msg("Signature verification failed")},
		{"forged+valid on /admin", []string{forgedSig + "; " + valid}, "/admin", 401, msg("Signature verification failed")},
		{"none+valid", []string{forgedNone + "; " + valid}, "/admin", 401, msg("The specified alg value is not allowed")},
		{"empty+valid", []string{accessCookie + "=; " + valid}, "/protected", 401, msg(`Missing cookie "access_token_cookie"`)},
		{"two lines: valid, forged", []string{valid, forgedSig}, "/admin", 401, forbidden},
		{"two lines: forged, valid", []string{forgedSig, valid}, "/admin", 401, msg("Signature verification failed")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, tc.name, h.rawLines("GET", tc.path, "", http.Header{"Cookie": tc.lines}), tc.status, tc.body)
		})
	}
}

// TestAttackCookieAndHeader runs with JWT_TOKEN_LOCATION=cookies,headers:
// the cookie is looked at first and only a missing cookie falls through.
func TestAttackCookieAndHeader(t *testing.T) {
	h := newHarnessTemplate(t, probeTemplate(t), map[string]string{"JWT_TOKEN_LOCATION": "cookies,headers"})
	user, admin := h.browser(), h.browser()
	user.login("testuser", "testpass")
	admin.login("admin", "adminpass")
	userCookie := accessCookie + "=" + user.cookie(accessCookie)
	adminBearer := "Bearer " + admin.cookie(accessCookie)
	forged := accessCookie + "=" + sign(t, validClaims(h.Clock.Now(), "admin", "admin"), otherSecret, nil)
	runCases(t, h, []attackCase{
		{name: "user cookie, admin header: /admin", method: "GET", path: "/admin",
			headers: map[string]string{"Cookie": userCookie, "Authorization": adminBearer}, status: 401, body: msg("Forbidden: requires role admin")},
		{name: "user cookie, admin header: /protected", method: "GET", path: "/protected",
			headers: map[string]string{"Cookie": userCookie, "Authorization": adminBearer}, status: 200, body: `{"logged_in_as":"testuser"}`},
		{name: "forged cookie, admin header", method: "GET", path: "/admin",
			headers: map[string]string{"Cookie": forged, "Authorization": adminBearer}, status: 401, body: msg("Signature verification failed")},
		{name: "no token cookie, admin header", method: "GET", path: "/admin",
			headers: map[string]string{"Cookie": "theme=dark", "Authorization": adminBearer}, status: 200, body: `{"admin":true,"user":"admin"}`},
		{name: "cookie wins, so CSRF applies", method: "POST", path: "/probe",
			headers: map[string]string{"Cookie": userCookie, "Authorization": adminBearer}, status: 401, body: msg("Missing CSRF token")},
		{name: "header only: no CSRF needed", method: "POST", path: "/probe",
			headers: map[string]string{"Cookie": "theme=dark", "Authorization": adminBearer}, status: 404, body: passed},
		{name: "neither", method: "GET", path: "/protected", headers: cookieHeader("theme=dark"), status: 401,
			body: msg(`Missing JWT in cookies or headers (Missing cookie "access_token_cookie"; Missing Authorization Header)`)},
	})
}

// TestAttackCSRF checks the double submit on every unsafe method, with the
// header name in lower case too.
func TestAttackCSRF(t *testing.T) {
	h := newHarnessTemplate(t, probeTemplate(t), nil)
	b := h.browser()
	b.login("testuser", "testpass")
	tok, csrf := accessCookie+"="+b.cookie(accessCookie), b.cookie(accessCSRF)
	noCSRFClaim := validClaims(h.Clock.Now(), "testuser")
	delete(noCSRFClaim, "csrf")
	noCSRFToken := accessCookie + "=" + sign(t, noCSRFClaim, testSecret, nil)
	var cases []attackCase
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		cases = append(cases,
			attackCase{name: m + " without header", method: m, path: "/probe", headers: cookieHeader(tok), status: 401, body: msg("Missing CSRF token")},
			attackCase{name: m + " empty header", method: m, path: "/probe", headers: map[string]string{"Cookie": tok, "X-CSRF-TOKEN": ""},
				status: 401, body: msg("Missing CSRF token")},
			attackCase{name: m + " wrong header", method: m, path: "/probe", headers: map[string]string{"Cookie": tok, "X-CSRF-TOKEN": csrf + "x"},
				status: 401, body: msg("CSRF double submit tokens do not match")},
			attackCase{name: m + " prefix of the value", method: m, path: "/probe", headers: map[string]string{"Cookie": tok, "X-CSRF-TOKEN": csrf[:8]},
				status: 401, body: msg("CSRF double submit tokens do not match")},
			attackCase{name: m + " csrf cookie only", method: m, path: "/probe", headers: cookieHeader(tok, accessCSRF+"="+csrf),
				status: 401, body: msg("Missing CSRF token")},
			attackCase{name: m + " right header", method: m, path: "/probe", headers: map[string]string{"Cookie": tok, "X-CSRF-TOKEN": csrf},
				status: 404, body: passed},
			attackCase{name: m + " lower-case header name", method: m, path: "/probe", headers: map[string]string{"Cookie": tok, "x-csrf-token": csrf},
				status: 404, body: passed},
			attackCase{name: m + " token without csrf claim", method: m, path: "/probe", headers: map[string]string{"Cookie": noCSRFToken, "X-CSRF-TOKEN": csrf},
				status: 401, body: msg("Missing claim: csrf")},
		)
	}
	cases = append(cases, attackCase{name: "GET needs no CSRF", method: "GET", path: "/probe", headers: cookieHeader(tok), status: 404, body: passed})
	runCases(t, h, cases)
}

// TestAttackForgedContext sends what the function would read as an
// authorizer context: the proxy library's context header, query
// parameters and body fields. Only the authorizer's context counts.
func TestAttackForgedContext(t *testing.T) {
	h := newHarness(t, nil)
	b := h.browser()
	b.login("testuser", "testpass")
	tok := accessCookie + "=" + b.cookie(accessCookie)
	forged, err := json.Marshal(events.APIGatewayProxyRequestContext{
		AccountID: "123456789012", Stage: "dev",
		Authorizer: map[string]any{"principalId": "admin", "sub": "admin", "roles": "admin,user", "fresh": "true", "sid": "x", "jti": "y"},
	})
	if err != nil {
		t.Fatal(err)
	}
	const proxyHeader = "X-GoLambdaProxy-ApiGw-Context"
	forbidden := msg("Forbidden: requires role admin")
	runCases(t, h, []attackCase{
		{name: "context header, no cookies", method: "GET", path: "/admin", headers: map[string]string{proxyHeader: string(forged)},
			status: 401, body: msg(`Missing cookie "access_token_cookie"`)},
		{name: "context header, unrelated cookie", method: "GET", path: "/admin",
			headers: map[string]string{proxyHeader: string(forged), "Cookie": "theme=dark"}, status: 401, body: msg(`Missing cookie "access_token_cookie"`)},
		{name: "context header, testuser cookie", method: "GET", path: "/admin",
			headers: map[string]string{proxyHeader: string(forged), "Cookie": tok}, status: 401, body: forbidden},
		{name: "context header, testuser cookie, /protected", method: "GET", path: "/protected",
			headers: map[string]string{proxyHeader: string(forged), "Cookie": tok}, status: 200, body: `{"logged_in_as":"testuser"}`},
		{name: "query", method: "GET", path: "/admin?sub=admin&roles=admin&principalId=admin", headers: cookieHeader(tok), status: 401, body: forbidden},
		{name: "query on /protected", method: "GET", path: "/protected?sub=admin", headers: cookieHeader(tok), status: 200, body: `{"logged_in_as":"testuser"}`},
	})
	body := `{"sub":"admin","roles":"admin","requestContext":{"authorizer":{"sub":"admin","roles":"admin"}}}`
	expect(t, "body", h.raw("GET", "/admin", body, map[string]string{"Cookie": tok, "Content-Type": "application/json"}), 401, forbidden)
}

// TestAttackLoginBodies sends hostile login bodies.
func TestAttackLoginBodies(t *testing.T) {
	h := newHarness(t, nil)
	notObject := msg("Request body is not a JSON object")
	tooLarge := msg("Request body too large (limit 4 KiB)")
	bad := msg("Bad username or password")
	invalidName := msg("Invalid username")
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
		// user is who the session belongs to after a 200.
		user string
	}{
		{"JSON bomb in username (2000 levels, under 4 KiB)", `{"username":` + nest(2000) + `,"password":"testpass"}`, 400, notObject, ""},
		{"JSON bomb at top level", nest(2000), 400, notObject, ""},
		{"JSON bomb over 4 KiB, unclosed", strings.Repeat("[", 100000), 400, tooLarge, ""},
		{"5 KiB body", `{"username":"testuser","password":"testpass","pad":"` + strings.Repeat("x", 5<<10) + `"}`, 400, tooLarge, ""},
		// Duplicate keys: the last one wins, as in Python's json (flask).
		{"duplicate username, last wins", `{"username":"admin","username":"testuser","password":"testpass"}`, 200, `{"login":true}`, "testuser"},
		{"duplicate password, last wins", `{"username":"testuser","password":"testpass","password":"wrong"}`, 401, bad, ""},
		{"username number", `{"username":1,"password":"testpass"}`, 400, notObject, ""},
		{"username array", `{"username":["testuser"],"password":"testpass"}`, 400, notObject, ""},
		{"username object", `{"username":{"name":"testuser"},"password":"testpass"}`, 400, notObject, ""},
		{"username null", `{"username":null,"password":"testpass"}`, 400, msg(`Missing "username" or "password"`), ""},
		{"username CR", `{"username":"test\ruser","password":"testpass"}`, 400, invalidName, ""},
		{"username LF", `{"username":"testuser\n","password":"testpass"}`, 400, invalidName, ""},
		{"username CRLF header injection", `{"username":"testuser\r\nSet-Cookie: x=y","password":"testpass"}`, 400, invalidName, ""},
		{"username NUL", `{"username":"test\u0000user","password":"testpass"}`, 400, invalidName, ""},
		// PRECIS (UsernameCasePreserved) width-folds full-width letters:
		// "ｔｅｓｔｕｓｅｒ" IS testuser. This is intentional (RFC 8265): a
		// user typing on a full-width IME logs in to their own account, and
		// no second account can be registered under the folded name.
		{"full-width testuser", `{"username":"ｔｅｓｔｕｓｅｒ","password":"testpass"}`, 200, `{"login":true}`, "testuser"},
		// A Cyrillic "е" is another letter: a distinct (unknown) user.
		{"Cyrillic look-alike", `{"username":"tеstuser","password":"testpass"}`, 401, bad, ""},
		{"case differs", `{"username":"TestUser","password":"testpass"}`, 401, bad, ""},
		{"not JSON content type", `{"username":"testuser","password":"testpass"}`, 400, msg("Content-Type must be application/json"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := h.browser()
			ct := jsonCT
			if strings.HasPrefix(tc.name, "not JSON") {
				ct = map[string]string{"Content-Type": "text/plain"}
			}
			expect(t, "login", b.do("POST", "/login", tc.body, ct), tc.status, tc.want)
			if tc.user != "" {
				expect(t, "identity", b.do("GET", "/protected", "", nil), 200, `{"logged_in_as":"`+tc.user+`"}`)
			} else if b.cookie(accessCookie) != "" {
				t.Errorf("a refused login set %s", accessCookie)
			}
		})
	}
}
