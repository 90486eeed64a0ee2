package cors

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/reply"
)

// EnvOrigins is the variable that lists the allowed origins.
const EnvOrigins = "JWTGATE_CORS_ORIGINS"

// Errors of FromEnv and Parse.
var (
	ErrWildcard = errors.New(`"*" is not allowed with credentials: list the exact origins`)
	ErrOrigin   = errors.New("not an origin (want scheme://host[:port])")
	// ErrInsecureOrigin refuses a plain-http origin off this machine: the
	// API would hand its credentialed answers (who is logged in, the CSRF
	// failures a probe learns from) to any page a network attacker can
	// inject into that origin. Loopback and localhost stay allowed for
	// local front ends (a dev server on http://localhost:5173).
	ErrInsecureOrigin = errors.New("http:// is allowed with credentials only for localhost and loopback addresses: use https://")
)

// Preflight answers: the API's methods and the two headers its calls send.
const (
	AllowMethods = "GET, POST, PUT, PATCH, DELETE"
	AllowHeaders = "Content-Type, X-CSRF-TOKEN"
)

// DefaultMaxAge is how long a browser may cache a preflight answer
// (Chromium caps it at two hours).
const DefaultMaxAge = 10 * time.Minute

// Options configure the middleware. The zero value allows no origin and
// makes Middleware a pass-through.
type Options struct {
	// Origins are the allowed origins, normalized as browsers send them
	// (lower-case scheme and host, no default port).
	Origins []string
	// MaxAge of preflight answers; 0 means DefaultMaxAge.
	MaxAge time.Duration
	// MessageKey is the key of the refused preflight's error body
	// (JWT_ERROR_MESSAGE_KEY); "" is flask's "msg".
	MessageKey string
}

// Enabled reports whether any origin is allowed.
func (o Options) Enabled() bool { return len(o.Origins) > 0 }

// Allowed reports whether origin (an Origin header value) is in the list.
// The comparison is exact: browsers serialize origins canonically, so a
// look-alike such as https://app.example.com.evil.test never matches.
func (o Options) Allowed(origin string) bool {
	return origin != "" && slices.Contains(o.Origins, origin)
}

// FromEnv reads JWTGATE_CORS_ORIGINS through getenv (os.LookupEnv's shape,
// like config.Getenv). Unset or empty means CORS is off.
func FromEnv(getenv func(string) (string, bool)) (Options, error) {
	v, _ := getenv(EnvOrigins)
	origins, err := Parse(v)
	if err != nil {
		return Options{}, fmt.Errorf("%s: %w", EnvOrigins, err)
	}
	key, _ := getenv("JWT_ERROR_MESSAGE_KEY")
	return Options{Origins: origins, MessageKey: strings.TrimSpace(key)}, nil
}

// Parse reads a comma-separated origin list and normalizes each origin.
// It refuses "*", "null" (sandboxed frames and files, which any site can
// produce), wildcards, paths, queries and credentials in the URL.
func Parse(list string) ([]string, error) {
	var out []string
	var errs []error
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		o, err := normalize(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%q: %w", raw, err))
			continue
		}
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func normalize(raw string) (string, error) {
	if strings.Contains(raw, "*") {
		return "", ErrWildcard
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") {
		return "", ErrOrigin
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", ErrOrigin
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" {
		return "", ErrOrigin
	}
	if scheme == "http" && !loopback(host) {
		return "", ErrInsecureOrigin
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", ErrOrigin
		}
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// loopback reports whether host (lower case, without brackets) names this
// machine: localhost and its subdomains (RFC 6761 keeps them on loopback),
// 127.0.0.0/8 and ::1.
func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// Middleware wraps next with the CORS rules of o. It is idempotent: a
// handler wrapped twice (function and gateway) sends each header once.
func Middleware(o Options, next http.Handler) http.Handler {
	if !o.Enabled() {
		return next
	}
	maxAge := o.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		addVary(h, "Origin")
		origin := r.Header.Get("Origin")
		allowed := o.Allowed(origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if !allowed {
				reply.NewMessages(o.MessageKey).Msg(w, http.StatusForbidden, "CORS origin not allowed")
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", AllowMethods)
			h.Set("Access-Control-Allow-Headers", AllowHeaders)
			h.Set("Access-Control-Max-Age", strconv.Itoa(int(maxAge.Seconds())))
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		next.ServeHTTP(w, r)
	})
}

// addVary adds value to the Vary header unless it is already listed.
func addVary(h http.Header, value string) {
	for _, line := range h.Values("Vary") {
		for _, v := range strings.Split(line, ",") {
			if strings.EqualFold(strings.TrimSpace(v), value) {
				return
			}
		}
	}
	h.Add("Vary", value)
}
