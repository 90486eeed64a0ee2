package cookies

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors of the request side; RequestError.Msg is flask's wording.
var (
	ErrNoToken      = errors.New("cookies: no token in request")
	ErrCSRFMissing  = errors.New("cookies: csrf header missing")
	ErrCSRFMismatch = errors.New("cookies: csrf mismatch")
)

// RequestError is a refused request with the message a client is shown.
type RequestError struct {
	Kind error
	Msg  string
}

func (e *RequestError) Error() string { return fmt.Sprintf("%v: %s", e.Kind, e.Msg) }

// Unwrap lets errors.Is match the sentinel kind.
func (e *RequestError) Unwrap() error { return e.Kind }

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
	return Found{}, &RequestError{Kind: ErrNoToken, Msg: strings.Join(missing, "; ")}
}

// CookieValue returns the first cookie called name, parsed the way net/http
// parses a server request's Cookie headers (lenient, first wins).
func CookieValue(h Headers, name string) string {
	lines := h.Values("Cookie")
	if len(lines) == 0 {
		return ""
	}
	r := http.Request{Header: http.Header{"Cookie": lines}}
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
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
		return "", &RequestError{Kind: ErrCSRFMissing, Msg: "Missing CSRF token"}
	}
	return vals[0], nil
}

// Compare checks the header value against the token's csrf claim in
// constant time.
func Compare(header, claim string) error {
	if claim == "" {
		return &RequestError{Kind: ErrCSRFMismatch, Msg: "Missing claim: csrf"}
	}
	if subtle.ConstantTimeCompare([]byte(header), []byte(claim)) != 1 {
		return &RequestError{Kind: ErrCSRFMismatch, Msg: "CSRF double submit tokens do not match"}
	}
	return nil
}

// Message returns the client-facing message of a request error.
func Message(err error) (string, bool) {
	var r *RequestError
	if errors.As(err, &r) {
		return r.Msg, true
	}
	return "", false
}

// EventHeaders adapts API Gateway's header maps (single and multi-value,
// any case) to Headers.
type EventHeaders struct {
	Single map[string]string
	Multi  map[string][]string
}

// Values returns every value of name, preferring the multi-value map.
func (e EventHeaders) Values(name string) []string {
	for k, v := range e.Multi {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, v := range e.Single {
		if strings.EqualFold(k, name) {
			return []string{v}
		}
	}
	return nil
}
