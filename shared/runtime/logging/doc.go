// Package logging builds jwtgate's structured JSON logger (log/slog) and
// adds the Lambda request id to every line logged with a request context.
package logging
