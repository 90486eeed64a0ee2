// Package cookies writes and reads jwtgate's four session cookies with
// flask-jwt-extended's names and HttpOnly split, locates the token a request
// presents (cookies, then the Authorization header when configured), and
// implements the CSRF double submit check.
//
// Cookies are only ever built as http.Cookie values and checked with Valid
// before they are written.
package cookies
