package webapp

import (
	"embed"
	"net/http"
	"path"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is sent with every file: scripts, styles and
// connections only from the page's own origin, no inline script or style,
// no framing (clickjacking), no plugins, no <base> rewriting, forms post
// only to the origin.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// MissingRouteBody is API Gateway's answer (status 403) for a request no
// route matches; Handler gives it for everything that is not a file of the
// app, so the API behaves as it does without the app.
const MissingRouteBody = `{"message":"Missing Authentication Token"}`

// file maps a URL path to its embedded file and content type; the types
// are set here so they do not depend on the host's MIME tables.
func file(urlPath string) (name, contentType string, ok bool) {
	const html, css, js = "text/html; charset=utf-8", "text/css; charset=utf-8", "text/javascript; charset=utf-8"
	switch urlPath {
	case "/", "/index.html":
		return "index.html", html, true
	case "/app.css":
		return "app.css", css, true
	case "/app.js":
		return "app.js", js, true
	case "/jwtgate-client.js":
		return "jwtgate-client.js", js, true
	}
	return "", "", false
}

// Handler serves the app's files on GET and HEAD with Cache-Control:
// no-cache (always revalidated, so a new binary's page is never stale) and
// the strict Content-Security-Policy, and answers anything else like API
// Gateway does for a missing route.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, contentType, ok := file(r.URL.Path)
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			missingRoute(w)
			return
		}
		body, err := static.ReadFile(path.Join("static", name))
		if err != nil {
			missingRoute(w)
			return
		}
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return
		}
		_, _ = w.Write(body)
	})
}

func missingRoute(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(MissingRouteBody))
}
