package identity

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/jwtgate/jwtgate/shared/runtime/reply"
)

// Context keys the authorizer sets; all values are strings, as API Gateway
// requires of REST authorizer contexts.
const (
	KeySubject   = "sub"
	KeyRoles     = "roles"
	KeyJTI       = "jti"
	KeySID       = "sid"
	KeyFresh     = "fresh"
	KeyIssuedAt  = "iat"
	KeyForbidden = "forbidden"
	KeyMsg       = "msg"
)

// ErrNoIdentity means the request did not pass the authorizer.
var ErrNoIdentity = errors.New("identity: no authorizer context")

// proxyContextHeader is the header aws-lambda-go-api-proxy uses to pass the
// gateway context; a client can send it too, so it is dropped on entry.
const proxyContextHeader = "X-GoLambdaProxy-ApiGw-Context"

// Identity is the authorized caller.
type Identity struct {
	Subject  string
	Roles    []string
	JTI, SID string
	Fresh    bool
	IssuedAt string
	// Forbidden is the message of a route role rule the caller fails.
	Forbidden string
}

// FromContext reads the authorizer context of a REST (payload 1.0) or HTTP
// API (payload 2.0) event.
func FromContext(ctx context.Context) (Identity, error) {
	var m map[string]any
	if rc, ok := core.GetAPIGatewayContextFromContext(ctx); ok {
		m = rc.Authorizer
	} else if rc, ok := core.GetAPIGatewayV2ContextFromContext(ctx); ok && rc.Authorizer != nil {
		m = rc.Authorizer.Lambda
	}
	sub, _ := m[KeySubject].(string)
	if sub == "" {
		return Identity{}, ErrNoIdentity
	}
	str := func(k string) string { v, _ := m[k].(string); return v }
	id := Identity{Subject: sub, JTI: str(KeyJTI), SID: str(KeySID), Fresh: str(KeyFresh) == "true",
		IssuedAt: str(KeyIssuedAt), Forbidden: str(KeyForbidden)}
	if r := str(KeyRoles); r != "" {
		id.Roles = strings.Split(r, ",")
	}
	return id, nil
}

type ctxKey struct{}

// Require wraps next so it runs only for authorized callers: it drops the
// spoofable proxy header, answers 401 without an authorizer context (a
// route deployed without the authorizer fails closed) and 403 when the
// authorizer flagged a failed role rule. next reads the identity with Of.
func Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(proxyContextHeader)
		id, err := FromContext(r.Context())
		if err != nil {
			reply.Msg(w, http.StatusUnauthorized, `Missing cookie "access_token_cookie"`)
			return
		}
		if id.Forbidden != "" {
			reply.Msg(w, http.StatusForbidden, id.Forbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, id)))
	})
}

// Of returns the identity Require stored; ok is false outside Require.
func Of(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}
