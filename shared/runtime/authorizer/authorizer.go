package authorizer

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
	"github.com/jwtgate/jwtgate/shared/runtime/rbac"
	"github.com/jwtgate/jwtgate/shared/runtime/request"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// ErrUnavailable is returned to the runtime when a decision cannot be made
// (the revocation store or the identity lookup failed, or the keys could
// not be re-read for too long: tokens.ErrKeysStale): API Gateway then
// refuses the request.
var ErrUnavailable = errors.New("authorizer: revocation store, identity lookup or keys unavailable")

// Revocations is what the authorizer needs of a revocation store: one
// lookup of several keys in one call. A store doing I/O bounds its own
// calls (dynamostore.WithCallTimeout) and returns an error past the bound,
// on which the authorizer fails closed.
type Revocations interface {
	Lookup(ctx context.Context, keys ...string) (map[string]revocation.Record, error)
}

// Identities is what the authorizer needs to map a legacy token's Flask
// identity to a username (JWTGATE_LEGACY_IDENTITIES=imported): the name of
// the user imported with it, users.ErrNotFound for none. A store doing I/O
// bounds its own calls, as Revocations does.
type Identities interface {
	NameOf(ctx context.Context, identity string) (string, error)
}

// Authorizer decides requests. Build it with New: its defaults are applied
// there, once.
type Authorizer struct {
	verify *request.Verifier
	want   request.Want
	rules  rbac.Rules
	// rolesInFunction is the opt-in (JWTGATE_ROLE_DENIAL=function) to let a
	// request that fails a role rule through with a forbidden context value,
	// for the function to answer 403 (identity.Require). By default such a
	// request is denied here, at the gateway: a function that never reads
	// the context (any language) can then not serve it by mistake.
	rolesInFunction bool
	revs            Revocations
	// identities maps legacy identities; nil when they are not mapped (a
	// token needing it then fails closed: users.ErrNoIdentities).
	identities Identities
	// cacheTTL is the API Gateway result cache TTL. When positive, one
	// decision serves every route for that long, so it cannot depend on the
	// method (CSRF) or the route (role rules: config refuses them with a
	// cache) and its policy must cover the whole stage.
	cacheTTL time.Duration
	clock    func() time.Time
	log      *slog.Logger
	metrics  *metrics.Emitter // nil: no metrics
}

// Option changes a default of New.
type Option func(*Authorizer)

// WithClock makes the authorizer read time from clock (revocation
// records' liveness); time.Now by default.
func WithClock(clock func() time.Time) Option {
	return func(a *Authorizer) {
		if clock != nil {
			a.clock = clock
		}
	}
}

// WithLogger sends decision lines to log; slog.Default() by default.
func WithLogger(log *slog.Logger) Option {
	return func(a *Authorizer) {
		if log != nil {
			a.log = log
		}
	}
}

// WithMetrics writes one EMF line per decision to e (AuthorizerAllowed,
// AuthorizerDenied by Reason, AuthorizerFailed, StoreLatency).
func WithMetrics(e *metrics.Emitter) Option {
	return func(a *Authorizer) { a.metrics = e }
}

// WithIdentities maps the identity of a legacy token read with
// JWTGATE_LEGACY_IDENTITIES=imported through ids to the username, before
// revocation, user cut-offs and the context see it.
func WithIdentities(ids Identities) Option {
	return func(a *Authorizer) { a.identities = ids }
}

// New returns the authorizer of cfg: access tokens verified by ts (whose
// clock decides expiry) where cfg's locations allow, CSRF per cfg, the
// role rules of cfg and revocations looked up in revs.
func New(cfg config.Config, ts *tokens.Service, revs Revocations, opts ...Option) *Authorizer {
	a := &Authorizer{
		verify: request.NewVerifier(ts, cfg.Locations, cfg.CSRF),
		want: request.Want{Cookie: cfg.Cookies.AccessName, CSRFHeader: cfg.CSRF.AccessHeader, Type: tokens.Access,
			SkipCSRF: cfg.AuthorizerCache > 0},
		rules: cfg.Rules, rolesInFunction: cfg.RolesInFunction, revs: revs, cacheTTL: cfg.AuthorizerCache,
		clock: time.Now, log: slog.Default(),
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Request is what a decision reads from an authorizer event.
type Request struct {
	Method   string
	Path     string
	Resource string
	// APIPath is the path as the API defines it, without a stage or a
	// custom domain's base path (REST: from the methodArn; HTTP API: the
	// path without a named stage's prefix). Role rules are checked on it,
	// and on Path and Resource, so no spelling of a route escapes them.
	APIPath string
	Headers request.Headers
	// Query holds the query string parameters (a query_string token).
	Query map[string]string
}

// rulePaths are the spellings of req's route that role rules are checked on.
func (req Request) rulePaths() []string { return []string{req.APIPath, req.Path, req.Resource} }

// Decision is the outcome of one request.
type Decision struct {
	Allow bool
	// Msg is the client message of a denial.
	Msg string
	// Reason names the kind of a denial for metrics: one of a fixed set
	// (see reasonOf), never the message, whose values are open-ended.
	Reason string
	// Claims of the verified access token, on Allow and on a denial by a
	// role rule.
	Claims *tokens.Claims
	// Forbidden is set on Allow when a route role rule fails and
	// rolesInFunction is on: the function behind answers 403 with it.
	Forbidden string
	// Err is set when no decision could be made; the request is refused.
	Err error
	// Fresh is whether the token is fresh at the decision (a timed fresh
	// claim expires), for the fresh-only functions behind.
	Fresh bool
}

// Decide runs the checks in flask-jwt-extended's order: token lookup, CSRF
// header presence, verification, CSRF compare, expiry, type, revocation,
// then jwtgate's role rules.
func (a *Authorizer) Decide(ctx context.Context, req Request) Decision {
	if strings.EqualFold(req.Method, "OPTIONS") && a.preflightExempt(req) {
		return Decision{Allow: true} // CORS preflight carries no credentials
	}
	claims, err := a.verify.Verify(request.Input{Method: req.Method, Headers: req.Headers, Query: req.Query}, a.want)
	if errors.Is(err, tokens.ErrKeysStale) {
		return Decision{Err: errors.Join(ErrUnavailable, err)} // fail closed, logged at error
	}
	if err != nil {
		return deny(err)
	}
	if err := users.MapLegacyIdentity(ctx, claims, a.identities); err != nil {
		if _, refused := tokens.Message(err); refused {
			return deny(err) // an identity of no user
		}
		return Decision{Err: errors.Join(ErrUnavailable, err)} // fail closed, logged at error
	}
	subj := revocation.Subject{JTI: claims.ID, SID: claims.SID, Sub: claims.Subject, IssuedAt: claims.IssuedAt.Time, Generation: claims.Gen}
	recs, err := a.revs.Lookup(ctx, subj.Keys()...)
	if err != nil {
		return Decision{Err: errors.Join(ErrUnavailable, err)}
	}
	if revocation.Check(recs, subj, a.clock()) != nil {
		return Decision{Msg: "Token has been revoked", Reason: "Revoked"}
	}
	d := Decision{Allow: true, Claims: claims, Fresh: claims.Fresh.At(a.clock())}
	if rule, failed := a.rules.Check(req.Method, req.rulePaths(), claims.Roles); failed {
		if !a.rolesInFunction {
			return Decision{Msg: rule.Message(), Reason: "Role", Claims: claims}
		}
		d.Forbidden = rule.Message()
	}
	return d
}

// preflightExempt reports whether an OPTIONS request passes without a
// token, as flask-jwt-extended exempts OPTIONS. A browser's preflight
// carries no cookies, so with the Cookie identity source it never reaches
// the authorizer; what does is another client. Not exempt: with a result
// cache (the answer would be cached for every route sharing that Cookie
// header, so it must be the one any method gets), and on a route a role
// rule covers for OPTIONS (ANY rules: every method).
func (a *Authorizer) preflightExempt(req Request) bool {
	return a.cacheTTL == 0 && !a.rules.Covers(req.Method, req.rulePaths())
}

func deny(err error) Decision {
	if msg, ok := tokens.Message(err); ok {
		return Decision{Msg: msg, Reason: reasonOf(err)}
	}
	return Decision{Msg: "Invalid token", Reason: "Invalid"}
}

// reasonOf names err's kind for the Reason dimension of AuthorizerDenied:
// few values, so the metric stays a handful of time series.
func reasonOf(err error) string {
	switch {
	case errors.Is(err, request.ErrNoToken):
		return "NoToken"
	case errors.Is(err, request.ErrCSRFMissing), errors.Is(err, request.ErrCSRFMismatch):
		return "CSRF"
	case errors.Is(err, tokens.ErrExpired):
		return "Expired"
	case errors.Is(err, tokens.ErrSignature), errors.Is(err, tokens.ErrUnknownKey), errors.Is(err, tokens.ErrAlgorithm):
		return "Signature"
	case errors.Is(err, tokens.ErrWrongType):
		return "WrongType"
	case errors.Is(err, tokens.ErrNotYetValid), errors.Is(err, tokens.ErrIssuer), errors.Is(err, tokens.ErrAudience),
		errors.Is(err, tokens.ErrMissingClaim), errors.Is(err, tokens.ErrUnknownIdentity):
		return "Claims"
	}
	return "Invalid"
}

// count adds decision d to inv and writes its line.
func (a *Authorizer) count(inv *metrics.Invocation, d Decision) {
	if inv == nil {
		return
	}
	switch {
	case d.Err != nil:
		inv.Count(metrics.AuthorizerFailed)
	case !d.Allow:
		inv.Denied(d.Reason)
	default:
		inv.Count(metrics.AuthorizerAllowed)
	}
	_ = a.metrics.Flush(inv) // stdout: nothing to do about a failed write
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
	// Claims is the token's user claims that JWTGATE_USER_CLAIMS names,
	// as one JSON object string ({"tenant":"acme"}): a context value
	// cannot be an object. Absent when the token carries none of them.
	Claims string `json:"claims,omitempty"`
}

// Context is the authorizer context of an Allow.
func (d Decision) Context() Context {
	if d.Claims == nil {
		return Context{}
	}
	c := d.Claims
	fresh := "false"
	if d.Fresh {
		fresh = "true"
	}
	out := Context{Subject: c.Subject, Roles: strings.Join(c.Roles, ","), JTI: c.ID, SID: c.SID, Fresh: fresh,
		IssuedAt: strconv.FormatInt(c.IssuedAt.Unix(), 10), Forbidden: d.Forbidden}
	if len(c.Extra) > 0 {
		// Only the configured names were decoded (tokens.Options.DecodeClaims);
		// a map of strings always encodes.
		b, _ := json.Marshal(c.Extra)
		out.Claims = string(b)
	}
	return out
}

// record logs one decision: outcome, reason and who, never a token.
// Failures log at error and denials at info. Allows log at debug: they are
// nearly every request, and at info a line per authorization would add
// CloudWatch ingestion of about $0.09 per million (≈180 bytes at $0.50/GB),
// some 15% of the authorization's bill, to repeat what API Gateway's access
// log records per request (the templates' AccessLog parameter: principalId,
// status). LOG_LEVEL=debug turns them on.
func (a *Authorizer) record(ctx context.Context, req Request, d Decision) {
	l := a.log
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
	case !d.Allow && d.Claims != nil: // a role rule: who was refused is known
		l.LogAttrs(ctx, level, msg, method, path, slog.String("reason", d.Msg),
			slog.String("user", d.Claims.Subject), slog.String("sid", d.Claims.SID))
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
