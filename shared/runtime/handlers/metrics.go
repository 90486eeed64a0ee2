package handlers

import (
	"net/http"
	"strings"

	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
)

// Option changes a default of New.
type Option func(*Set)

// WithMetrics makes every function of the Set write its EMF line through
// the emitter newEmitter returns for its metrics name (FunctionName).
func WithMetrics(newEmitter func(function string) *metrics.Emitter) Option {
	return func(s *Set) { s.newEmitter = newEmitter }
}

// FunctionName is the Function dimension of a function's metrics: the
// logical ID without its "Function" suffix, lower case ("login",
// "authorizer"), the same in every stack so alarms can name it.
func FunctionName(logicalID string) string {
	return strings.ToLower(strings.TrimSuffix(logicalID, "Function"))
}

// outcome is the metric a session function's answer counts: the status
// says it (the contract gives every outcome its own), so the handlers
// need not count each branch themselves. TheftDetected, which shares 401
// with every other refused refresh, is counted where it is detected.
func outcome(logicalID string, status int) string {
	switch logicalID {
	case LoginFunction:
		switch {
		case status == http.StatusOK:
			return metrics.LoginSucceeded
		case status == http.StatusUnauthorized:
			return metrics.LoginFailed
		case status == http.StatusTooManyRequests:
			return metrics.LoginLockedOut
		}
	case RefreshFunction:
		switch {
		case status == http.StatusOK:
			return metrics.RefreshSucceeded
		case status == http.StatusUnauthorized:
			return metrics.RefreshRefused
		}
	case LogoutFunction:
		if status == http.StatusOK {
			return metrics.LogoutSucceeded
		}
	case PasswordFunction:
		switch {
		case status == http.StatusOK:
			return metrics.PasswordChanged
		case status >= 400 && status < 500:
			return metrics.PasswordRefused
		}
	}
	if status == http.StatusServiceUnavailable {
		return metrics.StoreFailed
	}
	return ""
}

// counted counts h's outcome in its request's invocation.
func counted(logicalID string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		metrics.Count(r.Context(), outcome(logicalID, sw.status))
	})
}

// statusWriter remembers the status h wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}
