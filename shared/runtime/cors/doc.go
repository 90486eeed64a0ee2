// Package cors lets a front end on another origin call jwtgate's session
// and protected functions with the browser's cookies (fetch with
// credentials: "include").
//
// Only an exact list of origins is allowed (JWTGATE_CORS_ORIGINS,
// comma-separated, e.g. "https://app.example.com"). "*" is refused: with
// credentials the browser ignores it, and echoing any origin would let
// every site read the API's answers with the user's cookies. An allowed
// request gets its own Origin back in Access-Control-Allow-Origin, with
// Access-Control-Allow-Credentials: true and Vary: Origin; preflights are
// answered here (methods GET, POST, PUT, PATCH, DELETE; headers
// Content-Type and X-CSRF-TOKEN). A request from any other origin is served
// without CORS headers, so its page cannot read the answer, and its
// preflight is refused with 403.
//
// CORS is about reading answers; it does not stop a request from being
// sent. The CSRF double-submit check (X-CSRF-TOKEN against the token's csrf
// claim) still guards every state-changing call.
//
// Cookies: a front end on another site (not only another origin) only gets
// the cookies sent when they are SameSite=None, and browsers drop
// SameSite=None cookies without Secure, so such a deployment needs
// JWT_COOKIE_SAMESITE=None with JWT_COOKIE_SECURE=true and https on both
// sides. Such a front end also cannot read the API's csrf_* cookies
// (document.cookie only shows its own site's cookies), so it cannot send
// X-CSRF-TOKEN: state-changing calls need the front end and the API on the
// same site (app.example.com and api.example.com with
// JWT_COOKIE_DOMAIN=example.com, where SameSite=Lax is enough), or the CSRF
// value handed over another way.
package cors
