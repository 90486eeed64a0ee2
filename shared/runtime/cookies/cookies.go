package cookies

import (
	"fmt"
	"net/http"
	"time"
)

// Names and defaults of flask-jwt-extended.
const (
	DefaultAccessName      = "access_token_cookie"
	DefaultRefreshName     = "refresh_token_cookie"
	DefaultAccessCSRFName  = "csrf_access_token"
	DefaultRefreshCSRFName = "csrf_refresh_token"
	DefaultPath            = "/"
)

// Options are the cookie attributes, from JWT_* configuration.
type Options struct {
	AccessName, RefreshName         string
	AccessCSRFName, RefreshCSRFName string
	AccessPath, RefreshPath         string
	AccessCSRFPath, RefreshCSRFPath string
	Domain                          string
	Secure                          bool
	SameSite                        http.SameSite
	// Session cookies carry no Max-Age/Expires, so the browser drops them on
	// close; otherwise they live PersistentMaxAge, as flask's do. A cookie
	// outliving its token is what a flask front end expects: it presents the
	// expired token, gets 401 "Token has expired" and refreshes, where a
	// cookie gone with its token would read as "Missing cookie".
	Session bool
	// CSRFInCookies writes (and clears) the JavaScript-readable csrf_*
	// cookies. flask-jwt-extended writes them only when the double submit
	// check is on (JWT_CSRF_IN_COOKIES and JWT_COOKIE_CSRF_PROTECT); the
	// configuration loader sets it so.
	CSRFInCookies bool
}

// PersistentMaxAge is the Max-Age of non-session cookies: flask-jwt-extended's
// config.cookie_max_age, "1 year" (365 days and some hours: 31,540,000 s).
const PersistentMaxAge = 31540000 * time.Second

// Defaults returns flask-jwt-extended's names and paths with the safe
// production attributes: Secure, SameSite=Lax, session cookies.
func Defaults() Options {
	return Options{
		AccessName: DefaultAccessName, RefreshName: DefaultRefreshName,
		AccessCSRFName: DefaultAccessCSRFName, RefreshCSRFName: DefaultRefreshCSRFName,
		AccessPath: DefaultPath, RefreshPath: DefaultPath,
		AccessCSRFPath: DefaultPath, RefreshCSRFPath: DefaultPath,
		Secure: true, SameSite: http.SameSiteLaxMode, Session: true, CSRFInCookies: true,
	}
}

// Token is one token to be written: its value, CSRF value and expiry.
type Token struct {
	Value   string
	CSRF    string
	Expires time.Time
}

// Write sets the access cookies (when access is non-nil) and then the
// refresh cookies (when refresh is non-nil), in flask's order.
func (o Options) Write(w http.ResponseWriter, now time.Time, access, refresh *Token) error {
	var list []*http.Cookie
	if access != nil {
		list = append(list, o.pair(o.AccessName, o.AccessPath, o.AccessCSRFName, o.AccessCSRFPath, *access, now)...)
	}
	if refresh != nil {
		list = append(list, o.pair(o.RefreshName, o.RefreshPath, o.RefreshCSRFName, o.RefreshCSRFPath, *refresh, now)...)
	}
	return set(w, list)
}

// Clear expires the cookies Write sets: the token cookies and, with
// CSRFInCookies, the csrf_* cookies. Browsers honour Max-Age=0; the epoch
// Expires is what flask sends and what older clients (and curl) read.
func (o Options) Clear(w http.ResponseWriter) error {
	names := []struct {
		name, path string
		token      bool
	}{
		{o.AccessName, o.AccessPath, true}, {o.AccessCSRFName, o.AccessCSRFPath, false},
		{o.RefreshName, o.RefreshPath, true}, {o.RefreshCSRFName, o.RefreshCSRFPath, false},
	}
	list := make([]*http.Cookie, 0, len(names))
	for _, n := range names {
		if !n.token && !o.CSRFInCookies {
			continue
		}
		c := o.base(n.name, n.path, n.token)
		c.MaxAge = -1 // net/http writes Max-Age=0
		c.Expires = time.Unix(0, 0)
		list = append(list, c)
	}
	return set(w, list)
}

func (o Options) pair(name, path, csrfName, csrfPath string, t Token, now time.Time) []*http.Cookie {
	tok := o.base(name, path, true)
	tok.Value = t.Value
	o.lifetime(tok, now)
	out := []*http.Cookie{tok}
	if o.CSRFInCookies {
		csrf := o.base(csrfName, csrfPath, false)
		csrf.Value = t.CSRF
		o.lifetime(csrf, now)
		out = append(out, csrf)
	}
	return out
}

func (o Options) base(name, path string, httpOnly bool) *http.Cookie {
	return &http.Cookie{
		Name: name, Path: path, Domain: o.Domain,
		Secure: o.Secure, HttpOnly: httpOnly, SameSite: o.SameSite,
	}
}

func (o Options) lifetime(c *http.Cookie, now time.Time) {
	if o.Session {
		return
	}
	c.Expires = now.Add(PersistentMaxAge).UTC()
	c.MaxAge = int(PersistentMaxAge.Seconds())
}

func set(w http.ResponseWriter, list []*http.Cookie) error {
	for _, c := range list {
		if err := c.Valid(); err != nil {
			return fmt.Errorf("cookies: %s: %w", c.Name, err)
		}
	}
	for _, c := range list {
		http.SetCookie(w, c)
	}
	return nil
}
