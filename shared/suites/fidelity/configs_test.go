package fidelity_test

// configs are the configurations both servers start with: flask-jwt-extended's
// JWT_* options that mean something on jwtgate's routes, one concern each
// (tests/test_config.py lists the options; docs/configuration.md's table
// says which jwtgate reads).
func configs() []config {
	base := []catalog{loginOnly, issuedProtected}
	with := func(extra ...catalog) []catalog { return append(append([]catalog{}, base...), extra...) }
	return []config{
		{Name: "cookies", Env: map[string]string{},
			Catalogs: with(flowCookies, csrfCrafted, claimMatrix, freshness, refreshCrafted, methodCases, loginBodies, moreCookieCases, claimTypeCases, oddRequestCases, wrongTypeCases, passwordChange)},
		{Name: "headers", Env: map[string]string{"JWT_TOKEN_LOCATION": "headers"},
			Catalogs: with(headerForms, flowHeaders, claimMatrix, freshness, refreshCrafted, claimTypeCases, wrongTypeCases, passwordChange)},
		{Name: "cookies-headers", Env: map[string]string{"JWT_TOKEN_LOCATION": "cookies,headers"},
			Catalogs: with(multipleLocations, flowHeaders, moreCookieCases, locationOrderCases, passwordChange)},
		{Name: "headers-cookies", Env: map[string]string{"JWT_TOKEN_LOCATION": "headers,cookies"},
			Catalogs: with(multipleLocations, locationOrderCases, passwordChange)},
		{Name: "csrf-off", Env: map[string]string{"JWT_COOKIE_CSRF_PROTECT": "false"},
			Catalogs: with(flowCookies, csrfCrafted, passwordChange)},
		{Name: "csrf-not-in-cookies", Env: map[string]string{"JWT_CSRF_IN_COOKIES": "false"},
			Catalogs: with(csrfHeaders)},
		{Name: "csrf-methods-get", Env: map[string]string{"JWT_CSRF_METHODS": "GET,POST"},
			Catalogs: with(methodCases)},
		{Name: "custom-names", Env: map[string]string{
			"JWT_TOKEN_LOCATION":     "cookies,headers",
			"JWT_ACCESS_COOKIE_NAME": "my_access", "JWT_REFRESH_COOKIE_NAME": "my_refresh",
			"JWT_ACCESS_CSRF_COOKIE_NAME": "my_csrf_access", "JWT_REFRESH_CSRF_COOKIE_NAME": "my_csrf_refresh",
			"JWT_ACCESS_CSRF_HEADER_NAME": "X-Access-CSRF", "JWT_REFRESH_CSRF_HEADER_NAME": "X-Refresh-CSRF",
			"JWT_HEADER_NAME": "X-Auth", "JWT_HEADER_TYPE": "JWT"},
			Catalogs: with(flowCookies, csrfHeaders, headerForms, flowHeaders, headerNameCases, passwordChange)},
		// Cookies only: a request without any Cookie header is refused by
		// the gateway itself (the identity source), whose 401 must name
		// the configured cookie as flask does.
		{Name: "custom-cookie-names", Env: map[string]string{
			"JWT_ACCESS_COOKIE_NAME": "my_access", "JWT_REFRESH_COOKIE_NAME": "my_refresh",
			"JWT_ACCESS_CSRF_COOKIE_NAME": "my_csrf_access", "JWT_REFRESH_CSRF_COOKIE_NAME": "my_csrf_refresh"},
			Catalogs: with(flowCookies)},
		{Name: "header-no-type", Env: map[string]string{"JWT_TOKEN_LOCATION": "headers", "JWT_HEADER_TYPE": ""},
			Catalogs: []catalog{noTypeHeader}},
		// Cookie attributes, several to a configuration: each start of the
		// two servers costs seconds, and these options do not interact.
		{Name: "cookie-attributes", Env: map[string]string{"JWT_ACCESS_COOKIE_PATH": "/api", "JWT_REFRESH_COOKIE_PATH": "/refresh",
			"JWT_ACCESS_CSRF_COOKIE_PATH": "/csrf-a", "JWT_REFRESH_CSRF_COOKIE_PATH": "/csrf-r",
			"JWT_COOKIE_DOMAIN": "example.test", "JWT_COOKIE_SAMESITE": "Strict", "JWT_COOKIE_SECURE": "true",
			"JWT_ACCESS_TOKEN_EXPIRES": "60", "JWT_REFRESH_TOKEN_EXPIRES": "7200"},
			Catalogs: []catalog{loginOnly}},
		{Name: "persistent-cookies", Env: map[string]string{"JWT_SESSION_COOKIE": "false", "JWT_COOKIE_SAMESITE": "None",
			"JWT_COOKIE_SECURE": "true", "JWT_ACCESS_TOKEN_EXPIRES": "5m", "JWT_REFRESH_TOKEN_EXPIRES": "168h"},
			Catalogs: []catalog{loginOnly}},
		{Name: "leeway-samesite-lax", Env: map[string]string{"JWT_DECODE_LEEWAY": "30", "JWT_COOKIE_SAMESITE": "Lax",
			"JWT_DECODE_ALGORITHMS": "HS256,HS384"},
			Catalogs: []catalog{leewayCases, algCases, loginOnly}},
		{Name: "issuer", Env: map[string]string{"JWT_ENCODE_ISSUER": "iss-a", "JWT_DECODE_ISSUER": "iss-a"},
			Catalogs: with(issuerCases)},
		{Name: "audience", Env: map[string]string{"JWT_ENCODE_AUDIENCE": "aud-a", "JWT_DECODE_AUDIENCE": "aud-a"},
			Catalogs: with(claimMatrix)},
		{Name: "audience-list", Env: map[string]string{"JWT_ENCODE_AUDIENCE": "aud-a,aud-b", "JWT_DECODE_AUDIENCE": "aud-a,aud-c"},
			Catalogs: with(claimMatrix)},
		{Name: "alg-hs512", Env: map[string]string{"JWT_ALGORITHM": "HS512"}, Catalogs: with(algCases)},
		{Name: "alg-joins-decode", Env: map[string]string{"JWT_ALGORITHM": "HS512", "JWT_DECODE_ALGORITHMS": "HS256"},
			Catalogs: with(algCases)},
		{Name: "query-string", Env: map[string]string{"JWT_TOKEN_LOCATION": "query_string"}, Catalogs: []catalog{queryCases, queryLocationCases, wrongTypeCases}},
		{Name: "query-string-prefix", Env: map[string]string{"JWT_TOKEN_LOCATION": "query_string", "JWT_QUERY_STRING_VALUE_PREFIX": "x-"},
			Catalogs: []catalog{queryCases, queryLocationCases}},
		{Name: "json", Env: map[string]string{"JWT_TOKEN_LOCATION": "json"}, Catalogs: []catalog{jsonCases}},
		{Name: "identity-claim", Env: map[string]string{"JWT_IDENTITY_CLAIM": "identity"},
			Catalogs: with(identityCases, flowCookies, passwordChange)},
		{Name: "error-message-key", Env: map[string]string{"JWT_ERROR_MESSAGE_KEY": "error"},
			Catalogs: []catalog{errorKeyCases}},
		{Name: "encode-nbf-off", Env: map[string]string{"JWT_ENCODE_NBF": "false"}, Catalogs: []catalog{loginOnly}},
		// tests/test_query_string.py's custom name with flask's documented
		// "Bearer " prefix (a space, URL-encoded on the wire).
		{Name: "query-string-custom", Env: map[string]string{"JWT_TOKEN_LOCATION": "query_string",
			"JWT_QUERY_STRING_NAME": "foo", "JWT_QUERY_STRING_VALUE_PREFIX": "bearer "},
			Catalogs: []catalog{loginOnly, queryCases, queryLocationCases}},
		// The json location where jwtgate starts with it (the template's
		// headersJson): refresh and logout read the body.
		{Name: "headers-json", Env: map[string]string{"JWT_TOKEN_LOCATION": "headers,json"},
			Catalogs: with(jsonLocationCases, flowHeaders)},
		{Name: "headers-json-custom-keys", Env: map[string]string{"JWT_TOKEN_LOCATION": "headers,json",
			"JWT_JSON_KEY": "Foo", "JWT_REFRESH_JSON_KEY": "Bar"},
			Catalogs: []catalog{jsonLocationCases}},
		{Name: "csrf-methods-get-only", Env: map[string]string{"JWT_CSRF_METHODS": "GET"}, Catalogs: []catalog{csrfGetOnlyCases}},
		// tests/test_multiple_token_locations.py's two apps (the template's
		// headersCookiesQueryStringJson and jsonQueryString), and cookies
		// with JSON-body refresh and logout (cookiesJson).
		{Name: "all-locations", Env: map[string]string{"JWT_TOKEN_LOCATION": "headers,cookies,query_string,json"},
			Catalogs: with(allLocationCases, multipleLocations, queryLocationCases, jsonLocationCases, moreCookieCases)},
		{Name: "json-query-string", Env: map[string]string{"JWT_TOKEN_LOCATION": "json,query_string"},
			Catalogs: []catalog{loginOnly, jsonQueryCases, queryLocationCases, jsonLocationCases}},
		{Name: "cookies-json", Env: map[string]string{"JWT_TOKEN_LOCATION": "cookies,json"},
			Catalogs: with(jsonLocationCases, moreCookieCases, csrfCrafted, oddRequestCases)},
		// An order the template has no TokenLocation value for.
		{Name: "query-string-headers", Env: map[string]string{"JWT_TOKEN_LOCATION": "query_string,headers"}, Catalogs: []catalog{loginOnly}},
		// JWT_TOKEN_LOCATION unset on both, flask at its library default
		// (headers; the reference app otherwise defaults to cookies, as
		// jwtgate): what a client of a default flask app sees.
		{Name: "library-default-location", Env: map[string]string{"FLASKREF_LIBRARY_LOCATION": "1"},
			Catalogs: []catalog{defaultLocationCases}},
		// tests/test_config.py: a location flask does not know.
		{Name: "invalid-location", Env: map[string]string{"JWT_TOKEN_LOCATION": "banana"}, Catalogs: []catalog{loginOnly}},
		// tests/test_headers.py's custom header name and type, headers only.
		{Name: "headers-custom", Env: map[string]string{"JWT_TOKEN_LOCATION": "headers", "JWT_HEADER_NAME": "Foo", "JWT_HEADER_TYPE": "JWT"},
			Catalogs: []catalog{headerForms, headerNameCases, flowHeaders}},
		// tests/test_cookies.py's CSRF value from a form field.
		{Name: "csrf-check-form", Env: map[string]string{"JWT_CSRF_CHECK_FORM": "true"}, Catalogs: []catalog{csrfFormCases}},
		// Cookies a browser drops: flask writes them, jwtgate refuses to start.
		{Name: "samesite-none-insecure", Env: map[string]string{"JWT_COOKIE_SAMESITE": "None", "JWT_COOKIE_SECURE": "false"},
			Catalogs: []catalog{loginOnly}},
		{Name: "host-prefix-domain", Env: map[string]string{"JWT_ACCESS_COOKIE_NAME": "__Host-access", "JWT_COOKIE_DOMAIN": "example.test",
			"JWT_COOKIE_SECURE": "true"}, Catalogs: []catalog{loginOnly}},
		// Key pairs (tests/test_asymmetric_crypto.py): flask with
		// JWT_PRIVATE_KEY and JWT_PUBLIC_KEY, jwtgate with the same key pair
		// in its key set. The claim matrix's and algCases' HMAC tokens are
		// then tokens of an algorithm the server does not allow.
		pairConfig("rs256", "RS256", nil, with(flowCookies, csrfCrafted, claimMatrix, freshness, refreshCrafted, algCases,
			keyPairCases, passwordChange)...),
		pairConfig("es256", "ES256", map[string]string{"JWT_TOKEN_LOCATION": "headers"},
			with(flowHeaders, claimMatrix, algCases, keyPairCases)...),
		// RS256 signing with HS256 also allowed: flask decodes every token
		// with JWT_PUBLIC_KEY, jwtgate with the key the kid (or the
		// algorithm) binds.
		pairConfig("rs256-decode-hs256", "RS256", map[string]string{"JWT_DECODE_ALGORITHMS": "RS256,HS256"},
			loginOnly, issuedProtected, algCases, keyPairCases),
		// flask's own key pair variables given to both: jwtgate refuses to
		// start rather than sign with a key of its own.
		{Name: "key-pair-variables", Env: map[string]string{"JWT_ALGORITHM": "RS256",
			"JWT_PRIVATE_KEY": serverPair("RS256").privatePEM(), "JWT_PUBLIC_KEY": serverPair("RS256").publicPEM()},
			Catalogs: []catalog{loginOnly}},
	}
}
