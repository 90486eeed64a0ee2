package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/jwtgate/jwtgate/shared/runtime/authorizer"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/cors"
	"github.com/jwtgate/jwtgate/shared/runtime/demo"
	"github.com/jwtgate/jwtgate/shared/runtime/identity"
	"github.com/jwtgate/jwtgate/shared/runtime/jwks"
	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/session"
	"github.com/jwtgate/jwtgate/shared/runtime/throttle"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// Revocations is the revocation store every function shares.
type Revocations interface {
	session.Revocations
	authorizer.Revocations
}

// RevocationWritePrefixes lists, per function, the key prefixes it writes
// in the revocation table. The templates grant each function PutItem and
// UpdateItem there only on these (dynamodb:LeadingKeys), so a compromised
// login function cannot overwrite sid#/sub# records and un-revoke
// sessions. template_test.go holds the templates to this list, and
// TestRevocationWrites every key each function writes on DynamoDB Local.
func RevocationWritePrefixes() map[string][]string {
	return map[string][]string{
		LoginFunction:    {throttle.UserKey(""), throttle.IPKey("")},                                // failed-login counters
		RefreshFunction:  {revocation.TokenKey(""), revocation.SessionKey("")},                      // consumed tokens; a stolen session
		LogoutFunction:   {revocation.TokenKey(""), revocation.SessionKey("")},                      // a flask-minted token by jti (legacy window); the revoked session
		PasswordFunction: {revocation.UserKey(""), revocation.SessionKey(""), throttle.UserKey("")}, // the cut-off; the old session; old-password guesses
	}
}

// Stores are the state behind the functions.
type Stores struct {
	Users       session.Users
	Revocations Revocations
	// RefreshReads batches refresh's reads of both; nil reads them apart.
	RefreshReads session.RefreshReads
	// Throttle counts failed logins; nil disables login throttling.
	Throttle throttle.Store
	// Identities maps a legacy token's Flask identity to its username for
	// the authorizer and refresh (JWTGATE_LEGACY_IDENTITIES=imported); nil
	// when not mapped.
	Identities Identities
}

// Identities is the identity lookup the authorizer and refresh share.
type Identities interface {
	session.Identities
	authorizer.Identities
}

// Set holds the handlers of one configuration.
type Set struct {
	cfg        config.Config
	session    *session.Service
	authz      *authorizer.Authorizer
	log        *slog.Logger
	tokens     *tokens.Service                        // verifies; what the JWKS publishes
	newEmitter func(function string) *metrics.Emitter // nil: no metrics
}

// Logical IDs of the template's functions.
const (
	LoginFunction      = "LoginFunction"
	RefreshFunction    = "RefreshFunction"
	LogoutFunction     = "LogoutFunction"
	PasswordFunction   = "PasswordFunction"
	ProtectedFunction  = "ProtectedFunction"
	AuthorizerFunction = "AuthorizerFunction"
	JwksFunction       = "JwksFunction"
)

// New builds the handlers. keys sign and verify tokens (keys[0] signs);
// log and clock may be nil (slog.Default, time.Now).
func New(cfg config.Config, keys []tokens.Key, st Stores, log *slog.Logger, clock func() time.Time, opts ...Option) (*Set, error) {
	if clock == nil {
		clock = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	topts := cfg.Tokens
	topts.Keys = keys
	topts.Clock = clock
	ts, err := tokens.New(topts)
	if err != nil {
		return nil, fmt.Errorf("handlers: %w", err)
	}
	pw, err := password.NewChecker(cfg.LegacyHashCost)
	if err != nil {
		return nil, fmt.Errorf("handlers: JWTGATE_LEGACY_HASH_COST: %w", err)
	}
	s := &Set{cfg: cfg, log: log, tokens: ts}
	for _, o := range opts {
		o(s)
	}
	s.session = session.New(cfg, ts, session.Stores{Users: st.Users, Revocations: st.Revocations,
		RefreshReads: st.RefreshReads, Throttle: st.Throttle, Identities: st.Identities}, session.WithClock(clock), session.WithLogger(log), session.WithPasswords(pw))
	s.authz = authorizer.New(cfg, ts, st.Revocations, authorizer.WithClock(clock), authorizer.WithLogger(log),
		authorizer.WithMetrics(s.emitter(AuthorizerFunction)), authorizer.WithIdentities(st.Identities))
	return s, nil
}

// emitter is the metrics emitter of function logicalID, or nil.
func (s *Set) emitter(logicalID string) *metrics.Emitter {
	if s.newEmitter == nil {
		return nil
	}
	return s.newEmitter(FunctionName(logicalID))
}

// HTTP returns the net/http handler of a proxy-integrated function, with
// the CORS rules of JWTGATE_CORS_ORIGINS around it.
func (s *Set) HTTP(logicalID string) (http.Handler, error) {
	var h http.Handler
	switch logicalID {
	case LoginFunction:
		h = s.session.Login()
	case RefreshFunction:
		h = s.session.Refresh()
	case LogoutFunction:
		h = s.session.Logout()
	case PasswordFunction:
		h = identity.Require(s.session.Password(), identity.WithMessageKey(s.cfg.ErrorMessageKey))
	case ProtectedFunction:
		h = demo.Handler(s.cfg.ErrorMessageKey)
	case JwksFunction:
		h = jwks.Handler(s.tokens, s.cfg.Tokens.Issuer, s.log, s.cfg.ErrorMessageKey)
	default:
		return nil, fmt.Errorf("handlers: no HTTP function %q", logicalID)
	}
	if e := s.emitter(logicalID); e != nil {
		h = e.Middleware(counted(logicalID, h))
	}
	return cors.Middleware(s.cfg.CORS, h), nil
}

// REST returns the REST API (payload 1.0) handler of a function, as
// lambda.Start would run it.
func (s *Set) REST(logicalID string) (any, error) {
	if logicalID == AuthorizerFunction {
		return s.authz.RESTSlim, nil
	}
	h, err := s.HTTP(logicalID)
	if err != nil {
		return nil, err
	}
	return restProxy(h), nil
}

// V2 returns the HTTP API (payload 2.0) handler of a function.
func (s *Set) V2(logicalID string) (any, error) {
	if logicalID == AuthorizerFunction {
		return s.authz.HTTP, nil
	}
	h, err := s.HTTP(logicalID)
	if err != nil {
		return nil, err
	}
	return v2Proxy(h), nil
}

// restProxy adapts h to REST proxy events. The adapter puts the gateway
// context in the request context, where identity reads it.
func restProxy(h http.Handler) func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return httpadapter.New(h).ProxyWithContext
}

// v2Proxy adapts h to HTTP API payload 2.0 events.
func v2Proxy(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return httpadapter.NewV2(h).ProxyWithContext
}
