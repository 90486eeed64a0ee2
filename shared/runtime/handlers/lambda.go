package handlers

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/cors"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/jwks"
	"github.com/jwtgate/jwtgate/shared/runtime/lambdaenv"
	"github.com/jwtgate/jwtgate/shared/runtime/logging"
	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// FromEnv builds the handler of session function logicalID (login,
// refresh, logout, password) or of the JWKS as its Lambda container runs it:
// configuration from the environment, the signing keys from Secrets
// Manager and the DynamoDB stores, each created once per container.
// JWTGATE_PAYLOAD=v2 selects HTTP API payload 2.0. The authorizer and the
// demo function have their own, lighter wiring (lambdaenv.Authorizer,
// demo.FromEnv) and are refused here.
func FromEnv(ctx context.Context, logicalID string, getenv config.Getenv) (any, error) {
	switch logicalID {
	case LoginFunction, RefreshFunction, LogoutFunction, PasswordFunction, JwksFunction:
	default:
		return nil, fmt.Errorf("handlers: %q is not a session function", logicalID)
	}
	cfg, err := config.Load(getenv, config.Lambda)
	if err != nil {
		return nil, err
	}
	payload, _ := getenv("JWTGATE_PAYLOAD")
	v2 := payload == "v2"
	if logicalID == JwksFunction {
		return jwksFromEnv(ctx, cfg, getenv, v2)
	}
	load := lambdaenv.Load
	if logicalID == LogoutFunction {
		load = lambdaenv.LoadVerifier // logout verifies, never signs
	}
	d, err := load(ctx, cfg, getenv)
	if err != nil {
		return nil, err
	}
	stores := DynamoStores(d.DB, cfg, nil)
	set, err := New(d.Config, d.Keys, stores, d.Log, nil, WithMetrics(d.Metrics))
	if err != nil {
		return nil, err
	}
	if v2 {
		return set.V2(logicalID)
	}
	return set.REST(logicalID)
}

// DynamoStores are the session functions' stores over DynamoDB: cfg's
// tables on api, each call to the revocation table (revocations, refresh
// reads, failed-login counters) bounded by cfg.StoreTimeout
// (JWTGATE_STORE_TIMEOUT), refresh's reads batched into one call, and
// with JWTGATE_LEGACY_IDENTITIES=imported the identity index, bounded
// alike. clock
// decides which records are live (nil: time.Now). Lambda, jwtgate dev and
// the tests build their stores here; lambdaenv.Authorizer, which needs only
// the revocation store, applies the same bound itself.
func DynamoStores(api dynamostore.ItemAPI, cfg config.Config, clock func() time.Time) Stores {
	api = dynamostore.Observed(api, metrics.Latency) // StoreLatency, when the request carries an invocation
	opts := []dynamostore.Option{dynamostore.WithCallTimeout(cfg.StoreTimeout), dynamostore.WithClock(clock)}
	us := dynamostore.NewUsers(api, cfg.UsersTable)
	revs := dynamostore.NewRevocations(api, cfg.RevocationTable, opts...)
	st := Stores{
		Users: us, Revocations: revs,
		RefreshReads: dynamostore.NewRefreshReads(revs, us),
		Throttle:     dynamostore.NewThrottle(api, cfg.RevocationTable, opts...),
	}
	if cfg.Tokens.MapLegacyIdentities {
		st.Identities = dynamostore.NewIdentities(api, cfg.UsersTable, opts...)
	}
	return st
}

// jwksFromEnv is JwksFunction's wiring. It never reads the signing secret:
// with a key pair algorithm it reads the public key set as the authorizer
// does (lambdaenv.LoadVerifier); with HMAC there is nothing to publish and
// it serves an empty set without any key or AWS client.
func jwksFromEnv(ctx context.Context, cfg config.Config, getenv config.Getenv, v2 bool) (any, error) {
	var src jwks.KeySource = noKeys(cfg.Tokens.Algorithm)
	log := logging.New(os.Stderr, cfg.LogLevel)
	if tokens.Asymmetric(cfg.Tokens.Algorithm) {
		d, err := lambdaenv.LoadVerifier(ctx, cfg, getenv)
		if err != nil {
			return nil, err
		}
		ts, err := d.Tokens()
		if err != nil {
			return nil, err
		}
		src, log = ts, d.Log
	}
	h := cors.Middleware(cfg.CORS, jwks.Handler(src, cfg.Tokens.Issuer, log, cfg.ErrorMessageKey))
	if v2 {
		return v2Proxy(h), nil
	}
	return restProxy(h), nil
}

// noKeys is the JWKS of an HMAC deployment: empty.
type noKeys string

func (noKeys) PublicKeys() ([]tokens.Key, error) { return nil, nil }
func (a noKeys) Algorithm() string               { return string(a) }
