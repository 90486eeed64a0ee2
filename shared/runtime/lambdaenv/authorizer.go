package lambdaenv

import (
	"context"

	"github.com/jwtgate/jwtgate/shared/runtime/authorizer"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
)

// Authorizer builds the AuthorizerFunction handler as handlers.FromEnv
// builds the session functions (same configuration, keys, tables, store
// bound and logger; the authorizer itself from authorizer.New, as the dev
// gateway builds it), linking only what the authorizer runs; with
// JWTGATE_LEGACY_IDENTITIES=imported, the identity lookup on USERS_TABLE. JWTGATE_PAYLOAD=v2
// selects the HTTP API handler.
func Authorizer(ctx context.Context, getenv config.Getenv) (any, error) {
	cfg, err := config.Load(getenv, config.Lambda)
	if err != nil {
		return nil, err
	}
	d, err := LoadVerifier(ctx, cfg, getenv)
	if err != nil {
		return nil, err
	}
	ts, err := d.Tokens()
	if err != nil {
		return nil, err
	}
	api := dynamostore.Observed(d.DB, metrics.Latency)
	revs := dynamostore.NewRevocations(api, cfg.RevocationTable, dynamostore.WithCallTimeout(cfg.StoreTimeout))
	opts := []authorizer.Option{authorizer.WithLogger(d.Log), authorizer.WithMetrics(d.Metrics("authorizer"))}
	if cfg.Tokens.MapLegacyIdentities {
		// JWTGATE_LEGACY_IDENTITIES=imported: one Query of the users table's
		// identity index per legacy token, bounded as the revocation lookup.
		opts = append(opts, authorizer.WithIdentities(
			dynamostore.NewIdentities(api, cfg.UsersTable, dynamostore.WithCallTimeout(cfg.StoreTimeout))))
	}
	a := authorizer.New(d.Config, ts, revs, opts...)
	if payload, _ := getenv("JWTGATE_PAYLOAD"); payload == "v2" {
		return a.HTTP, nil
	}
	return a.RESTSlim, nil
}
