// Package webapp is the demo web app that `jwtgate dev` serves at "/": a
// login form, a panel showing who is logged in (GET /protected), an admin
// panel (GET /admin, refused for non-admins), a change-password form (POST
// /password, the state-changing call that needs the CSRF header) and
// logout.
//
// The page is static HTML, CSS and vanilla JavaScript embedded in the
// binary: no build step and no CDN. jwtgate-client.js is the reusable part:
// a fetch wrapper that adds X-CSRF-TOKEN from the csrf_access_token cookie
// on unsafe methods and, on 401 "Token has expired", refreshes once with
// the csrf_refresh_token value and retries (flask-jwt-extended's implicit
// refresh, done client side).
//
// Handler serves only those files; every other request gets API Gateway's
// own answer for a path without a route, so mounting the app as the
// gateway's Fallback does not change the API.
package webapp
