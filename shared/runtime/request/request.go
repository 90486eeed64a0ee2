package request

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// Sentinel kinds of a refused request, carried by tokens.ValidationError
// (the one error type that holds a client message) and branched on with
// errors.Is.
var (
	ErrNoToken      = errors.New("request: no token in request")
	ErrCSRFMissing  = errors.New("request: csrf header missing")
	ErrCSRFMismatch = errors.New("request: csrf mismatch")
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
}

// Found is a presented token and whether it came from a cookie (only those
// are CSRF-checked).
type Found struct {
	Token      string
	FromCookie bool
}

// Find returns the token named cookieName (or the Authorization header
// token) in the order flask-jwt-extended looks: cookies, then headers. Only
// "not found" falls through to the next location.
func Find(h Headers, cookieName string, loc Locations) (Found, error) {
	var missing []string
	if loc.Cookies {
		if v := CookieValue(h, cookieName); v != "" {
			return Found{Token: v, FromCookie: true}, nil
		}
		missing = append(missing, fmt.Sprintf("Missing cookie %q", cookieName))
	}
	if loc.Headers {
		tok, msg := bearer(h, loc)
		if msg == "" {
			return Found{Token: tok}, nil
		}
		missing = append(missing, msg)
	}
	return Found{}, tokens.Refuse(ErrNoToken, strings.Join(missing, "; "))
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

func bearer(h Headers, loc Locations) (string, string) {
	name := loc.HeaderName
	vals := h.Values(name)
	if len(vals) == 0 || vals[0] == "" {
		return "", fmt.Sprintf("Missing %s Header", name)
	}
	v := vals[0]
	if loc.HeaderType == "" {
		if strings.Contains(v, " ") {
			return "", fmt.Sprintf("Bad %s header. Expected value '<JWT>'", name)
		}
		return v, ""
	}
	prefix, tok, ok := strings.Cut(v, " ")
	if !ok || prefix != loc.HeaderType || tok == "" || strings.Contains(tok, " ") {
		return "", fmt.Sprintf("Bad %s header. Expected value '%s <JWT>'", name, loc.HeaderType)
	}
	return tok, ""
}

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
// error that flask raises before it decodes the token.
func Presented(h Headers, header string) (string, error) {
	vals := h.Values(header)
	if len(vals) == 0 || vals[0] == "" {
		return "", tokens.Refuse(ErrCSRFMissing, "Missing CSRF token")
	}
	return vals[0], nil
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
