package authorizer

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/cookies"
	"github.com/jwtgate/jwtgate/shared/runtime/rbac"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// ErrUnavailable is returned to the runtime when a decision cannot be made
// (the revocation store failed): API Gateway then refuses the request.
var ErrUnavailable = errors.New("authorizer: revocation store unavailable")

// Revocations is what the authorizer needs of a revocation store: one
// lookup of several keys in one call. A store doing I/O bounds its own
// calls (dynamostore.WithCallTimeout) and returns an error past the bound,
// on which the authorizer fails closed.
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
	CacheTTL time.Duration
	Clock    func() time.Time
	Log      *slog.Logger
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
	recs, err := a.Revocations.Lookup(ctx, subj.Keys()...)
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

// Context is the authorizer context API Gateway passes to the function
// behind (shared/runtime/identity reads it). API Gateway takes only string, number
// and boolean values; a struct of strings says so in its type and encodes
// without the map, its hashing or the key sort of a map's JSON. Its JSON
// names are identity's keys (TestContextKeys pins them); empty fields are
// left out.
type Context struct {
	Subject   string `json:"sub,omitempty"`
	Roles     string `json:"roles,omitempty"` // comma-separated
	JTI       string `json:"jti,omitempty"`
	SID       string `json:"sid,omitempty"`
	Fresh     string `json:"fresh,omitempty"` // "true" or "false"
	IssuedAt  string `json:"iat,omitempty"`   // epoch seconds
	Forbidden string `json:"forbidden,omitempty"`
	Msg       string `json:"msg,omitempty"`
}

// Context is the authorizer context of an Allow.
func (d Decision) Context() Context {
	if d.Claims == nil {
		return Context{}
	}
	c := d.Claims
	fresh := "false"
	if c.Fresh {
		fresh = "true"
	}
	return Context{Subject: c.Subject, Roles: strings.Join(c.Roles, ","), JTI: c.ID, SID: c.SID, Fresh: fresh,
		IssuedAt: strconv.FormatInt(c.IssuedAt.Unix(), 10), Forbidden: d.Forbidden}
}

func (a *Authorizer) now() time.Time {
	if a.Clock != nil {
		return a.Clock()
	}
	return time.Now()
}

func (a *Authorizer) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}

// record logs one decision: outcome, reason and who, never a token.
// Failures log at error and denials at info. Allows log at debug: they are
// nearly every request, and at info a line per authorization would add
// CloudWatch ingestion of about $0.09 per million (≈180 bytes at $0.50/GB),
// some 15% of the authorization's bill, to repeat what API Gateway's access
// log records per request (the templates' AccessLog parameter: principalId,
// status). LOG_LEVEL=debug turns them on.
func (a *Authorizer) record(ctx context.Context, req Request, d Decision) {
	l := a.log()
	level, msg := slog.LevelDebug, "allow"
	switch {
	case errors.Is(d.Err, context.Canceled):
		// The caller went away (a client hanging up on jwtgate dev), not the
		// store: worth a line, not an alarm.
		level, msg = slog.LevelInfo, "authorizer abandoned: request cancelled"
	case d.Err != nil:
		level, msg = slog.LevelError, "authorizer failed closed"
	case !d.Allow:
		level, msg = slog.LevelInfo, "deny"
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
