package fidelity_test

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The query-string and JSON-body locations, alone and with the others, and
// the odd inputs flask's tests feed its test client (tests/test_json.py,
// tests/test_query_string.py, tests/test_multiple_token_locations.py,
// tests/test_cookies.py): wrong content types, bodies that are not objects,
// keys of the other token type, tokens that are not strings, empty and
// repeated parameters, a token in two places with one of them bad.

// queryJar sends the jar's token of kind in the configured query-string
// parameter, with the configured prefix (URL-encoded: the prefix may hold
// a space, as flask's documented "Bearer ").
func queryJar(kind string) opt {
	return func(s *side, r *request) {
		queryRaw(s.Names.Query, prefixOf(s)+s.Jar[s.cookieName(kind)])(s, r)
	}
}

// queryTok sends a literal token in the configured parameter, prefixed.
func queryTok(tok string) opt {
	return func(s *side, r *request) { queryRaw(s.Names.Query, prefixOf(s)+tok)(s, r) }
}

// queryRaw appends name=value (value URL-encoded) to the request's path.
func queryRaw(name, value string) opt {
	return func(s *side, r *request) {
		sep := "?"
		if strings.Contains(r.Path, "?") {
			sep = "&"
		}
		r.Path += sep + name + "=" + url.QueryEscape(value)
	}
}

// prefixOf is the configured JWT_QUERY_STRING_VALUE_PREFIX (kept untrimmed,
// as both servers keep it).
func prefixOf(s *side) string { return s.Names.QueryPrefix }

// jsonBody sends body as the request body with the given content type
// ("" sends none).
func jsonBody(contentType, body string) opt {
	return func(s *side, r *request) {
		if contentType != "" {
			r.Header = append(r.Header, [2]string{"Content-Type", contentType})
		}
		r.Body = body
	}
}

// jsonTok sends {"<key>": "<tok>"} as application/json; key "" is the
// configured key of kind (JWT_JSON_KEY or JWT_REFRESH_JSON_KEY).
func jsonTok(kind, key, tok string) opt {
	return func(s *side, r *request) {
		if key == "" {
			key = s.jsonKey(kind)
		}
		jsonBody("application/json", fmt.Sprintf("{%q:%q}", key, tok))(s, r)
	}
}

// jsonJar sends the jar's token of kind under the configured key of kind.
func jsonJar(kind string) opt {
	return func(s *side, r *request) { jsonTok(kind, "", s.Jar[s.cookieName(kind)])(s, r) }
}

func (s *side) jsonKey(kind string) string {
	if kind == "refresh" {
		return s.Names.JSONRefreshKey
	}
	return s.Names.JSONKey
}

// queryLocationCases are the query-string location beyond queryCases:
// issued tokens, the custom parameter name, empty and repeated parameters,
// the prefix, other routes, and a token in the header (never read).
func queryLocationCases(k kit) []scenario {
	if !k.has("query_string") {
		return nil
	}
	tok := k.access().sign("")
	name := k.Names.Query
	prefix := k.Env["JWT_QUERY_STRING_VALUE_PREFIX"]
	fresh := k.access().with("fresh", true).sign("")
	pwBody := jsonBody("application/json", `{"old_password":"wrong","new_password":"`+newPassword+`"}`)
	out := []scenario{
		sc("qs-issued", login("testuser", "testpass"), get("/protected", queryJar("access"))),
		sc("qs-issued-admin", login("admin", "adminpass"), get("/admin", queryJar("access"))),
		sc("qs-issued-admin-as-user", login("testuser", "testpass"), get("/admin", queryJar("access"))),
		sc("qs-default-name", get("/protected", queryRaw("jwt", prefix+tok))),
		sc("qs-other-name", get("/protected", queryRaw("token", prefix+tok))),
		sc("qs-name-upper-case", get("/protected", queryRaw(strings.ToUpper(name), prefix+tok))),
		sc("qs-empty", get("/protected", queryRaw(name, ""))),
		sc("qs-prefix-only", get("/protected", queryRaw(name, prefix))),
		sc("qs-bare-name", func(s *side) request { return get("/protected?" + name)(s) }),
		sc("qs-garbage", get("/protected", queryTok("garbage"))),
		sc("qs-refresh-token", get("/protected", queryTok(k.refresh().sign("")))),
		sc("qs-expired", get("/protected", queryTok(k.access().with("exp", k.Now.Add(-time.Minute).Unix()).sign("")))),
		sc("qs-repeated-valid-first", get("/protected", queryTok(tok), queryTok("garbage"))),
		sc("qs-repeated-garbage-first", get("/protected", queryTok("garbage"), queryTok(tok))),
		sc("qs-repeated-empty-first", get("/protected", queryRaw(name, ""), queryTok(tok))),
		sc("qs-with-other-params", get("/protected", queryRaw("a", "1"), queryTok(tok), queryRaw("b", "2"))),
		sc("qs-header-only", get("/protected", header("Authorization", "Bearer "+tok))),
		sc("qs-cookie-only", get("/protected", cookieValue("access", tok))),
		sc("qs-refresh", login("testuser", "testpass"), post("/refresh", queryJar("refresh"))),
		sc("qs-refresh-crafted", post("/refresh", queryTok(k.refresh().sign("")))),
		sc("qs-refresh-access-token", login("testuser", "testpass"), post("/refresh", queryJar("access"))),
		sc("qs-refresh-none", post("/refresh")),
		sc("qs-logout", login("testuser", "testpass"), post("/logout", queryJar("access"))),
		sc("qs-logout-then-protected", login("testuser", "testpass"), post("/logout", queryJar("access")),
			get("/protected", queryJar("access"))),
		sc("qs-logout-none", post("/logout")),
		sc("qs-password-fresh", post("/password", queryTok(fresh), pwBody)),
		sc("qs-password-not-fresh", post("/password", queryTok(tok), pwBody)),
	}
	if prefix != "" {
		out = append(out,
			sc("qs-prefix-missing", get("/protected", queryRaw(name, tok))),
			sc("qs-prefix-case", get("/protected", queryRaw(name, strings.ToUpper(prefix)+tok))),
			sc("qs-prefix-twice", get("/protected", queryRaw(name, prefix+prefix+tok))),
		)
	}
	return out
}

// jsonLocationCases are the json location on the routes whose functions
// read the body (refresh, logout) and on those behind the authorizer,
// which is given no body (README: json-body-functions).
func jsonLocationCases(k kit) []scenario {
	if !k.has("json") {
		return nil
	}
	r := k.refresh().sign("")
	a := k.access().sign("")
	rk := func(s *side) string { return s.Names.JSONRefreshKey }
	refreshBody := func(ct string, body func(s *side) string) step {
		return func(s *side) request { return post("/refresh", jsonBody(ct, body(s)))(s) }
	}
	obj := func(key func(s *side) string, v string) func(s *side) string {
		return func(s *side) string { return fmt.Sprintf(`{%q:%s}`, key(s), v) }
	}
	lit := func(b string) func(s *side) string { return func(*side) string { return b } }
	quoted := fmt.Sprintf("%q", r)
	return []scenario{
		sc("json-issued-refresh", login("testuser", "testpass"), post("/refresh", jsonJar("refresh"))),
		sc("json-issued-refresh-then-protected", login("testuser", "testpass"), post("/refresh", jsonJar("refresh")),
			get("/protected", cookie("access"), bearer("access"))),
		sc("json-refresh-crafted", post("/refresh", jsonTok("refresh", "", r))),
		sc("json-refresh-charset", refreshBody("application/json;charset=UTF-8", obj(rk, quoted))),
		sc("json-refresh-charset-spaced", refreshBody("application/json; charset=utf-8", obj(rk, quoted))),
		sc("json-refresh-upper-case-type", refreshBody("APPLICATION/JSON", obj(rk, quoted))),
		sc("json-refresh-vendor-type", refreshBody("application/vnd.api+json", obj(rk, quoted))),
		sc("json-refresh-text-plain", refreshBody("text/plain", obj(rk, quoted))),
		sc("json-refresh-no-content-type", refreshBody("", obj(rk, quoted))),
		sc("json-refresh-form", func(s *side) request {
			return post("/refresh", jsonBody("application/x-www-form-urlencoded", s.Names.JSONRefreshKey+"="+r))(s)
		}),
		sc("json-refresh-empty-body", refreshBody("application/json", lit(""))),
		sc("json-refresh-empty-object", refreshBody("application/json", lit("{}"))),
		sc("json-refresh-invalid-json", refreshBody("application/json", lit("{"))),
		sc("json-refresh-null", refreshBody("application/json", lit("null"))),
		sc("json-refresh-empty-array", refreshBody("application/json", lit("[]"))),
		sc("json-refresh-non-object-array", refreshBody("application/json", lit("[1]"))),
		sc("json-refresh-non-object-string", refreshBody("application/json", lit(`"x"`))),
		sc("json-refresh-non-object-number", refreshBody("application/json", lit("5"))),
		sc("json-refresh-access-key", post("/refresh", jsonTok("access", "", r))),
		sc("json-refresh-default-key", post("/refresh", jsonTok("refresh", "refresh_token", r))),
		sc("json-refresh-key-case", func(s *side) request {
			return post("/refresh", jsonTok("refresh", strings.ToUpper(s.Names.JSONRefreshKey), r))(s)
		}),
		sc("json-refresh-empty-string", refreshBody("application/json", obj(rk, `""`))),
		sc("json-refresh-null-value", refreshBody("application/json", obj(rk, "null"))),
		sc("json-refresh-false", refreshBody("application/json", obj(rk, "false"))),
		sc("json-refresh-zero", refreshBody("application/json", obj(rk, "0"))),
		sc("json-refresh-empty-list-value", refreshBody("application/json", obj(rk, "[]"))),
		sc("json-refresh-number", refreshBody("application/json", obj(rk, "5"))),
		sc("json-refresh-true", refreshBody("application/json", obj(rk, "true"))),
		sc("json-refresh-object-value", refreshBody("application/json", obj(rk, `{"a":1}`))),
		sc("json-refresh-list-value", refreshBody("application/json", obj(rk, "["+quoted+"]"))),
		sc("json-refresh-garbage", post("/refresh", jsonTok("refresh", "", "garbage"))),
		sc("json-refresh-access-token", post("/refresh", jsonTok("refresh", "", a))),
		sc("json-refresh-expired", post("/refresh", jsonTok("refresh", "", k.refresh().with("exp", k.Now.Add(-time.Minute).Unix()).sign("")))),
		sc("json-refresh-duplicate-key", func(s *side) request {
			return post("/refresh", jsonBody("application/json", fmt.Sprintf(`{%q:"garbage",%q:%s}`, s.Names.JSONRefreshKey, s.Names.JSONRefreshKey, quoted)))(s)
		}),
		sc("json-refresh-extra-keys", func(s *side) request {
			return post("/refresh", jsonBody("application/json", fmt.Sprintf(`{"a":[1,{"b":null}],%q:%s,"z":1.5}`, s.Names.JSONRefreshKey, quoted)))(s)
		}),
		sc("json-refresh-both-keys", func(s *side) request {
			return post("/refresh", jsonBody("application/json", fmt.Sprintf(`{%q:%q,%q:%s}`, s.Names.JSONKey, a, s.Names.JSONRefreshKey, quoted)))(s)
		}),
		sc("json-refresh-bad-header-good-body", post("/refresh", header("Authorization", "Bearer garbage"), jsonTok("refresh", "", r))),
		sc("json-refresh-other-scheme-good-body", post("/refresh", header("Authorization", "Basic dXNlcjpwYXNz"), jsonTok("refresh", "", r))),
		sc("json-refresh-good-header-bad-body", post("/refresh", header("Authorization", "Bearer "+r), jsonTok("refresh", "", "garbage"))),
		sc("json-refresh-cookie-and-body", login("testuser", "testpass"), post("/refresh", cookie("refresh"), jsonJar("refresh"))),
		sc("json-logout", login("testuser", "testpass"), post("/logout", jsonJar("access"))),
		sc("json-logout-then-refresh", login("testuser", "testpass"), post("/logout", jsonJar("access")),
			post("/refresh", jsonJar("refresh"))),
		sc("json-logout-crafted", post("/logout", jsonTok("access", "", a))),
		sc("json-logout-missing-key", post("/logout", jsonBody("application/json", "{}"))),
		sc("json-logout-wrong-content-type", post("/logout", jsonBody("text/plain", fmt.Sprintf(`{"access_token":%q}`, a)))),
		sc("json-logout-garbage", post("/logout", jsonTok("access", "", "garbage"))),
		sc("json-logout-number", func(s *side) request {
			return post("/logout", jsonBody("application/json", fmt.Sprintf(`{%q:5}`, s.Names.JSONKey)))(s)
		}),
		sc("json-logout-refresh-key-only", login("testuser", "testpass"), post("/logout", jsonJar("refresh"))),
		sc("json-protected-get", get("/protected", jsonTok("access", "", k.access().sign("")))),
		sc("json-protected-get-no-body", get("/protected")),
		sc("json-protected-get-json-type", get("/protected", jsonBody("application/json", ""))),
	}
}

// moreCookieCases are cookie-location inputs flask's test client can send
// that the seed flow does not: repeated cookies and CSRF headers, an empty
// CSRF header, logout with only the refresh cookie, and tokens of the
// other type in each cookie.
func moreCookieCases(k kit) []scenario {
	if !k.has("cookies") {
		return nil
	}
	valid := k.access().sign("")
	return []scenario{
		sc("cookie-repeated-valid-first", get("/protected", func(s *side, r *request) {
			r.Header = append(r.Header, [2]string{"Cookie", s.Names.Access + "=" + valid + "; " + s.Names.Access + "=garbage"})
		})),
		sc("cookie-repeated-garbage-first", get("/protected", func(s *side, r *request) {
			r.Header = append(r.Header, [2]string{"Cookie", s.Names.Access + "=garbage; " + s.Names.Access + "=" + valid})
		})),
		sc("cookie-empty-then-valid", get("/protected", func(s *side, r *request) {
			r.Header = append(r.Header, [2]string{"Cookie", s.Names.Access + "=; " + s.Names.Access + "=" + valid})
		})),
		sc("refresh-csrf-empty-header", login("testuser", "testpass"), post("/refresh", cookie("refresh"), header(k.Names.CSRFHeaderRefresh, ""))),
		sc("refresh-csrf-repeated-header", login("testuser", "testpass"), post("/refresh", cookie("refresh"), csrf("refresh", "refresh"), csrf("refresh", "refresh"))),
		sc("refresh-csrf-repeated-header-wrong-first", login("testuser", "testpass"), post("/refresh", cookie("refresh"), csrfValue("wrong"), csrf("refresh", "refresh"))),
		sc("refresh-csrf-header-spaces", login("testuser", "testpass"), func(s *side) request {
			return post("/refresh", cookie("refresh"), header(s.Names.CSRFHeaderRefresh, " "+claimOf(s.Jar[s.Names.Refresh], "csrf")+" "))(s)
		}),
		sc("refresh-csrf-of-other-cookie", login("testuser", "testpass"), post("/refresh", cookie("refresh"), csrf("refresh", "access"))),
		sc("logout-refresh-cookie-only", login("testuser", "testpass"), post("/logout", cookie("refresh"), csrf("refresh", "refresh"))),
		sc("logout-refresh-cookie-only-no-csrf", login("testuser", "testpass"), post("/logout", cookie("refresh"))),
		sc("logout-access-cookie-only", login("testuser", "testpass"), post("/logout", cookie("access"), csrf("access", "access"))),
		sc("logout-refresh-token-in-access-cookie", login("testuser", "testpass"),
			post("/logout", cookieToken("access", "refresh"), csrf("access", "refresh"))),
		sc("logout-garbage-access-cookie", post("/logout", cookieValue("access", "garbage"), csrfValue("x"))),
		sc("logout-expired-access-cookie", post("/logout",
			cookieValue("access", k.access().with("exp", k.Now.Add(-time.Minute).Unix()).sign("")), csrfValue(craftCSRF))),
		sc("admin-refresh-token", login("admin", "adminpass"), get("/admin", cookieToken("access", "refresh"))),
		sc("protected-post", login("testuser", "testpass"), post("/protected", cookie("access"), csrf("access", "access"))),
		sc("refresh-get", login("testuser", "testpass"), get("/refresh", cookie("refresh"), csrf("refresh", "refresh"))),
	}
}

// claimTypeCases are tests/test_decode_tokens.py's invalid sub values
// (123, {}, [], False) and the like for jti, on GET /protected.
func claimTypeCases(k kit) []scenario {
	a := k.access()
	p := func(name, tok string) scenario {
		return sc("claims-"+name, get("/protected", k.present("access", tok)))
	}
	return []scenario{
		p("sub-object", a.with("sub", map[string]any{}).sign("")),
		p("sub-list", a.with("sub", []any{}).sign("")),
		p("sub-false", a.with("sub", false).sign("")),
		p("sub-null", a.with("sub", nil).sign("")),
		p("type-null", a.with("type", nil).sign("")),
		p("fresh-string", a.with("fresh", "yes").sign("")),
		p("csrf-number", a.with("csrf", 5).sign("")),
		p("sid-number", a.with("sid", 5).sign("")),
		p("gen-string", a.with("gen", "1").sign("")),
		p("roles-string", a.with("roles", "user").sign("")),
		p("aud-list-empty", a.with("aud", []any{}).sign("")),
		p("iss-empty", a.with("iss", "").sign("")),
	}
}

// csrfGetOnlyCases need JWT_CSRF_METHODS=GET (tests/test_cookies.py:
// test_custom_csrf_methods): POSTs pass without the header, GETs need it.
func csrfGetOnlyCases(k kit) []scenario {
	return []scenario{
		sc("get-only-refresh-no-csrf", login("testuser", "testpass"), post("/refresh", cookie("refresh"))),
		sc("get-only-protected-no-csrf", login("testuser", "testpass"), get("/protected", cookie("access"))),
		sc("get-only-protected-csrf", login("testuser", "testpass"), get("/protected", cookie("access"), csrf("access", "access"))),
		sc("get-only-protected-wrong-csrf", login("testuser", "testpass"), get("/protected", cookie("access"), csrfValue("wrong"))),
		sc("get-only-admin-no-csrf", login("admin", "adminpass"), get("/admin", cookie("access"))),
		sc("get-only-password-no-csrf", login("testuser", "testpass"),
			post("/password", cookie("access"), jsonBody("application/json", `{"old_password":"wrong","new_password":"`+newPassword+`"}`))),
		sc("get-only-logout-no-csrf", login("testuser", "testpass"), post("/logout", cookie("access", "refresh"))),
	}
}

// allLocationCases are tests/test_multiple_token_locations.py's app, which
// looks in headers, cookies, query_string and json: which location wins,
// that only "not found" falls through (a bad header stops the lookup even
// with a good cookie: "Invalid header padding" for the test's mangled
// token), and the four-part message.
func allLocationCases(k kit) []scenario {
	valid := k.access().sign("")
	mangled := "000000" + valid[5:]
	r := k.refresh().sign("")
	return []scenario{
		sc("all-none", get("/protected")),
		sc("all-none-post-json-type", post("/refresh", jsonBody("application/json", "{}"))),
		sc("all-header", get("/protected", bearerToken(valid))),
		sc("all-cookie", get("/protected", cookieValue("access", valid))),
		sc("all-query", get("/protected", queryTok(valid))),
		sc("all-mangled-header-good-cookie", get("/protected", bearerToken(mangled), cookieValue("access", valid))),
		sc("all-good-header-garbage-cookie", get("/protected", bearerToken(valid), cookieValue("access", "garbage"))),
		sc("all-garbage-cookie-good-query", get("/protected", cookieValue("access", "garbage"), queryTok(valid))),
		sc("all-good-cookie-garbage-query", get("/protected", cookieValue("access", valid), queryTok("garbage"))),
		sc("all-other-scheme-good-query", get("/protected", authorization("Basic dXNlcjpwYXNz", ""), queryTok(valid))),
		sc("all-query-then-json-body", get("/protected", queryTok(valid), jsonTok("access", "", "garbage"))),
		sc("all-refresh-json", post("/refresh", jsonTok("refresh", "", r))),
		sc("all-refresh-query", post("/refresh", queryTok(r))),
		sc("all-refresh-cookie-no-csrf-good-json", post("/refresh", cookieValue("refresh", r), jsonTok("refresh", "", r))),
		sc("all-refresh-garbage-query-good-json", post("/refresh", queryTok("garbage"), jsonTok("refresh", "", r))),
		sc("all-logout-none", post("/logout")),
		sc("all-logout-query", post("/logout", queryTok(k.access().sign("")))),
	}
}

// jsonQueryCases is tests/test_multiple_token_locations.py's
// ["json", "query_string"] app with no token anywhere.
func jsonQueryCases(k kit) []scenario {
	return []scenario{
		sc("json-query-none", get("/protected")),
		sc("json-query-none-json-type", get("/protected", jsonBody("application/json", ""))),
		sc("json-query-refresh-none", post("/refresh")),
		sc("json-query-refresh-query", post("/refresh", queryTok(k.refresh().sign("")))),
	}
}

// defaultLocationCases compare a default flask app (tokens in the
// Authorization header) with a default jwtgate (cookies).
func defaultLocationCases(k kit) []scenario {
	tok := k.access().sign("")
	return []scenario{
		sc("default-none", get("/protected")),
		sc("default-bearer", get("/protected", header("Authorization", "Bearer "+tok))),
		sc("default-cookie", get("/protected", cookieValue("access", tok))),
		sc("default-login", login("testuser", "testpass")),
	}
}

// headerNameCases send the default header and type where the
// configuration names others (tests/test_headers.py: custom header name
// and type; the default ones "no longer work").
func headerNameCases(k kit) []scenario {
	if !k.has("headers") {
		return nil
	}
	tok := k.access().sign("")
	return []scenario{
		sc("header-default-name", get("/protected", header("Authorization", "Bearer "+tok))),
		sc("header-default-name-our-type", get("/protected", header("Authorization", k.Names.HeaderType+" "+tok))),
		sc("header-our-name-bearer", get("/protected", header(k.Names.Header, "Bearer "+tok))),
		sc("header-our-name-lower-case", get("/protected", header(lower(k.Names.Header), k.Names.HeaderType+" "+tok))),
		sc("header-our-name-other-first", get("/protected", header(k.Names.Header, "Basic randomcredshere, "+k.Names.HeaderType+" "+tok))),
		sc("header-our-name-and-default", get("/protected", header("Authorization", "Bearer garbage"), header(k.Names.Header, k.Names.HeaderType+" "+tok))),
	}
}

// oddRequestCases are more of what a test client can send: a Bearer
// header where only cookies are read, cookie names in another case, HEAD,
// a JSON-body token on the fresh-only route, and login bodies with other
// content types (the seed app's answers, worded as jwtgate's).
func oddRequestCases(k kit) []scenario {
	tok := k.access().sign("")
	loginAs := func(ct, body string) step { return post("/login", jsonBody(ct, body)) }
	const creds = `{"username":"testuser","password":"testpass"}`
	out := []scenario{
		sc("odd-head-protected", send("HEAD", "/protected", cookieValue("access", tok))),
		sc("odd-cookie-name-case", get("/protected", func(s *side, r *request) {
			r.Header = append(r.Header, [2]string{"Cookie", strings.ToUpper(s.Names.Access) + "=" + tok})
		})),
		sc("odd-login-text-plain", loginAs("text/plain", creds)),
		sc("odd-login-no-content-type", loginAs("", creds)),
		sc("odd-login-charset", loginAs("application/json; charset=utf-8", creds)),
		sc("odd-login-vendor-type", loginAs("application/vnd.api+json", creds)),
		sc("odd-login-empty-body", loginAs("application/json", "")),
		sc("odd-login-null", loginAs("application/json", "null")),
		sc("odd-login-number-username", loginAs("application/json", `{"username":5,"password":"testpass"}`)),
		sc("odd-login-missing-password", loginAs("application/json", `{"username":"testuser"}`)),
		sc("odd-login-extra-keys", loginAs("application/json", `{"username":"testuser","password":"testpass","remember":true}`)),
	}
	if !k.has("headers") {
		out = append(out, sc("odd-bearer-only", get("/protected", header("Authorization", "Bearer "+tok))))
	}
	if k.has("json") {
		fresh := k.access().with("fresh", true).sign("")
		out = append(out, sc("json-password", func(s *side) request {
			return post("/password", jsonBody("application/json", fmt.Sprintf(`{%q:%q,"old_password":"wrong","new_password":%q}`,
				s.Names.JSONKey, fresh, newPassword)))(s)
		}))
	}
	return out
}

// csrfFormCases send the double submit value in the csrf_token form
// field instead of the header (JWT_CSRF_CHECK_FORM).
func csrfFormCases(k kit) []scenario {
	form := func(field, from string) opt {
		return func(s *side, r *request) {
			jsonBody("application/x-www-form-urlencoded", field+"="+url.QueryEscape(claimOf(s.Jar[s.cookieName(from)], "csrf")))(s, r)
		}
	}
	return []scenario{
		sc("form-refresh", login("testuser", "testpass"), post("/refresh", cookie("refresh"), form("csrf_token", "refresh"))),
		sc("form-refresh-other-field", login("testuser", "testpass"), post("/refresh", cookie("refresh"), form("csrf", "refresh"))),
		sc("form-logout", login("testuser", "testpass"), post("/logout", cookie("access", "refresh"), form("csrf_token", "access"))),
	}
}

// wrongTypeCases present a token of the other type, or without the claim
// a route reads, where the configuration looks first: logout (an access
// route in flask), the fresh-only route and the admin route.
func wrongTypeCases(k kit) []scenario {
	r := k.refresh().sign("")
	pw := jsonBody("application/json", `{"old_password":"wrong","new_password":"`+newPassword+`"}`)
	out := []scenario{
		sc("wrong-type-logout-refresh-token", post("/logout", k.present("access", r), csrfValue(craftCSRF))),
		sc("wrong-type-password-refresh-token", post("/password", k.present("access", k.refresh().with("fresh", true).sign("")), csrfValue(craftCSRF), pw)),
		sc("wrong-type-admin-no-roles", get("/admin", k.present("access", k.access().without("roles").sign("")))),
		sc("wrong-type-admin-roles-string", get("/admin", k.present("access", k.access().with("roles", "admin").sign("")))),
		sc("wrong-type-admin-refresh-token", get("/admin", k.present("access", k.refresh().with("roles", []string{"admin"}).sign("")))),
	}
	if k.Locations[0] == "json" {
		return nil
	}
	return out
}

// locationOrderCases put a token of the other type in one location and a
// good one in the other: the first location found decides, and a wrong
// type there is refused, never passed over (tests/test_multiple_token_locations.py's
// order cases on every route).
func locationOrderCases(k kit) []scenario {
	if !k.has("cookies") || !k.has("headers") {
		return nil
	}
	a, r := k.access().sign(""), k.refresh().sign("")
	return []scenario{
		sc("order-protected-cookie-access-header-refresh", get("/protected", cookieValue("access", a), bearerToken(r))),
		sc("order-refresh-cookie-refresh-header-access", post("/refresh", cookieValue("refresh", r), csrfValue(craftCSRF), bearerToken(a))),
		sc("order-refresh-cookie-garbage-header-refresh", post("/refresh", cookieValue("refresh", "garbage"), bearerToken(r))),
		sc("order-admin-cookie-user-header-admin", login("admin", "adminpass"), func(s *side) request {
			return get("/admin", cookieValue("access", a), bearerToken(s.Jar[s.Names.Access]))(s)
		}),
		sc("order-logout-cookie-access-header-refresh", post("/logout", cookieValue("access", a), csrfValue(craftCSRF), bearerToken(r))),
	}
}
