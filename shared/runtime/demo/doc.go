// Package demo holds the demo protected routes of the seed app, GET
// /protected and GET /admin, as one net/http handler behind identity.Require.
package demo
