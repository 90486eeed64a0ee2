// Package config reads jwtgate's configuration from environment variables
// named as flask-jwt-extended's settings (JWT_ACCESS_TOKEN_EXPIRES,
// JWT_COOKIE_SECURE, ...) plus a few JWTGATE_* and table settings.
//
// Load validates everything once and reports every bad variable by name, so
// a misconfigured function stops at start instead of misbehaving later.
// Production defaults are the safe ones; dev mode (only `jwtgate dev`) turns
// Secure cookies off and allows a demo secret.
package config
