// Command hellogo is an example of your own Go function behind jwtgate's
// cookie authorizer (HelloGoFunction in examples/template-snippet.yaml,
// GET /hello/go): identity.Require lets only authorized callers through and
// answers 403 for a route role rule they fail; identity.Of gives the caller.
//
// Build it as sam build does: make build-HelloGoFunction ARTIFACTS_DIR=/tmp/hellogo
package main

import (
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/jwtgate/jwtgate/shared/runtime/identity"
	"github.com/jwtgate/jwtgate/shared/runtime/reply"
)

// hello answers with who is calling, as the authorizer established it.
func hello(w http.ResponseWriter, r *http.Request) {
	id, _ := identity.Of(r.Context()) // always there inside identity.Require
	body := map[string]any{
		"hello": id.Subject,
		"roles": id.Roles,
		"fresh": id.Fresh, // true only right after a password login
		"sid":   id.SID,
	}
	// A user's own claim (jwtgate user claims NAME --set tenant=...), passed
	// on when JWTGATE_USER_CLAIMS names it.
	if tenant, ok := identity.Claim(r.Context(), "tenant"); ok {
		body["tenant"] = tenant
	}
	reply.JSON(w, http.StatusOK, body)
}

func main() {
	// Error bodies under the deployment's JWT_ERROR_MESSAGE_KEY ("msg" when unset).
	h := identity.Require(http.HandlerFunc(hello), identity.WithMessageKey(os.Getenv("JWT_ERROR_MESSAGE_KEY")))
	// The same handler serves a REST API (payload 1.0) or, with
	// JWTGATE_PAYLOAD=v2 as template-httpapi.yaml sets it, an HTTP API.
	if os.Getenv("JWTGATE_PAYLOAD") == "v2" {
		lambda.Start(httpadapter.NewV2(h).ProxyWithContext)
	}
	lambda.Start(httpadapter.New(h).ProxyWithContext)
}
