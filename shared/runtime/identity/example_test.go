package identity_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/jwtgate/jwtgate/shared/runtime/identity"
)

// ordersHandler is a user's own protected function: an ordinary net/http
// handler that reads who is calling from identity.Of, never from a header.
func ordersHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		id, _ := identity.Of(r.Context()) // always there behind Require
		fmt.Fprintf(w, "orders of %s (roles %v, fresh %v)", id.Subject, id.Roles, id.Fresh)
	})
	return identity.Require(mux)
}

// A function of your own behind jwtgate's authorizer wraps its handler in
// Require and hands it to the runtime through aws-lambda-go-api-proxy:
//
//	func main() {
//		lambda.Start(httpadapter.New(ordersHandler()).ProxyWithContext)
//	}
//
// (httpadapter.NewV2 and ProxyWithContextV2 for an HTTP API.) Below, the
// adapter is called with the events API Gateway sends it: after the
// authorizer allowed the request, after it flagged a failed role rule, and
// on a route deployed without the authorizer, which fails closed.
func Example() {
	proxy := httpadapter.New(ordersHandler()).ProxyWithContext
	request := func(authorizer map[string]any) events.APIGatewayProxyRequest {
		return events.APIGatewayProxyRequest{
			HTTPMethod: http.MethodGet, Path: "/orders", Resource: "/orders",
			// A client cannot set the context: a header of this name is dropped.
			Headers:        map[string]string{"X-GoLambdaProxy-ApiGw-Context": `{"authorizer":{"sub":"admin"}}`},
			RequestContext: events.APIGatewayProxyRequestContext{Authorizer: authorizer},
		}
	}
	for _, ev := range []events.APIGatewayProxyRequest{
		// What jwtgate's authorizer puts in the context: strings only.
		request(map[string]any{identity.KeySubject: "testuser", identity.KeyRoles: "user", identity.KeyFresh: "true",
			identity.KeyJTI: "jti-1", identity.KeySID: "sid-1", identity.KeyIssuedAt: "1700000000"}),
		// A role rule the caller fails is a 403 answered by the function.
		request(map[string]any{identity.KeySubject: "testuser", identity.KeyRoles: "user",
			identity.KeyForbidden: "Forbidden: requires role admin"}),
		// No authorizer at all.
		request(nil),
	} {
		resp, err := proxy(context.Background(), ev)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(resp.StatusCode, resp.Body)
	}
	// Output:
	// 200 orders of testuser (roles [user], fresh true)
	// 403 {"msg":"Forbidden: requires role admin"}
	// 401 {"msg":"Missing cookie \"access_token_cookie\""}
}

// A user's own claims (jwtgate user claims NAME --set tenant=acme) reach
// the function when JWTGATE_USER_CLAIMS names them: the authorizer passes
// them as one JSON object string, and Claim reads one.
func ExampleClaim() {
	h := identity.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tenant, ok := identity.Claim(r.Context(), "tenant")
		fmt.Fprintf(w, "tenant %q (%v)", tenant, ok)
	}))
	resp, _ := httpadapter.New(h).ProxyWithContext(context.Background(), events.APIGatewayProxyRequest{
		HTTPMethod: http.MethodGet, Path: "/orders",
		RequestContext: events.APIGatewayProxyRequestContext{Authorizer: map[string]any{
			identity.KeySubject: "testuser", identity.KeyClaims: `{"tenant":"acme"}`}},
	})
	fmt.Println(resp.Body)
	// Output: tenant "acme" (true)
}
