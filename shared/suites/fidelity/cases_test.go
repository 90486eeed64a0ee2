package fidelity_test

import (
	"fmt"
	"time"
)

// The case catalogs. Each names the files of flask-jwt-extended's tests/
// (vimalloc/flask-jwt-extended) whose HTTP-observable behaviours it
// carries over onto jwtgate's routes; docs/fidelity.md maps them file by
// file.

const newPassword = "a brand new passphrase 42"

func sc(name string, steps ...step) scenario { return scenario{Name: name, Steps: steps} }

// flowCookies is the seed app's flow with cookies (README's curl session;
// tests/test_cookies.py, tests/test_blocklist.py).
func flowCookies(k kit) []scenario {
	if !k.has("cookies") {
		return nil
	}
	return []scenario{
		sc("login", login("testuser", "testpass")),
		sc("login-bad-password", login("testuser", "nope")),
		sc("login-unknown-user", login("nobody", "testpass")),
		sc("protected", login("testuser", "testpass"), get("/protected", cookie("access"))),
		sc("protected-no-cookie-header", get("/protected", noCookieHeader())),
		sc("protected-other-cookie", get("/protected")),
		sc("protected-empty-cookie", get("/protected", cookieValue("access", ""))),
		sc("protected-quoted-cookie", login("testuser", "testpass"),
			func(s *side) request {
				return get("/protected", header("Cookie", s.Names.Access+`="`+s.Jar[s.Names.Access]+`"`))(s)
			}),
		sc("protected-refresh-token", login("testuser", "testpass"), get("/protected", cookieToken("access", "refresh"))),
		sc("refresh", login("testuser", "testpass"), post("/refresh", cookie("refresh", "csrf_refresh"), csrf("refresh", "refresh"))),
		sc("refresh-then-protected", login("testuser", "testpass"),
			post("/refresh", cookie("refresh"), csrf("refresh", "refresh")), get("/protected", cookie("access"))),
		sc("refresh-no-csrf", login("testuser", "testpass"), post("/refresh", cookie("refresh"))),
		sc("refresh-access-csrf", login("testuser", "testpass"), post("/refresh", cookie("refresh"), csrf("refresh", "access"))),
		sc("refresh-access-token", login("testuser", "testpass"), post("/refresh", cookieToken("refresh", "access"), csrf("refresh", "access"))),
		sc("refresh-no-cookie", post("/refresh", csrfValue("x"))),
		sc("logout", login("testuser", "testpass"), post("/logout", cookie("access", "refresh"), csrf("access", "access"))),
		sc("logout-no-csrf", login("testuser", "testpass"), post("/logout", cookie("access", "refresh"))),
		sc("logout-wrong-csrf", login("testuser", "testpass"), post("/logout", cookie("access", "refresh"), csrfValue("wrong"))),
		sc("logout-no-token", post("/logout", noCookieHeader())),
		sc("logout-no-token-cookie", post("/logout")),
		sc("logout-then-protected", login("testuser", "testpass"),
			post("/logout", cookie("access", "refresh"), csrf("access", "access")), get("/protected", cookie("access"))),
		sc("logout-then-refresh", login("testuser", "testpass"),
			post("/logout", cookie("access", "refresh"), csrf("access", "access")),
			post("/refresh", cookie("refresh"), csrf("refresh", "refresh"))),
		sc("admin-as-user", login("testuser", "testpass"), get("/admin", cookie("access"))),
		sc("admin-as-admin", login("admin", "adminpass"), get("/admin", cookie("access"))),
		sc("password-not-fresh", login("testuser", "testpass"),
			post("/refresh", cookie("refresh"), csrf("refresh", "refresh")),
			post("/password", cookie("access"), csrf("access", "access"), header("Content-Type", "application/json"),
				rawBody(`{"old_password":"testpass","new_password":"`+newPassword+`"}`))),
		sc("password-no-csrf", login("testuser", "testpass"), post("/password", cookie("access"))),
		sc("password-wrong-csrf", login("testuser", "testpass"), post("/password", cookie("access"), csrfValue("wrong"))),
	}
}

// passwordChange changes testuser's password, so it runs last in a
// configuration: jwtgate then refuses every older token of the user
// (README: password change), and the old password stops working.
func passwordChange(k kit) []scenario {
	if k.Locations[0] == "headers" {
		return []scenario{sc("headers-password-no-csrf", login("testuser", "testpass"),
			post("/password", bearer("access"), header("Content-Type", "application/json"),
				rawBody(`{"old_password":"testpass","new_password":"`+newPassword+`"}`)))}
	}
	if !k.has("cookies") {
		return nil
	}
	return []scenario{
		sc("password-csrf-header-lower-case", login("testuser", "testpass"),
			func(s *side) request {
				return post("/password", cookie("access"), header("Content-Type", "application/json"),
					header(lower(s.Names.CSRFHeaderAccess), claimOf(s.Jar[s.Names.Access], "csrf")),
					rawBody(`{"old_password":"testpass","new_password":"`+newPassword+`"}`))(s)
			}),
		sc("password-fresh", login("testuser", newPassword),
			post("/password", cookie("access"), csrf("access", "access"), header("Content-Type", "application/json"),
				rawBody(`{"old_password":"`+newPassword+`","new_password":"testpass"}`))),
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// csrfCrafted are the double-submit cases with crafted cookie tokens
// (tests/test_cookies.py: the csrf claim, expired-with-bad-csrf order).
func csrfCrafted(k kit) []scenario {
	if !k.has("cookies") {
		return nil
	}
	expired := k.access().with("fresh", true, "exp", k.Now.Add(-time.Minute).Unix(), "iat", k.Now.Add(-10*time.Minute).Unix(),
		"nbf", k.Now.Add(-10*time.Minute).Unix())
	// A wrong old password: the answer past the token checks is 403, and the
	// password stays (a change would cut off every later case's tokens).
	pw := func(tok string, opts ...opt) step {
		return post("/password", append([]opt{cookieValue("access", tok), header("Content-Type", "application/json"),
			rawBody(`{"old_password":"wrong","new_password":"` + newPassword + `"}`)}, opts...)...)
	}
	fresh := k.access().with("fresh", true)
	return []scenario{
		sc("csrf-expired-wrong-csrf", pw(expired.sign(""), csrfValue("wrong"))),
		sc("csrf-expired-right-csrf", pw(expired.sign(""), csrfValue(craftCSRF))),
		sc("csrf-expired-no-csrf", pw(expired.sign(""))),
		sc("csrf-claim-missing", pw(fresh.without("csrf").sign(""), csrfValue(craftCSRF))),
		sc("csrf-claim-missing-get", get("/protected", cookieValue("access", k.access().without("csrf").sign("")))),
		sc("csrf-garbage-token-no-csrf", pw("garbage")),
		sc("csrf-right", pw(fresh.sign(""), csrfValue(craftCSRF))),
	}
}

// headerForms are the Authorization header's forms (tests/test_headers.py)
// on GET /protected.
func headerForms(k kit) []scenario {
	if !k.has("headers") {
		return nil
	}
	tok := k.access().sign("")
	g := func(name string, opts ...opt) scenario { return sc("header-"+name, get("/protected", opts...)) }
	return []scenario{
		g("missing"),
		g("missing-no-cookie-header", noCookieHeader()),
		g("empty", authorization("", tok)),
		g("type-only", authorization("{TYPE}", tok)),
		g("ok", authorization("{TYPE} {T}", tok)),
		g("type-lower-case", authorization("bearer {T}", tok)),
		g("extra-part", authorization("{TYPE} {T} extra", tok)),
		g("token-only", authorization("{T}", tok)),
		g("other-type", authorization("Basic dXNlcjpwYXNz", tok)),
		g("other-then-ours", authorization("Basic dXNlcjpwYXNz, {TYPE} {T}", tok)),
		g("ours-then-other", authorization("{TYPE} {T}, Basic dXNlcjpwYXNz", tok)),
		g("trailing-comma", authorization("{TYPE} {T},", tok)),
		g("trailing-comma-spaces", authorization("{TYPE} {T},   ", tok)),
		g("leading-comma", authorization(", {TYPE} {T}", tok)),
		g("comma-only", authorization(",", tok)),
		g("empty-element", authorization("{TYPE} {T},,Basic x", tok)),
		g("two-of-ours", authorization("{TYPE} {T}, {TYPE} {T}", tok)),
		g("tab", authorization("{TYPE}\t{T}", tok)),
		g("double-space", authorization("{TYPE}  {T}", tok)),
		g("type-and-comma", authorization("{TYPE} ,{T}", tok)),
		g("two-lines", authorization("Basic dXNlcjpwYXNz", tok), authorization("{TYPE} {T}", tok)),
		g("garbage-token", authorization("{TYPE} garbage", tok)),
		g("refresh-token", authorization("{TYPE} {T}", k.refresh().sign(""))),
	}
}

// flowHeaders is the flow with tokens sent in the header
// (tests/test_headers.py, tests/test_view_decorators.py).
func flowHeaders(k kit) []scenario {
	if !k.has("headers") {
		return nil
	}
	return []scenario{
		sc("headers-login-protected", login("testuser", "testpass"), get("/protected", bearer("access"))),
		sc("headers-refresh", login("testuser", "testpass"), post("/refresh", bearer("refresh"))),
		sc("headers-refresh-access-token", login("testuser", "testpass"), post("/refresh", bearer("access"))),
		sc("headers-logout", login("testuser", "testpass"), post("/logout", bearer("access"))),
		sc("headers-admin-as-admin", login("admin", "adminpass"), get("/admin", bearer("access"))),
	}
}

// multipleLocations are the cases of tests/test_multiple_token_locations.py:
// the combined message, and that only "not found" falls through.
func multipleLocations(k kit) []scenario {
	if !k.has("cookies") || !k.has("headers") {
		return nil
	}
	valid := k.access().sign("")
	fresh := k.access().with("fresh", true).sign("")
	// A wrong old password: 403 once the token passes, and no change.
	pwBody := rawBody(`{"old_password":"wrong","new_password":"` + newPassword + `"}`)
	return []scenario{
		sc("multi-none", get("/protected")),
		sc("multi-none-no-cookie-header", get("/protected", noCookieHeader())),
		sc("multi-bad-cookie-good-header", get("/protected", cookieValue("access", "garbage"), bearerToken(valid))),
		sc("multi-good-cookie-other-type", get("/protected", cookieValue("access", valid), authorization("Basic dXNlcjpwYXNz", ""))),
		sc("multi-good-cookie-bad-header", get("/protected", cookieValue("access", valid), authorization("{TYPE} a b", ""))),
		sc("multi-expired-cookie-good-header", get("/protected",
			cookieValue("access", k.access().with("exp", k.Now.Add(-time.Minute).Unix()).sign("")), bearerToken(valid))),
		sc("multi-cookie-no-csrf-good-header", post("/password", cookieValue("access", fresh), bearerToken(fresh),
			header("Content-Type", "application/json"), pwBody)),
		sc("multi-refresh-none", post("/refresh")),
		sc("multi-refresh-header", post("/refresh", bearerToken(k.refresh().sign("")))),
		sc("multi-logout-none", post("/logout")),
	}
}

// claimMatrix crafts tokens claim by claim and presents them where the
// configuration looks first (tests/test_decode_tokens.py,
// tests/test_view_decorators.py, tests/test_claims_verification.py).
func claimMatrix(k kit) []scenario {
	a := k.access()
	now := k.Now
	p := func(name, tok string) scenario {
		return sc("claims-"+name, get("/protected", k.present("access", tok)))
	}
	out := []scenario{
		p("valid", a.sign("")),
		p("no-type", a.without("type").sign("")),
		p("type-refresh", a.with("type", "refresh").sign("")),
		p("type-other", a.with("type", "session").sign("")),
		p("type-number", a.with("type", 5).sign("")),
		p("no-jti", a.without("jti").sign("")),
		p("jti-number", a.with("jti", 7).sign("")),
		p("no-fresh", a.without("fresh").sign("")),
		p("fresh-number", a.with("fresh", float64(now.Add(time.Hour).Unix())).sign("")),
		p("no-sub", a.without("sub").sign("")),
		p("only-foo", a.only("foo", "bar").sign("")),
		p("sub-number", a.with("sub", 42).sign("")),
		p("sub-empty", a.with("sub", "").sign("")),
		p("no-exp", a.without("exp").sign("")),
		p("expired", a.with("exp", now.Add(-time.Minute).Unix()).sign("")),
		p("expired-just", a.with("exp", now.Add(-2*time.Second).Unix()).sign("")),
		p("exp-string", a.with("exp", "soon").sign("")),
		p("exp-numeric-string", a.with("exp", fmt.Sprint(now.Add(time.Hour).Unix())).sign("")),
		p("iat-string", a.with("iat", fmt.Sprint(now.Unix())).sign("")),
		p("nbf-future", a.with("nbf", now.Add(time.Minute).Unix()).sign("")),
		p("no-nbf", a.without("nbf").sign("")),
		p("iat-future", a.with("iat", now.Add(time.Minute).Unix(), "nbf", now.Unix()).sign("")),
		p("no-iat", a.without("iat").sign("")),
		p("no-sid", a.without("sid").sign("")),
		p("no-roles", a.without("roles").sign("")),
		p("no-csrf", a.without("csrf").sign("")),
		p("alg-hs384", a.sign("HS384")),
		p("alg-hs512", a.sign("HS512")),
		p("alg-none", a.sign("none")),
		p("other-key", a.signOther()),
		p("kid-number", a.sign("", "kid", 5)),
		p("kid-unknown", a.sign("", "kid", "nobody")),
		p("typ-other", a.sign("", "typ", "at+jwt")),
		p("malformed-one-part", "garbage"),
		p("malformed-two-parts", "abc.def"),
		p("malformed-three-parts", "abc.def.ghi"),
		p("malformed-bad-base64", "!!!.???.***"),
		p("header-not-json", rawToken("not json", `{"sub":"testuser"}`)),
		p("payload-not-json", rawToken(`{"alg":"HS256","typ":"JWT"}`, "not json")),
		p("payload-array", rawToken(`{"alg":"HS256","typ":"JWT"}`, "[1,2]")),
		p("aud-unexpected", a.with("aud", "someone").sign("")),
		p("iss-unexpected", a.with("iss", "someone").sign("")),
	}
	if k.Env["JWT_DECODE_AUDIENCE"] == "" {
		return out
	}
	return append(out,
		p("aud-missing", a.without("aud").sign("")),
		p("aud-wrong", a.with("aud", "someone").sign("")),
		p("aud-list-with-ours", a.with("aud", []string{"someone", "aud-a"}).sign("")),
		p("aud-list-without-ours", a.with("aud", []string{"someone", "else"}).sign("")),
		p("aud-number", a.with("aud", 5).sign("")),
		p("aud-list-number", a.with("aud", []any{1}).sign("")),
		p("aud-empty", a.with("aud", "").sign("")),
	)
}

// issuerCases need JWT_DECODE_ISSUER (tests/test_config.py,
// tests/test_decode_tokens.py).
func issuerCases(k kit) []scenario {
	a := k.access()
	p := func(name, tok string) scenario {
		return sc("iss-"+name, get("/protected", k.present("access", tok)))
	}
	return []scenario{
		p("missing", a.without("iss").sign("")),
		p("wrong", a.with("iss", "someone").sign("")),
		p("number", a.with("iss", 5).sign("")),
		sc("iss-login", login("testuser", "testpass"), get("/protected", cookie("access"))),
	}
}

// leewayCases need JWT_DECODE_LEEWAY=30 (tests/test_decode_tokens.py).
func leewayCases(k kit) []scenario {
	a := k.access()
	now := k.Now
	p := func(name, tok string) scenario {
		return sc("leeway-"+name, get("/protected", k.present("access", tok)))
	}
	return []scenario{
		p("expired-within", a.with("exp", now.Add(-10*time.Second).Unix()).sign("")),
		p("expired-beyond", a.with("exp", now.Add(-time.Minute).Unix()).sign("")),
		p("nbf-within", a.with("nbf", now.Add(10*time.Second).Unix()).sign("")),
		p("nbf-beyond", a.with("nbf", now.Add(time.Minute).Unix()).sign("")),
		p("iat-within", a.with("iat", now.Add(10*time.Second).Unix()).sign("")),
	}
}

// freshness crafts tokens for the fresh-only route (tests/test_view_decorators.py:
// fresh_jwt_required, timed freshness with a numeric fresh claim).
func freshness(k kit) []scenario {
	a := k.access()
	now := k.Now
	pw := func(name string, c claims) scenario {
		return sc("fresh-"+name, post("/password", header("Content-Type", "application/json"),
			k.present("access", c.sign("")), csrfValue(craftCSRF),
			rawBody(`{"old_password":"wrong","new_password":"`+newPassword+`"}`)))
	}
	return []scenario{
		pw("true", a.with("fresh", true)),
		pw("false", a.with("fresh", false)),
		pw("missing", a.without("fresh")),
		pw("until-future", a.with("fresh", float64(now.Add(time.Hour).Unix()))),
		pw("until-past", a.with("fresh", float64(now.Add(-time.Minute).Unix()))),
	}
}

// refreshCrafted crafts refresh tokens for /refresh (tests/test_view_decorators.py:
// jwt_required(refresh=True)).
func refreshCrafted(k kit) []scenario {
	r := k.refresh()
	p := func(name string, c claims) scenario {
		return sc("refresh-"+name, post("/refresh", k.present("refresh", c.sign("")),
			func(s *side, rq *request) {
				rq.Header = append(rq.Header, [2]string{s.Names.CSRFHeaderRefresh, craftCSRF})
			}))
	}
	return []scenario{
		p("crafted", r),
		p("type-missing", r.without("type")),
		p("type-access", r.with("type", "access")),
		p("type-other", r.with("type", "session")),
		p("expired", r.with("exp", k.Now.Add(-time.Minute).Unix())),
	}
}

// loginOnly is the login response alone: every Set-Cookie attribute and
// every claim of the issued tokens under the configuration (cookie
// configuration options of tests/test_config.py and tests/test_cookies.py).
func loginOnly(k kit) []scenario {
	return []scenario{
		sc("issued", login("testuser", "testpass")),
		sc("issued-logout", login("testuser", "testpass"),
			post("/logout", cookie("access", "refresh"), csrf("access", "access"), bearer("access"))),
	}
}

// methodCases check the configured CSRF methods (JWT_CSRF_METHODS) on a GET
// and the exempt OPTIONS (tests/test_options_method.py).
func methodCases(k kit) []scenario {
	if !k.has("cookies") {
		return nil
	}
	tok := k.access().sign("")
	return []scenario{
		sc("method-get-no-csrf", get("/protected", cookieValue("access", tok))),
		sc("method-get-csrf", get("/protected", cookieValue("access", tok), csrfValue(craftCSRF))),
		sc("method-options", send("OPTIONS", "/protected")),
	}
}

// csrfHeaders are the custom CSRF header names (tests/test_config.py).
func csrfHeaders(k kit) []scenario {
	return []scenario{
		sc("csrf-header-default-name", login("testuser", "testpass"),
			func(s *side) request {
				return post("/refresh", cookie("refresh"), header("X-CSRF-TOKEN", claimOf(s.Jar[s.Names.Refresh], "csrf")))(s)
			}),
		sc("csrf-header-refresh-name", login("testuser", "testpass"), post("/refresh", cookie("refresh"), csrf("refresh", "refresh"))),
		sc("csrf-header-access-name-on-refresh", login("testuser", "testpass"), post("/refresh", cookie("refresh"), csrf("access", "refresh"))),
	}
}

// noTypeHeader is JWT_HEADER_TYPE="" (tests/test_headers.py).
func noTypeHeader(k kit) []scenario {
	tok := k.access().sign("")
	g := func(name string, opts ...opt) scenario { return sc("notype-"+name, get("/protected", opts...)) }
	return []scenario{
		g("ok", authorization("{T}", tok)),
		g("with-bearer", authorization("Bearer {T}", tok)),
		g("missing"),
		g("two-parts", authorization("{T} {T}", tok)),
	}
}

// queryCases are the query-string location (tests/test_query_string.py).
func queryCases(k kit) []scenario {
	tok := k.access().sign("")
	return []scenario{
		sc("query-ok", get("/protected", query(k.Env["JWT_QUERY_STRING_VALUE_PREFIX"]+tok))),
		sc("query-missing", get("/protected")),
		sc("query-no-prefix", get("/protected", query(tok))),
	}
}

// jsonCases are the JSON-body location on refresh and logout (tests/test_json.py).
func jsonCases(k kit) []scenario {
	r := k.refresh().sign("")
	return []scenario{
		sc("json-refresh", post("/refresh", header("Content-Type", "application/json"), rawBody(`{"refresh_token":"`+r+`"}`))),
		sc("json-refresh-missing", post("/refresh", header("Content-Type", "application/json"), rawBody(`{}`))),
		sc("json-refresh-not-json", post("/refresh", rawBody(`x`))),
	}
}

// issuedProtected logs in and presents the issued access token where the
// configuration looks first.
func issuedProtected(k kit) []scenario {
	var carry opt = cookie("access")
	if k.Locations[0] == "headers" {
		carry = bearer("access")
	}
	return []scenario{sc("issued-protected", login("testuser", "testpass"), get("/protected", carry))}
}

// algCases sign with each HMAC algorithm (tests/test_config.py,
// tests/test_decode_tokens.py: JWT_ALGORITHM, JWT_DECODE_ALGORITHMS).
func algCases(k kit) []scenario {
	a := k.access()
	p := func(alg string) scenario {
		return sc("alg-"+alg, get("/protected", k.present("access", a.sign(alg))))
	}
	return []scenario{p("HS256"), p("HS384"), p("HS512")}
}

// loginBodies are login requests jwtgate reads differently by design
// (README: usernames, JSON keys).
func loginBodies(k kit) []scenario {
	body := func(name, b string) scenario {
		return sc("login-body-"+name, post("/login", header("Content-Type", "application/json"), rawBody(b)))
	}
	return []scenario{
		body("full-width-username", `{"username":"ｔｅｓｔｕｓｅｒ","password":"testpass"}`),
		body("control-character", `{"username":"test\u0007user","password":"testpass"}`),
		body("key-case", `{"Username":"testuser","PASSWORD":"testpass"}`),
		body("not-json", `username=testuser`),
		body("array", `["testuser","testpass"]`),
	}
}

// identityCases are tokens crafted under JWT_IDENTITY_CLAIM
// (tests/test_config.py's identity_claim_key): the identity read from the
// configured claim only, and the message naming it when it is missing.
func identityCases(k kit) []scenario {
	id := k.Env["JWT_IDENTITY_CLAIM"]
	a := k.access()
	p := func(name string, c claims) scenario {
		return sc("identity-"+name, get("/protected", k.present("access", c.sign(""))))
	}
	return []scenario{
		p("crafted", a),
		p("sub-only", a.without(id).with("sub", "testuser")),
		p("missing", a.without(id)),
		p("empty", a.with(id, "")),
		p("number", a.with(id, 42)),
		p("sub-beside", a.with("sub", "someone-else")),
		sc("identity-refresh-crafted", post("/refresh", k.present("refresh", k.refresh().sign("")),
			func(s *side, rq *request) {
				rq.Header = append(rq.Header, [2]string{s.Names.CSRFHeaderRefresh, craftCSRF})
			})),
		sc("identity-refresh-sub-only", post("/refresh", k.present("refresh", k.refresh().without(id).with("sub", "testuser").sign("")),
			func(s *side, rq *request) {
				rq.Header = append(rq.Header, [2]string{s.Names.CSRFHeaderRefresh, craftCSRF})
			})),
	}
}

// errorKeyCases are errors of every source under JWT_ERROR_MESSAGE_KEY
// (tests/test_config.py, tests/test_headers.py's custom message key): the
// authorizer's denials and API Gateway's missing identity source (gateway
// responses), and the functions' own answers.
func errorKeyCases(k kit) []scenario {
	expired := k.access().with("exp", k.Now.Add(-time.Minute).Unix(), "iat", k.Now.Add(-10*time.Minute).Unix(),
		"nbf", k.Now.Add(-10*time.Minute).Unix())
	return []scenario{
		sc("error-key", get("/protected", header("Cookie", "other=1"))),
		sc("error-key-no-cookie-header", get("/protected", noCookieHeader())),
		sc("error-key-expired", get("/protected", k.present("access", expired.sign("")))),
		sc("error-key-garbage", get("/protected", k.present("access", "garbage"))),
		sc("error-key-bad-password", login("testuser", "nope")),
		sc("error-key-refresh-no-cookie", post("/refresh", csrfValue("x"))),
		sc("error-key-refresh-no-csrf", login("testuser", "testpass"), post("/refresh", cookie("refresh"))),
		sc("error-key-logout-no-token", post("/logout")),
		sc("error-key-logout-no-csrf", login("testuser", "testpass"), post("/logout", cookie("access", "refresh"))),
		sc("error-key-refresh-then-password", login("testuser", "testpass"),
			post("/refresh", cookie("refresh"), csrf("refresh", "refresh")),
			post("/password", cookie("access"), csrf("access", "access"), header("Content-Type", "application/json"),
				rawBody(`{"old_password":"testpass","new_password":"`+newPassword+`"}`))),
	}
}
