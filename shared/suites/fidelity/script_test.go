package fidelity_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// names are the cookie and header names a configuration gives.
type names struct {
	Access, Refresh, CSRFAccess, CSRFRefresh string
	CSRFHeaderAccess, CSRFHeaderRefresh      string
	Header, HeaderType                       string
	Query                                    string
	// QueryPrefix is JWT_QUERY_STRING_VALUE_PREFIX as given; JSONKey and
	// JSONRefreshKey the json location's keys.
	QueryPrefix, JSONKey, JSONRefreshKey string
}

func namesOf(env map[string]string) names {
	get := func(k, def string) string {
		if v, ok := env[k]; ok && v != "" {
			return v
		}
		return def
	}
	n := names{
		Access: get("JWT_ACCESS_COOKIE_NAME", "access_token_cookie"), Refresh: get("JWT_REFRESH_COOKIE_NAME", "refresh_token_cookie"),
		CSRFAccess: get("JWT_ACCESS_CSRF_COOKIE_NAME", "csrf_access_token"), CSRFRefresh: get("JWT_REFRESH_CSRF_COOKIE_NAME", "csrf_refresh_token"),
		CSRFHeaderAccess: get("JWT_ACCESS_CSRF_HEADER_NAME", "X-CSRF-TOKEN"), CSRFHeaderRefresh: get("JWT_REFRESH_CSRF_HEADER_NAME", "X-CSRF-TOKEN"),
		Header: get("JWT_HEADER_NAME", "Authorization"), HeaderType: get("JWT_HEADER_TYPE", "Bearer"),
		Query: get("JWT_QUERY_STRING_NAME", "jwt"), QueryPrefix: env["JWT_QUERY_STRING_VALUE_PREFIX"],
		JSONKey: get("JWT_JSON_KEY", "access_token"), JSONRefreshKey: get("JWT_REFRESH_JSON_KEY", "refresh_token"),
	}
	if v, ok := env["JWT_HEADER_TYPE"]; ok {
		n.HeaderType = v // set but empty: no type
	}
	return n
}

// side is one server as a client sees it: its URL and what it has set.
type side struct {
	Name  string
	URL   string
	Names names
	// Jar holds the last non-empty value each cookie was set to. Clearing
	// Set-Cookies do not remove values, so a script can present a token
	// again after logout (a replay).
	Jar    map[string]string
	client *http.Client
}

// request is what one step sends. Header lines are kept in order and may
// repeat a name.
type request struct {
	Method, Path string
	Header       [][2]string
	Body         string
	// NoCookieHeader sends no Cookie header at all (otherwise a request
	// without cookies carries "other=1").
	NoCookieHeader bool
}

// step builds a request from what the side has set so far.
type step func(s *side) request

// opt adds to a request.
type opt func(s *side, r *request)

func send(method, path string, opts ...opt) step {
	return func(s *side) request {
		r := request{Method: method, Path: path}
		for _, o := range opts {
			o(s, &r)
		}
		return r
	}
}

func get(path string, opts ...opt) step  { return send(http.MethodGet, path, opts...) }
func post(path string, opts ...opt) step { return send(http.MethodPost, path, opts...) }

// login signs in as user with password.
func login(user, password string) step {
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	return post("/login", header("Content-Type", "application/json"), rawBody(string(body)))
}

func header(k, v string) opt {
	return func(_ *side, r *request) { r.Header = append(r.Header, [2]string{k, v}) }
}

// noCookieHeader sends the request without any Cookie header.
func noCookieHeader() opt { return func(_ *side, r *request) { r.NoCookieHeader = true } }

func rawBody(b string) opt { return func(_ *side, r *request) { r.Body = b } }

// cookie presents the named cookies from the jar ("access", "refresh",
// "csrf_access", "csrf_refresh" name the configured cookies).
func cookie(which ...string) opt {
	return func(s *side, r *request) {
		var parts []string
		for _, w := range which {
			name := s.cookieName(w)
			if v, ok := s.Jar[name]; ok {
				parts = append(parts, name+"="+v)
			}
		}
		if len(parts) > 0 {
			r.Header = append(r.Header, [2]string{"Cookie", strings.Join(parts, "; ")})
		}
	}
}

// cookieValue presents the configured cookie which with a literal value.
func cookieValue(which, value string) opt {
	return func(s *side, r *request) {
		r.Header = append(r.Header, [2]string{"Cookie", s.cookieName(which) + "=" + value})
	}
}

// cookieToken presents the jar's token of kind from (access or refresh) in
// the cookie of kind as: a token of the wrong type in the right cookie.
func cookieToken(as, from string) opt {
	return func(s *side, r *request) {
		r.Header = append(r.Header, [2]string{"Cookie", s.cookieName(as) + "=" + s.Jar[s.cookieName(from)]})
	}
}

// csrf sends the configured CSRF header of kind (access or refresh) with
// the csrf claim of the jar's token of kind from: what a front end reads
// from the csrf_* cookie.
func csrf(kind, from string) opt {
	return func(s *side, r *request) {
		name := s.Names.CSRFHeaderAccess
		if kind == "refresh" {
			name = s.Names.CSRFHeaderRefresh
		}
		r.Header = append(r.Header, [2]string{name, claimOf(s.Jar[s.cookieName(from)], "csrf")})
	}
}

// csrfValue sends the access CSRF header with a literal value.
func csrfValue(v string) opt {
	return func(s *side, r *request) { r.Header = append(r.Header, [2]string{s.Names.CSRFHeaderAccess, v}) }
}

// bearer sends the jar's token of kind in the configured header, with the
// configured type.
func bearer(kind string) opt {
	return func(s *side, r *request) {
		r.Header = append(r.Header, [2]string{s.Names.Header, s.typed(s.Jar[s.cookieName(kind)])})
	}
}

// bearerToken sends a literal token in the configured header and type.
func bearerToken(tok string) opt {
	return func(s *side, r *request) { r.Header = append(r.Header, [2]string{s.Names.Header, s.typed(tok)}) }
}

// authorization sends the configured header with a raw value; "{T}" in it
// is replaced by tok, "{TYPE}" by the configured type.
func authorization(raw, tok string) opt {
	return func(s *side, r *request) {
		v := strings.ReplaceAll(strings.ReplaceAll(raw, "{T}", tok), "{TYPE}", s.Names.HeaderType)
		r.Header = append(r.Header, [2]string{s.Names.Header, v})
	}
}

// query appends the configured query-string parameter.
func query(value string) opt {
	return func(s *side, r *request) {
		sep := "?"
		if strings.Contains(r.Path, "?") {
			sep = "&"
		}
		r.Path += sep + s.Names.Query + "=" + url.QueryEscape(value)
	}
}

func (s *side) typed(tok string) string {
	if s.Names.HeaderType == "" {
		return tok
	}
	return s.Names.HeaderType + " " + tok
}

func (s *side) cookieName(which string) string {
	switch which {
	case "access":
		return s.Names.Access
	case "refresh":
		return s.Names.Refresh
	case "csrf_access":
		return s.Names.CSRFAccess
	case "csrf_refresh":
		return s.Names.CSRFRefresh
	}
	return which
}

// claimOf reads a claim of a token without verifying it.
func claimOf(tok, claim string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	s, _ := m[claim].(string)
	return s
}

// remember keeps what a response set in the jar.
func (s *side) remember(o outcome) {
	for _, c := range o.Cookies {
		if c.Value != "" {
			s.Jar[c.Name] = c.Value
		}
	}
}

// craftCSRF is the csrf claim of crafted tokens, so scripts can send it.
const craftCSRF = "crafted-csrf-value"

// claims are a crafted token's claims and the key pairs of the
// configuration they are signed for (nil: HMAC with secretKey); with and
// without edit a copy.
type claims struct {
	m    map[string]any
	pair *keyPair
}

// tokenClaims are the claims of a valid access (or refresh) token as both
// servers issue them, for testuser, at now; env adds iss and aud as the
// configuration encodes them, and names the identity claim
// (JWT_IDENTITY_CLAIM). pair is the configuration's key pair, if any.
func tokenClaims(now time.Time, typ string, env map[string]string, pair *keyPair) claims {
	c := map[string]any{
		"fresh": false, "iat": now.Unix(), "jti": uuid.NewString(), "type": typ, "sub": "testuser",
		"nbf": now.Unix(), "csrf": craftCSRF, "exp": now.Add(5 * time.Minute).Unix(),
		"sid": uuid.NewString(), "roles": []string{"user"},
	}
	if id := env["JWT_IDENTITY_CLAIM"]; id != "" && id != "sub" {
		c[id] = c["sub"]
		delete(c, "sub")
	}
	if iss := env["JWT_ENCODE_ISSUER"]; iss != "" {
		c["iss"] = iss
	}
	if aud := env["JWT_ENCODE_AUDIENCE"]; aud != "" {
		list := strings.Split(aud, ",")
		if len(list) == 1 {
			c["aud"] = list[0]
		} else {
			c["aud"] = list
		}
	}
	return claims{m: c, pair: pair}
}

func (c claims) with(kv ...any) claims {
	out := claims{m: map[string]any{}, pair: c.pair}
	for k, v := range c.m {
		out.m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.m[kv[i].(string)] = kv[i+1]
	}
	return out
}

func (c claims) without(keys ...string) claims {
	out := c.with()
	for _, k := range keys {
		delete(out.m, k)
	}
	return out
}

// only is c's signing with these claims alone.
func (c claims) only(kv ...any) claims {
	return claims{m: map[string]any{}, pair: c.pair}.with(kv...)
}

// sign signs c with alg and the configuration's key for it: "" is the
// configuration's algorithm (HS256, or its key pair's), HS* use the shared
// secretKey, an asymmetric algorithm the configuration's key pair when it
// is of that algorithm, else the harness's own key of that type (a key
// neither server holds). Extra header fields are set as given.
func (c claims) sign(alg string, hdr ...any) string {
	if alg == "" {
		alg = c.pair.algorithm()
	}
	return c.signWith(alg, c.pair.signingKey(alg), hdr...)
}

// signOther signs c with the configuration's algorithm and a key neither
// server holds.
func (c claims) signOther() string {
	alg := c.pair.algorithm()
	return c.signWith(alg, c.pair.otherKey(alg))
}

func (c claims) signWith(alg string, key any, hdr ...any) string {
	if alg == "" {
		alg = "HS256"
	}
	if alg == "none" {
		t := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims(c.m))
		s, err := t.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			panic(err)
		}
		return s
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(alg), jwt.MapClaims(c.m))
	for i := 0; i+1 < len(hdr); i += 2 {
		t.Header[hdr[i].(string)] = hdr[i+1]
	}
	s, err := t.SignedString(key)
	if err != nil {
		panic(err)
	}
	return s
}

// rawToken joins base64url parts of literal JSON (or raw text) with an
// HS256 signature over them, for malformed tokens.
func rawToken(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	signing := enc([]byte(header)) + "." + enc([]byte(payload))
	sig, err := jwt.SigningMethodHS256.Sign(signing, []byte(secretKey))
	if err != nil {
		panic(err)
	}
	return signing + "." + enc(sig)
}
