package authorizer

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/jwtgate/jwtgate/shared/runtime/request"
)

// RESTEvent is the part of a REST API REQUEST authorizer event that the
// decision reads. The Lambda runtime decodes the event JSON into the
// handler's argument type, so handing it this struct instead of the full
// events type skips decoding requestContext, query strings and the rest:
// about a twentieth of an invocation's cost (BenchmarkInvokeJSON*; BENCHMARKS.md).
type RESTEvent struct {
	MethodArn         string              `json:"methodArn"`
	Resource          string              `json:"resource"`
	Path              string              `json:"path"`
	HTTPMethod        string              `json:"httpMethod"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	// QueryStringParameters carry a query_string token (JWT_TOKEN_LOCATION).
	QueryStringParameters map[string]string `json:"queryStringParameters"`
	// MultiValueQueryStringParameters hold every value of a repeated
	// parameter, in order; API Gateway's single map keeps the last one,
	// flask reads the first.
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
}

// firstValues is the query string as flask's request.args.get reads it:
// the first value of each parameter. single is API Gateway's map of last
// values; multi, when the event has it, every value in order.
func firstValues(single map[string]string, multi map[string][]string) map[string]string {
	repeated := false
	for _, v := range multi {
		if len(v) > 1 {
			repeated = true
			break
		}
	}
	if !repeated {
		return single // no copy on the common path
	}
	out := make(map[string]string, len(multi))
	for k, v := range multi {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// rawFirstValues reads an HTTP API event's raw query string (its
// queryStringParameters join repeated values with ","), keeping the first
// value of each parameter; without one the parsed map is used as given.
func rawFirstValues(raw string, parsed map[string]string) map[string]string {
	if raw == "" || len(parsed) == 0 {
		return parsed
	}
	q, err := url.ParseQuery(raw)
	if err != nil && len(q) == 0 {
		return parsed
	}
	out := make(map[string]string, len(q))
	for k, v := range q {
		out[k] = v[0]
	}
	return out
}

// RESTResponse is a REST API authorizer's answer: the JSON of
// events.APIGatewayCustomAuthorizerResponse, with the context typed (see
// Context) where aws-lambda-go has a map of interfaces.
type RESTResponse struct {
	PrincipalID    string                                  `json:"principalId"`
	PolicyDocument events.APIGatewayCustomAuthorizerPolicy `json:"policyDocument"`
	Context        Context                                 `json:"context"`
}

// HTTPResponse is an HTTP API (payload 2.0) authorizer's simple response:
// the JSON of events.APIGatewayV2CustomAuthorizerSimpleResponse with a
// typed context, as RESTResponse.
type HTTPResponse struct {
	IsAuthorized bool    `json:"isAuthorized"`
	Context      Context `json:"context"`
}

// REST answers a REST API REQUEST authorizer event given and answered in
// aws-lambda-go's types; the function runs RESTSlim, which this wraps.
func (a *Authorizer) REST(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	r, err := a.RESTSlim(ctx, RESTEvent{MethodArn: ev.MethodArn, Resource: ev.Resource, Path: ev.Path,
		HTTPMethod: ev.HTTPMethod, Headers: ev.Headers, MultiValueHeaders: ev.MultiValueHeaders,
		QueryStringParameters: ev.QueryStringParameters, MultiValueQueryStringParameters: ev.MultiValueQueryStringParameters})
	if err != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, err
	}
	// Through JSON, as the runtime and API Gateway see it.
	out := events.APIGatewayCustomAuthorizerResponse{PrincipalID: r.PrincipalID, PolicyDocument: r.PolicyDocument}
	raw, err := json.Marshal(r.Context)
	if err != nil {
		return events.APIGatewayCustomAuthorizerResponse{}, err
	}
	return out, json.Unmarshal(raw, &out.Context)
}

// RESTSlim answers a REST API REQUEST authorizer event; it is what the
// Lambda function runs. A denial is a Deny policy with context msg (the
// template's ACCESS_DENIED gateway response turns it into 401
// {"msg": ...}); a failure to decide is an error, which API Gateway
// answers with its AUTHORIZER_FAILURE response.
func (a *Authorizer) RESTSlim(ctx context.Context, ev RESTEvent) (RESTResponse, error) {
	if a.cacheTTL > 0 && len(a.rules) > 0 {
		// A cached policy would carry one route's role decision to every
		// route; config refuses the pair at start, and so does this.
		return RESTResponse{}, ErrCachedRoleRules
	}
	req := Request{Method: ev.HTTPMethod, Path: ev.Path, Resource: ev.Resource, APIPath: arnPath(ev.MethodArn),
		Headers: request.EventHeaders{Single: ev.Headers, Multi: ev.MultiValueHeaders},
		Query:   firstValues(ev.QueryStringParameters, ev.MultiValueQueryStringParameters)}
	ctx, inv := a.metrics.Start(ctx)
	d := a.Decide(ctx, req)
	a.record(ctx, req, d)
	a.count(inv, d)
	if d.Err != nil {
		return RESTResponse{}, ErrUnavailable
	}
	if !d.Allow {
		return RESTResponse{
			PrincipalID:    "anonymous",
			PolicyDocument: policy("Deny", ev.MethodArn),
			Context:        Context{Msg: templateSafe(d.Msg)},
		}, nil
	}
	principal := "anonymous"
	if d.Claims != nil {
		principal = d.Claims.Subject
	}
	resource := ev.MethodArn
	if a.cacheTTL > 0 {
		// A cached policy is reused for every route: it allows the whole
		// stage (what it says holds for any route, since without role rules
		// and CSRF the decision depends on the Cookie header alone).
		stage, ok := stageARN(ev.MethodArn)
		if !ok {
			return RESTResponse{}, errors.New("authorizer: unexpected methodArn")
		}
		resource = stage + "/*/*"
	}
	return RESTResponse{
		PrincipalID:    principal,
		PolicyDocument: policy("Allow", resource),
		Context:        d.Context(),
	}, nil
}

// ErrCachedRoleRules is the refusal of role rules together with an
// authorizer result cache.
var ErrCachedRoleRules = errors.New("authorizer: role rules cannot be enforced with a result cache (JWTGATE_AUTHORIZER_CACHE_TTL > 0)")

// HTTP answers an HTTP API (payload 2.0) REQUEST authorizer event with a
// simple response; cookies arrive in the cookies array.
func (a *Authorizer) HTTP(ctx context.Context, ev events.APIGatewayV2CustomAuthorizerV2Request) (HTTPResponse, error) {
	h := request.EventHeaders{Single: ev.Headers}
	if len(ev.Cookies) > 0 {
		h.Multi = map[string][]string{"Cookie": {strings.Join(ev.Cookies, "; ")}}
	}
	req := Request{Method: ev.RequestContext.HTTP.Method, Path: ev.RequestContext.HTTP.Path, Headers: h,
		APIPath: withoutStage(ev.RawPath, ev.RequestContext.Stage), Query: rawFirstValues(ev.RawQueryString, ev.QueryStringParameters)}
	if req.APIPath == "" {
		req.APIPath = withoutStage(req.Path, ev.RequestContext.Stage)
	}
	if _, path, ok := strings.Cut(ev.RouteKey, " "); ok {
		req.Resource = path // "$default" has no path
	}
	ctx, inv := a.metrics.Start(ctx)
	d := a.Decide(ctx, req)
	a.record(ctx, req, d)
	a.count(inv, d)
	if d.Err != nil {
		return HTTPResponse{}, ErrUnavailable
	}
	if !d.Allow {
		return HTTPResponse{IsAuthorized: false, Context: Context{Msg: d.Msg}}, nil
	}
	return HTTPResponse{IsAuthorized: true, Context: d.Context()}, nil
}

// templateSafe escapes msg for the ACCESS_DENIED gateway response body
// {"msg":"$context.authorizer.msg"}: API Gateway substitutes context values
// verbatim (gateway response templates are not VTL, so no $util), and
// flask's messages contain double quotes.
func templateSafe(msg string) string {
	b, _ := json.Marshal(msg)
	return string(b[1 : len(b)-1])
}

// policy is one statement of effect on resource. Its slices share one
// allocation (instead of three per request); their capacities are capped,
// so an append to any of them copies rather than writing into another.
func policy(effect, resource string) events.APIGatewayCustomAuthorizerPolicy {
	b := new(struct {
		stmt [1]events.IAMPolicyStatement
		strs [2]string
	})
	b.strs = [2]string{"execute-api:Invoke", resource}
	b.stmt[0] = events.IAMPolicyStatement{Action: b.strs[0:1:1], Effect: effect, Resource: b.strs[1:2:2]}
	return events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: b.stmt[:]}
}

// arnPath is the resource path of arn:aws:execute-api:region:acct:apiId/stage/VERB/path:
// the request's path as the API defines it, with no custom domain base
// path (API Gateway builds the methodArn from the API's own resources);
// "" when methodArn has no such shape.
func arnPath(methodARN string) string {
	parts := strings.SplitN(methodARN, "/", 4)
	switch len(parts) {
	case 4:
		return "/" + parts[3]
	case 3:
		return "/"
	}
	return ""
}

// withoutStage cuts a named stage's prefix from an HTTP API path: on a
// stage other than $default, rawPath and http.path start with /<stage>.
func withoutStage(path, stage string) string {
	if stage == "" || stage == "$default" {
		return path
	}
	if path == "/"+stage {
		return "/"
	}
	if rest, ok := strings.CutPrefix(path, "/"+stage+"/"); ok {
		return "/" + rest
	}
	return path
}

// stageARN cuts arn:aws:execute-api:region:acct:apiId/stage/VERB/path to
// arn:aws:execute-api:region:acct:apiId/stage.
func stageARN(methodARN string) (string, bool) {
	parts := strings.SplitN(methodARN, "/", 3)
	if len(parts) < 3 {
		return "", false
	}
	return parts[0] + "/" + parts[1], true
}
