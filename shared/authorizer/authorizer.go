package authorizer

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/shared/cookies"
	"github.com/jwtgate/jwtgate/shared/identity"
	"github.com/jwtgate/jwtgate/shared/rbac"
	"github.com/jwtgate/jwtgate/shared/revocation"
	"github.com/jwtgate/jwtgate/shared/tokens"
)

// DefaultStoreTimeout bounds the revocation lookup: past it the authorizer
// fails closed rather than hold the request.
const DefaultStoreTimeout = time.Second

// ErrUnavailable is returned to the runtime when a decision cannot be made
// (the revocation store failed): API Gateway then refuses the request.
var ErrUnavailable = errors.New("authorizer: revocation store unavailable")

// Revocations is what the authorizer needs of a revocation store: one
// lookup of several keys in one call.
type Revocations interface {
	Lookup(ctx context.Context, keys ...string) (map[string]revocation.Record, error)
}

// Authorizer decides requests.
type Authorizer struct {
	Tokens       *tokens.Service
	CSRF         cookies.CSRF
	Locations    cookies.Locations
	AccessCookie string
	Rules        rbac.Rules
	Revocations  Revocations
	// CacheTTL is the API Gateway result cache TTL. When positive, one
	// decision serves every route for that long, so it cannot depend on the
	// method (CSRF) and its policy must cover the whole stage.
	CacheTTL     time.Duration
	StoreTimeout time.Duration
	Clock        func() time.Time
	Log          *slog.Logger
}

// Request is what a decision reads from an authorizer event.
type Request struct {
	Method   string
	Path     string
	Resource string
	Headers  cookies.Headers
}

// Decision is the outcome of one request.
type Decision struct {
	Allow bool
	// Msg is the client message of a denial.
	Msg string
	// Claims of the verified access token, on Allow.
	Claims *tokens.Claims
	// Forbidden is set on Allow when a route role rule fails: the function
	// behind answers 403 with it.
	Forbidden string
	// Denied lists the role rules the caller fails (for cached policies).
	Denied rbac.Rules
	// Err is set when no decision could be made; the request is refused.
	Err error
}

// Decide runs the checks in flask-jwt-extended's order: token lookup, CSRF
// header presence, verification, CSRF compare, expiry, type, revocation,
// then jwtgate's role rules.
func (a *Authorizer) Decide(ctx context.Context, req Request) Decision {
	if strings.EqualFold(req.Method, "OPTIONS") {
		return Decision{Allow: true} // CORS preflight carries no credentials
	}
	found, err := cookies.Find(req.Headers, a.AccessCookie, a.Locations)
	if err != nil {
		return deny(err)
	}
	checkCSRF := a.CacheTTL == 0 && a.CSRF.Applies(req.Method, found)
	var csrf string
	if checkCSRF {
		if csrf, err = cookies.Presented(req.Headers, a.CSRF.AccessHeader); err != nil {
			return deny(err)
		}
	}
	claims, perr := a.Tokens.Parse(found.Token)
	if claims == nil {
		return deny(perr)
	}
	if checkCSRF {
		if err := cookies.Compare(csrf, claims.CSRF); err != nil {
			return deny(err)
		}
	}
	if perr != nil {
		return deny(perr)
	}
	if err := tokens.CheckType(claims, tokens.Access); err != nil {
		return deny(err)
	}
	subj := revocation.Subject{JTI: claims.ID, SID: claims.SID, Sub: claims.Subject, IssuedAt: claims.IssuedAt.Time}
	lctx, cancel := context.WithTimeout(ctx, a.storeTimeout())
	recs, err := a.Revocations.Lookup(lctx, subj.Keys()...)
	cancel()
	if err != nil {
		return Decision{Err: errors.Join(ErrUnavailable, err)}
	}
	if revocation.Check(recs, subj, a.now()) != nil {
		return Decision{Msg: "Token has been revoked"}
	}
	d := Decision{Allow: true, Claims: claims}
	if a.CacheTTL > 0 {
		d.Denied = a.Rules.Denied(claims.Roles) // only a stage-wide cached policy needs them
	}
	for _, p := range []string{req.Path, req.Resource} {
		if rule, failed := a.Rules.Check(req.Method, p, claims.Roles); failed && p != "" {
			d.Forbidden = rule.Message()
			break
		}
	}
	return d
}

func deny(err error) Decision {
	if msg, ok := tokens.Message(err); ok {
		return Decision{Msg: msg}
	}
	if msg, ok := cookies.Message(err); ok {
		return Decision{Msg: msg}
	}
	return Decision{Msg: "Invalid token"}
}

// Context is the string-only authorizer context of an Allow. The map is
// sized for every key up front and the fresh flag is a constant string, so
// building it costs one map and the boxing of the dynamic values.
func (d Decision) Context() map[string]any {
	if d.Claims == nil {
		return map[string]any{}
	}
	c := d.Claims
	m := make(map[string]any, 7)
	m[identity.KeySubject] = c.Subject
	m[identity.KeyRoles] = strings.Join(c.Roles, ",")
	m[identity.KeyJTI] = c.ID
	m[identity.KeySID] = c.SID
	m[identity.KeyFresh] = "false"
	if c.Fresh {
		m[identity.KeyFresh] = "true"
	}
	m[identity.KeyIssuedAt] = strconv.FormatInt(c.IssuedAt.Unix(), 10)
	if d.Forbidden != "" {
		m[identity.KeyForbidden] = d.Forbidden
	}
	return m
}

func (a *Authorizer) now() time.Time {
	if a.Clock != nil {
		return a.Clock()
	}
	return time.Now()
}

func (a *Authorizer) storeTimeout() time.Duration {
	if a.StoreTimeout > 0 {
		return a.StoreTimeout
	}
	return DefaultStoreTimeout
}

func (a *Authorizer) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}

// record logs one decision: outcome, reason and who, never a token. Typed
// attributes (LogAttrs) spare the boxing of key-value pairs on every
// request; the line is the same.
func (a *Authorizer) record(ctx context.Context, req Request, d Decision) {
	l := a.log()
	level, msg := slog.LevelInfo, "allow"
	switch {
	case d.Err != nil:
		level, msg = slog.LevelError, "authorizer failed closed"
	case !d.Allow:
		msg = "deny"
	}
	if !l.Enabled(ctx, level) {
		return
	}
	method, path := slog.String("method", req.Method), slog.String("path", req.Path)
	switch {
	case d.Err != nil:
		l.LogAttrs(ctx, level, msg, method, path, slog.Any("err", d.Err))
	case !d.Allow:
		l.LogAttrs(ctx, level, msg, method, path, slog.String("reason", d.Msg))
	case d.Claims == nil:
		l.LogAttrs(ctx, level, msg, method, path, slog.String("reason", "preflight"))
	case d.Forbidden != "":
		l.LogAttrs(ctx, level, msg, method, path, slog.String("user", d.Claims.Subject),
			slog.String("sid", d.Claims.SID), slog.String("forbidden", d.Forbidden))
	default:
		l.LogAttrs(ctx, level, msg, method, path, slog.String("user", d.Claims.Subject), slog.String("sid", d.Claims.SID))
	}
}
