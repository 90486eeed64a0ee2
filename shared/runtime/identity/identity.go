package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	// KeyClaims holds the user's own claims the authorizer passes on
	// (JWTGATE_USER_CLAIMS) as one JSON object string, {"tenant":"acme"}:
	// API Gateway context values can only be strings, numbers or booleans.
	KeyClaims = "claims"
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
	// Claims are the user's own claims the authorizer passed on (the
	// names JWTGATE_USER_CLAIMS lists that the token carries); nil when
	// none.
	Claims map[string]string
}

// Claim returns the user claim called name (users.User.Claims, written
// into the tokens at login and refresh) and whether the authorizer passed
// it on.
func (id Identity) Claim(name string) (string, bool) {
	v, ok := id.Claims[name]
	return v, ok
}

// Claim is Of(ctx)'s Claim: the user claim called name, for a handler
// behind Require.
func Claim(ctx context.Context, name string) (string, bool) {
	id, ok := Of(ctx)
	if !ok {
		return "", false
	}
	return id.Claim(name)
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
	if c := str(KeyClaims); c != "" {
		if err := json.Unmarshal([]byte(c), &id.Claims); err != nil {
			// Only the authorizer writes the context: a value that is not
			// its JSON object is a deployment fault, and no claim is better
			// than a guessed one.
			return Identity{}, fmt.Errorf("%w: context value %q is not a JSON object of strings: %v", ErrNoIdentity, KeyClaims, err)
		}
	}
	return id, nil
}

type ctxKey struct{}

// Option changes a default of Require.
type Option func(*requireOptions)

type requireOptions struct{ messages reply.Messages }

// WithMessageKey writes Require's error bodies under key, the deployment's
// JWT_ERROR_MESSAGE_KEY (every function gets it from the template):
//
//	identity.Require(h, identity.WithMessageKey(os.Getenv("JWT_ERROR_MESSAGE_KEY")))
//
// Empty keeps flask's "msg".
func WithMessageKey(key string) Option {
	return func(o *requireOptions) { o.messages = reply.NewMessages(key) }
}

// Require wraps next so it runs only for authorized callers: it drops the
// spoofable proxy header, answers 401 without an authorizer context (a
// route deployed without the authorizer fails closed) and 403 when the
// authorizer flagged a failed role rule. next reads the identity with Of.
func Require(next http.Handler, opts ...Option) http.Handler {
	var o requireOptions
	for _, opt := range opts {
		opt(&o)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del(proxyContextHeader)
		id, err := FromContext(r.Context())
		if err != nil {
			o.messages.Msg(w, http.StatusUnauthorized, `Missing cookie "access_token_cookie"`)
			return
		}
		if id.Forbidden != "" {
			o.messages.Msg(w, http.StatusForbidden, id.Forbidden)
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
