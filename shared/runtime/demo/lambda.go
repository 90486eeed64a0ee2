package demo

import (
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/cors"
)

// FromEnv is ProtectedFunction's handler as its Lambda container runs it:
// the demo routes behind the CORS rules of the configuration, adapted to
// REST (or, with JWTGATE_PAYLOAD=v2, HTTP API) events. It only reads the
// authorizer context, so it links no AWS SDK and loads no key: its own
// wiring keeps its binary and cold start at the floor.
func FromEnv(getenv config.Getenv) (any, error) {
	cfg, err := config.Load(getenv, config.Lambda)
	if err != nil {
		return nil, err
	}
	h := cors.Middleware(cfg.CORS, Handler(cfg.ErrorMessageKey))
	if payload, _ := getenv("JWTGATE_PAYLOAD"); payload == "v2" {
		return httpadapter.NewV2(h).ProxyWithContext, nil
	}
	return httpadapter.New(h).ProxyWithContext, nil
}
