package request

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"unicode"

	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// Sentinel kinds of a refused request, carried by tokens.ValidationError
// (the one error type that holds a client message) and branched on with
// errors.Is.
var (
	ErrNoToken = errors.New("request: no token in request")
	// ErrBadHeader is flask's InvalidHeaderError: a token header of the
	// wrong shape (a type with no token, or more than one). The lookup
	// stops there, where ErrNoToken falls through to the next location.
	ErrBadHeader    = errors.New("request: malformed token header")
	ErrCSRFMissing  = errors.New("request: csrf header missing")
	ErrCSRFMismatch = errors.New("request: csrf mismatch")
	// ErrBadQuery is a query-string token without the configured prefix:
	// flask refuses it at once (422; jwtgate answers 401 everywhere).
	ErrBadQuery = errors.New("request: query string token without its prefix")
	// ErrBadJSONToken is a JSON-body token that is not a string (a number,
	// true, a list or an object): flask hands it to PyJWT, which refuses
	// it at once (a DecodeError, 422; jwtgate answers 401 everywhere).
	ErrBadJSONToken = errors.New("request: json body token is not a string")
)

// Headers reads request headers case-insensitively; http.Header satisfies it.
type Headers interface {
	Values(name string) []string
}

// Locations says where tokens may be presented (JWT_TOKEN_LOCATION).
type Locations struct {
	Cookies    bool
	Headers    bool
	HeaderName string // JWT_HEADER_NAME, "Authorization"
	HeaderType string // JWT_HEADER_TYPE, "Bearer"
	// Query is flask's "query_string" location: ?QueryName=QueryPrefix<JWT>
	// (JWT_QUERY_STRING_NAME, "jwt"; JWT_QUERY_STRING_VALUE_PREFIX, "").
	Query       bool
	QueryName   string
	QueryPrefix string
	// JSON is flask's "json" location: the token under JSONKey
	// (JWT_JSON_KEY, "access_token") or, for refresh tokens,
	// RefreshJSONKey (JWT_REFRESH_JSON_KEY, "refresh_token") of a JSON
	// body. Only functions that read the body see it: an API Gateway
	// authorizer gets no body.
	JSON           bool
	JSONKey        string
	RefreshJSONKey string
	// Order is JWT_TOKEN_LOCATION's order ("cookies", "headers",
	// "query_string", "json"); empty means cookies, then headers.
	Order []string
}

// Location names, as JWT_TOKEN_LOCATION spells them.
const (
	LocCookies = "cookies"
	LocHeaders = "headers"
	LocQuery   = "query_string"
	LocJSON    = "json"
)

// order is the configured order of the enabled locations.
func (loc Locations) order() []string {
	if len(loc.Order) > 0 {
		return loc.Order
	}
	var out []string
	if loc.Cookies {
		out = append(out, LocCookies)
	}
	if loc.Headers {
		out = append(out, LocHeaders)
	}
	return out
}

// FindIn looks for the token in every configured location of in, in the
// configured order; only "not found" falls through to the next location,
// and with several locations the message is flask's "Missing JWT in A or
// B (...)". refresh picks the JSON key of refresh tokens. Query-string and
// JSON tokens, like header ones, are never CSRF-checked.
func (loc Locations) FindIn(in Input, cookieName string, refresh bool) (Found, error) {
	order := loc.order()
	var missing []string
	for _, l := range order {
		switch l {
		case LocCookies:
			if v := CookieValue(in.Headers, cookieName); v != "" {
				return Found{Token: v, FromCookie: true}, nil
			}
			missing = append(missing, fmt.Sprintf("Missing cookie %q", cookieName))
		case LocHeaders:
			tok, err := headerToken(in.Headers, loc)
			if err == nil {
				return Found{Token: tok}, nil
			}
			if !errors.Is(err, ErrNoToken) {
				return Found{}, err
			}
			msg, _ := tokens.Message(err)
			missing = append(missing, msg)
		case LocQuery:
			v := in.Query[loc.QueryName]
			if v == "" {
				// flask 4.4's wording, typo included.
				missing = append(missing, fmt.Sprintf("Missing '%s' query paramater", loc.QueryName))
				continue
			}
			if !strings.HasPrefix(v, loc.QueryPrefix) {
				// flask raises this (InvalidQueryParamError) at once, 422.
				return Found{}, tokens.Refuse(ErrBadQuery, fmt.Sprintf(
					"Invalid value for query parameter '%s'. Expected the value to start with '%s'", loc.QueryName, loc.QueryPrefix))
			}
			return Found{Token: v[len(loc.QueryPrefix):]}, nil
		case LocJSON:
			key := loc.JSONKey
			if refresh {
				key = loc.RefreshJSONKey
			}
			tok, msg, err := jsonToken(in, key)
			if err != nil {
				return Found{}, err
			}
			if msg == "" {
				return Found{Token: tok}, nil
			}
			missing = append(missing, msg)
		}
	}
	if len(order) > 1 {
		return Found{}, tokens.Refuse(ErrNoToken, fmt.Sprintf("Missing JWT in %s or %s (%s)",
			strings.Join(order[:len(order)-1], ", "), order[len(order)-1], strings.Join(missing, "; ")))
	}
	return Found{}, tokens.Refuse(ErrNoToken, strings.Join(missing, "; "))
}

// jsonToken is flask's _decode_jwt_from_json: a JSON content type, then a
// non-empty string under key of a JSON object body. A missing, empty or
// falsy value (null, false, 0, "", [], {}) is "not found" (msg), which
// falls through to the next location; any other value that is not a
// string is handed to PyJWT by flask, which refuses it at once (err).
func jsonToken(in Input, key string) (tok, msg string, err error) {
	ct := ""
	if v := in.Headers.Values("Content-Type"); len(v) > 0 {
		ct = v[0]
	}
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return "", "Invalid content-type. Must be application/json.", nil
	}
	var body map[string]any
	if err := json.Unmarshal(in.Body, &body); err == nil {
		switch v := body[key].(type) {
		case string:
			if v != "" {
				return v, "", nil
			}
		case nil:
		default:
			if pyTruthy(v) {
				return "", "", tokens.Refuse(ErrBadJSONToken, "Invalid token type. Token must be a <class 'bytes'>")
			}
		}
	}
	return "", fmt.Sprintf("Missing %q key in json data.", key), nil
}

// pyTruthy is Python's truth value of a decoded JSON value other than a
// string or null.
func pyTruthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case float64:
		return v != 0
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

// Found is a presented token and whether it came from a cookie (only those
// are CSRF-checked).
type Found struct {
	Token      string
	FromCookie bool
}

// Find is FindIn for a request read only by its headers (the authorizer's
// view: no body, and the query string is not looked at here).
func Find(h Headers, cookieName string, loc Locations) (Found, error) {
	return loc.FindIn(Input{Headers: h}, cookieName, false)
}

// CookieValue returns the first cookie called name, parsed the way net/http
// parses a server request's Cookie headers (lenient, first wins): parts
// split on ";" and trimmed, the name a token, the value of cookie-octets,
// surrounding double quotes dropped, a malformed part skipped.
//
// It scans the lines in place instead of building an http.Request and a
// cookie list, so the authorizer's hot path allocates nothing here. Only a
// request with more than net/http's 3000 cookies takes net/http's own path,
// which reads as no cookie at all (and honours GODEBUG=httpcookiemaxnum).
func CookieValue(h Headers, name string) string {
	lines := h.Values("Cookie")
	if len(lines) == 0 || !isToken(name) {
		return ""
	}
	count := 0
	for _, line := range lines {
		count += strings.Count(line, ";") + 1
	}
	if count > maxCookies {
		return netHTTPCookieValue(lines, name)
	}
	for _, line := range lines {
		line = textproto.TrimString(line)
		var part string
		for len(line) > 0 {
			part, line, _ = strings.Cut(line, ";")
			k, v, _ := strings.Cut(textproto.TrimString(part), "=")
			if textproto.TrimString(k) != name {
				continue
			}
			if v, ok := cookieValue(v); ok {
				return v
			}
		}
	}
	return ""
}

// maxCookies is net/http's default limit on the cookies of one request.
const maxCookies = 3000

// netHTTPCookieValue is net/http's reading of the Cookie lines.
func netHTTPCookieValue(lines []string, name string) string {
	r := http.Request{Header: http.Header{"Cookie": lines}}
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// cookieValue is net/http's lenient cookie-value check: optional double
// quotes, then bytes 0x20-0x7e except '"', ';' and '\\'.
func cookieValue(raw string) (string, bool) {
	if len(raw) > 1 && raw[0] == '"' && raw[len(raw)-1] == '"' {
		raw = raw[1 : len(raw)-1]
	}
	for i := 0; i < len(raw); i++ {
		if b := raw[i]; b < 0x20 || b >= 0x7f || b == '"' || b == ';' || b == '\\' {
			return "", false
		}
	}
	return raw, true
}

// isToken reports whether s is an RFC 7230 token, as net/http requires of
// a cookie name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0:
		default:
			return false
		}
	}
	return true
}

// headerToken reads the token from the configured header the way
// flask-jwt-extended 4.7 does: every line of the header joined with ","
// (as werkzeug's server hands them to flask), stripped of white space and
// then of commas; with a type, the value is split into comma-separated
// entries and exactly one must start with the type, followed by exactly one
// token. A missing header or no entry of the type is ErrNoToken; an entry
// of the type with no token or more than one is ErrBadHeader. flask 4.4
// answered 500 on an empty entry ("Bearer t,,x"); 4.7 skips it, as here.
func headerToken(h Headers, loc Locations) (string, error) {
	name, typ := loc.HeaderName, loc.HeaderType
	v := strings.Trim(strings.TrimFunc(strings.Join(h.Values(name), ","), isPySpace), ",")
	if v == "" {
		return "", tokens.Refuse(ErrNoToken, fmt.Sprintf("Missing %s Header", name))
	}
	if typ == "" {
		parts := strings.FieldsFunc(v, isPySpace)
		if len(parts) != 1 {
			return "", tokens.Refuse(ErrBadHeader, fmt.Sprintf("Bad %s header. Expected '%s: <JWT>'", name, name))
		}
		return parts[0], nil
	}
	var match []string
	for i, entry := range strings.Split(v, ",") {
		if i > 0 {
			entry = strings.TrimLeftFunc(entry, isPySpace) // the split is on `,\s*`
		}
		if fields := strings.FieldsFunc(entry, isPySpace); len(fields) > 0 && fields[0] == typ {
			match = append(match, entry)
		}
	}
	if len(match) != 1 {
		return "", tokens.Refuse(ErrNoToken,
			fmt.Sprintf("Missing '%s' type in '%s' header. Expected '%s: %s <JWT>'", typ, name, name, typ))
	}
	parts := strings.FieldsFunc(match[0], isPySpace)
	if len(parts) != 2 {
		return "", tokens.Refuse(ErrBadHeader, fmt.Sprintf("Bad %s header. Expected '%s: %s <JWT>'", name, name, typ))
	}
	return parts[1], nil
}

// isPySpace is Python's str.split()/strip() white space: Unicode's, plus
// the separators U+001C to U+001F.
func isPySpace(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) }

// CSRF is the double-submit configuration (JWT_COOKIE_CSRF_PROTECT,
// JWT_CSRF_METHODS, JWT_*_CSRF_HEADER_NAME).
type CSRF struct {
	Protect       bool
	Methods       map[string]bool
	AccessHeader  string
	RefreshHeader string
}

// DefaultCSRF is flask-jwt-extended's configuration.
func DefaultCSRF() CSRF {
	return CSRF{
		Protect:       true,
		Methods:       map[string]bool{"POST": true, "PUT": true, "PATCH": true, "DELETE": true},
		AccessHeader:  "X-CSRF-TOKEN",
		RefreshHeader: "X-CSRF-TOKEN",
	}
}

// Applies reports whether a token found as f on a request with method must
// pass the double submit check: cookie tokens on the configured methods.
func (c CSRF) Applies(method string, f Found) bool {
	return c.Protect && f.FromCookie && c.Methods[strings.ToUpper(method)]
}

// Presented returns the CSRF header value, or the "Missing CSRF token"
// error that flask raises before it decodes the token. Several lines of
// the header are joined with "," as the WSGI server hands them to flask
// (werkzeug, gunicorn), so a repeated header matches no token's claim.
func Presented(h Headers, header string) (string, error) {
	vals := h.Values(header)
	v := ""
	if len(vals) == 1 {
		v = vals[0]
	} else if len(vals) > 1 {
		v = strings.Join(vals, ",")
	}
	if v == "" {
		return "", tokens.Refuse(ErrCSRFMissing, "Missing CSRF token")
	}
	return v, nil
}

// Compare checks the header value against the token's csrf claim in
// constant time.
func Compare(header, claim string) error {
	if claim == "" {
		return tokens.Refuse(ErrCSRFMismatch, "Missing claim: csrf")
	}
	if subtle.ConstantTimeCompare([]byte(header), []byte(claim)) != 1 {
		return tokens.Refuse(ErrCSRFMismatch, "CSRF double submit tokens do not match")
	}
	return nil
}

// EventHeaders adapts API Gateway's header maps (single and multi-value,
// any case) to Headers.
type EventHeaders struct {
	Single map[string]string
	Multi  map[string][]string
}

// Values returns every value of name, preferring the multi-value map. The
// exact and lower-case spellings (HTTP/1.1 and HTTP/2 clients) are map
// lookups; other spellings fall back to a case-insensitive scan.
func (e EventHeaders) Values(name string) []string {
	if v, ok := lookupFold(e.Multi, name); ok {
		return v
	}
	if v, ok := lookupFold(e.Single, name); ok {
		return []string{v}
	}
	return nil
}

// lookupFold finds name in m whatever its case.
func lookupFold[V any](m map[string]V, name string) (V, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	var buf [64]byte
	if len(name) <= len(buf) {
		lower := buf[:len(name)]
		for i := 0; i < len(name); i++ {
			b := name[i]
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			lower[i] = b
		}
		if v, ok := m[string(lower)]; ok { // no allocation: a map index
			return v, true
		}
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	var zero V
	return zero, false
}
