// Package cookies writes jwtgate's four session cookies with
// flask-jwt-extended's names, paths and HttpOnly split (the tokens
// HttpOnly, their CSRF values readable by the page's JavaScript), and
// clears them on logout.
//
// Cookies are only ever built as http.Cookie values and checked with Valid
// before they are written. Reading what a request presents (cookie, header,
// CSRF) is shared/runtime/request's job.
package cookies
