package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

// Invoker runs a function by logical ID with a JSON event and returns its
// JSON result. A function error is a *FunctionError.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

// FunctionError is an error the function itself returned (errorMessage in
// the Lambda runtime API), as opposed to a failure to invoke it.
type FunctionError struct {
	Message string
	Type    string
}

// Error says the function failed, with its message.
func (e *FunctionError) Error() string { return "gateway: function error: " + e.Message }

// Names API Gateway would use; the account id is the documentation one.
const (
	Account   = "123456789012"
	Region    = "us-east-1"
	APIID     = "jwtgatelocal"
	maxBody   = 10 << 20 // API Gateway's payload limit
	principal = "principalId"
)

// Options are a Gateway's optional parts.
type Options struct {
	// Stage is the stage name in the events (the template's, by default
	// "prod" in jwtgate dev).
	Stage string
	// Fallback serves requests no route matches (the demo web app); nil
	// answers like API Gateway (403 Missing Authentication Token).
	Fallback http.Handler
	// Log gets one line per request; nil discards them.
	Log *slog.Logger
	// Clock times the authorizer cache; nil is time.Now.
	Clock func() time.Time
}

// Gateway serves an API. Build it with New.
type Gateway struct {
	api      *samtemplate.Template
	invoker  Invoker
	stage    string
	fallback http.Handler
	log      *slog.Logger
	clock    func() time.Time

	mu sync.Mutex
	// cache holds the authorizer's answers by identity source values, for
	// API.AuthorizerTTL, as API Gateway's authorizer result cache does.
	cache map[string]cachedAnswer
}

// cachedAnswer is an authorizer answer and when it stops being reused.
type cachedAnswer struct {
	res     events.APIGatewayCustomAuthorizerResponse
	expires time.Time
}

// New returns the gateway serving api's routes through inv.
func New(api *samtemplate.Template, inv Invoker, o Options) *Gateway {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &Gateway{api: api, invoker: inv, stage: o.Stage, fallback: o.Fallback, log: o.Log, clock: o.Clock}
}

// API is the template the gateway serves.
func (g *Gateway) API() *samtemplate.Template { return g.api }

// Stage is the stage name the events carry.
func (g *Gateway) Stage() string { return g.stage }

func (g *Gateway) now() time.Time { return g.clock() }

// ServeHTTP runs one request through the API and logs one line (method,
// path, status, latency; never headers or query, which may carry tokens).
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	g.serve(rec, r)
	g.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
		"latency_ms", float64(time.Since(start).Microseconds())/1000)
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request) {
	route, params, ok := g.match(r.Method, r.URL.Path)
	if !ok {
		if r.Method == http.MethodOptions && g.api.Cors != nil && g.pathExists(r.URL.Path) {
			g.preflight(w)
			return
		}
		if g.fallback != nil {
			g.fallback.ServeHTTP(w, r)
			return
		}
		g.respond(w, "MISSING_AUTHENTICATION_TOKEN", nil, "Missing Authentication Token")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		g.respond(w, "REQUEST_TOO_LARGE", nil, "Request Too Long")
		return
	}
	ev := g.proxyEvent(r, route, params, body)
	ctx := r.Context()
	if route.Authorized {
		authCtx, resp, ok := g.authorize(ctx, ev)
		if !ok {
			g.respond(w, resp.kind, resp.ctx, resp.msg)
			return
		}
		ev.RequestContext.Authorizer = authCtx
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		g.respond(w, "DEFAULT_5XX", nil, "Internal server error")
		return
	}
	out, err := g.invoker.Invoke(ctx, route.Function, payload)
	if err != nil {
		g.logError("function failed", route.Function, err)
		writeJSONMessage(w, http.StatusBadGateway, "Internal server error")
		return
	}
	var res events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &res); err != nil || res.StatusCode == 0 {
		g.logError("malformed proxy response", route.Function, err)
		writeJSONMessage(w, http.StatusBadGateway, "Internal server error")
		return
	}
	writeProxyResponse(w, res)
}

// pathExists reports whether any route has path: SAM adds the Cors
// preflight method to every path of the API, whatever its methods.
func (g *Gateway) pathExists(path string) bool {
	for _, rt := range g.api.Routes {
		if _, ok := matchPath(rt.Path, path); ok {
			return true
		}
	}
	return false
}

// preflight answers as the mock integration SAM generates for Cors does:
// 200, the configured headers whatever the request's Origin (the browser
// compares), and the mock's body. No authorizer runs and no function is
// invoked.
func (g *Gateway) preflight(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range g.api.Cors {
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "{}\n")
}

type denial struct {
	kind string
	ctx  map[string]any
	msg  string
}

// authorize does what API Gateway does with a REQUEST authorizer: identity
// sources first, then the function, then the policy against the methodArn.
func (g *Gateway) authorize(ctx context.Context, ev events.APIGatewayProxyRequest) (map[string]any, denial, bool) {
	var identity []string
	for _, h := range g.api.IdentityHeaders {
		if headerValue(ev.MultiValueHeaders, h) == "" {
			return nil, denial{kind: "UNAUTHORIZED", msg: "Unauthorized"}, false
		}
		identity = append(identity, strings.Join(headerValues(ev.MultiValueHeaders, h), "\n"))
	}
	for _, q := range g.api.IdentityQueryStrings {
		v := ev.QueryStringParameters[q]
		if v == "" {
			return nil, denial{kind: "UNAUTHORIZED", msg: "Unauthorized"}, false
		}
		identity = append(identity, "?"+v)
	}
	methodARN := fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s%s", Region, Account, APIID, g.stage, ev.HTTPMethod, ev.Path)
	// With a TTL, an answer is reused for any method and route whose request
	// has the same identity source values, without invoking the authorizer.
	key := strings.Join(identity, "\x00")
	res, cached := g.cached(key)
	if !cached {
		var d denial
		var ok bool
		if res, d, ok = g.invokeAuthorizer(ctx, ev, methodARN); !ok {
			return nil, d, false
		}
		g.store(key, res)
	}
	if !Allowed(res.PolicyDocument, methodARN) {
		return nil, denial{kind: "ACCESS_DENIED", ctx: res.Context,
			msg: "User is not authorized to access this resource with an explicit deny"}, false
	}
	authCtx := map[string]any{principal: res.PrincipalID}
	for k, v := range res.Context {
		authCtx[k] = v
	}
	return authCtx, denial{}, true
}

// cached returns the live cached answer for key.
func (g *Gateway) cached(key string) (events.APIGatewayCustomAuthorizerResponse, bool) {
	if g.api.AuthorizerTTL <= 0 {
		return events.APIGatewayCustomAuthorizerResponse{}, false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.cache[key]
	if !ok || !g.now().Before(c.expires) {
		delete(g.cache, key)
		return events.APIGatewayCustomAuthorizerResponse{}, false
	}
	return c.res, true
}

// store caches an answer (a policy, Allow or Deny; errors are not cached).
func (g *Gateway) store(key string, res events.APIGatewayCustomAuthorizerResponse) {
	if g.api.AuthorizerTTL <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cache == nil {
		g.cache = map[string]cachedAnswer{}
	}
	g.cache[key] = cachedAnswer{res: res, expires: g.now().Add(g.api.AuthorizerTTL)}
}

// invokeAuthorizer builds the REQUEST event, runs the authorizer and checks
// its answer as API Gateway does.
func (g *Gateway) invokeAuthorizer(ctx context.Context, ev events.APIGatewayProxyRequest, methodARN string) (events.APIGatewayCustomAuthorizerResponse, denial, bool) {
	var none events.APIGatewayCustomAuthorizerResponse
	req := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: methodARN, Resource: ev.Resource, Path: ev.Path, HTTPMethod: ev.HTTPMethod,
		Headers: ev.Headers, MultiValueHeaders: ev.MultiValueHeaders,
		QueryStringParameters: ev.QueryStringParameters, MultiValueQueryStringParameters: ev.MultiValueQueryStringParameters,
		PathParameters: ev.PathParameters, StageVariables: ev.StageVariables,
		RequestContext: events.APIGatewayCustomAuthorizerRequestTypeRequestContext{
			Path: ev.RequestContext.Path, AccountID: Account, ResourceID: ev.RequestContext.ResourceID,
			Stage: g.stage, RequestID: ev.RequestContext.RequestID, ResourcePath: ev.Resource,
			HTTPMethod: ev.HTTPMethod, APIID: APIID,
			Identity: events.APIGatewayCustomAuthorizerRequestTypeRequestIdentity{SourceIP: ev.RequestContext.Identity.SourceIP},
		},
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return none, denial{kind: "AUTHORIZER_CONFIGURATION_ERROR", msg: "Internal server error"}, false
	}
	out, err := g.invoker.Invoke(ctx, g.api.Authorizer, payload)
	var fe *FunctionError
	switch {
	case errors.As(err, &fe) && fe.Message == "Unauthorized":
		return none, denial{kind: "UNAUTHORIZED", msg: "Unauthorized"}, false
	case err != nil:
		g.logError("authorizer failed", g.api.Authorizer, err)
		return none, denial{kind: "AUTHORIZER_FAILURE", msg: "Internal server error"}, false
	}
	var res events.APIGatewayCustomAuthorizerResponse
	if err := json.Unmarshal(out, &res); err != nil || res.PrincipalID == "" || !validContext(res.Context) {
		g.logError("authorizer response invalid", g.api.Authorizer, err)
		return none, denial{kind: "AUTHORIZER_CONFIGURATION_ERROR", msg: "Internal server error"}, false
	}
	return res, denial{}, true
}

// validContext is API Gateway's rule: string, number or boolean values only
// (a nested value makes it answer 500; sam local does not check).
func validContext(c map[string]any) bool {
	for _, v := range c {
		switch v.(type) {
		case string, float64, bool, json.Number:
		default:
			return false
		}
	}
	return true
}

// Allowed evaluates an authorizer policy for execute-api:Invoke on arn:
// an explicit Deny wins, then any Allow, else deny.
func Allowed(p events.APIGatewayCustomAuthorizerPolicy, arn string) bool {
	allowed := false
	for _, s := range p.Statement {
		if !matchesAny(s.Action, "execute-api:Invoke") || !matchesAny(s.Resource, arn) {
			continue
		}
		switch s.Effect {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

func matchesAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if glob(p, s) {
			return true
		}
	}
	return false
}

// glob matches IAM wildcards: * any run (including "/"), ? one character.
func glob(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if glob(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			p, s = p[1:], s[1:]
		default:
			if s == "" || p[0] != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

// match finds the route for method and path, with path parameters.
func (g *Gateway) match(method, path string) (samtemplate.Route, map[string]string, bool) {
	for _, rt := range g.api.Routes {
		if rt.Method != "ANY" && rt.Method != method {
			continue
		}
		if params, ok := matchPath(rt.Path, path); ok {
			return rt, params, true
		}
	}
	return samtemplate.Route{}, nil, false
}

func matchPath(tmpl, path string) (map[string]string, bool) {
	ts := strings.Split(strings.Trim(tmpl, "/"), "/")
	ps := strings.Split(strings.Trim(path, "/"), "/")
	params := map[string]string{}
	for i, t := range ts {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "+}") {
			params[t[1:len(t)-2]] = strings.Join(ps[i:], "/")
			return params, i < len(ps)
		}
		if i >= len(ps) {
			return nil, false
		}
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			params[t[1:len(t)-1]] = ps[i]
			continue
		}
		if t != ps[i] {
			return nil, false
		}
	}
	if len(ts) != len(ps) {
		return nil, false
	}
	if len(params) == 0 {
		params = nil
	}
	return params, true
}

// proxyEvent builds the REST proxy event API Gateway would send.
func (g *Gateway) proxyEvent(r *http.Request, rt samtemplate.Route, params map[string]string, body []byte) events.APIGatewayProxyRequest {
	single := map[string]string{}
	multi := map[string][]string{}
	for k, v := range r.Header {
		multi[k] = v
		single[k] = v[len(v)-1]
	}
	if r.Host != "" {
		multi["Host"], single["Host"] = []string{r.Host}, r.Host
	}
	var qs map[string]string
	var mqs map[string][]string
	if q := r.URL.Query(); len(q) > 0 {
		qs, mqs = map[string]string{}, map[string][]string{}
		for k, v := range q {
			mqs[k], qs[k] = v, v[len(v)-1]
		}
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	now := g.now()
	ev := events.APIGatewayProxyRequest{
		Resource: rt.Path, Path: r.URL.Path, HTTPMethod: r.Method,
		Headers: single, MultiValueHeaders: multi,
		QueryStringParameters: qs, MultiValueQueryStringParameters: mqs, PathParameters: params,
		RequestContext: events.APIGatewayProxyRequestContext{
			AccountID: Account, ResourceID: "local", Stage: g.stage, RequestID: uuid.NewString(),
			Identity:     events.APIGatewayRequestIdentity{SourceIP: ip, UserAgent: r.UserAgent()},
			ResourcePath: rt.Path, Path: "/" + g.stage + r.URL.Path, HTTPMethod: r.Method, APIID: APIID,
			DomainName: r.Host, Protocol: r.Proto, RequestTimeEpoch: now.UnixMilli(),
			RequestTime: now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
		},
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// respond writes the gateway response of kind, with $context.authorizer.*
// and $context.error.message substituted in its template.
func (g *Gateway) respond(w http.ResponseWriter, kind string, authCtx map[string]any, errMsg string) {
	r, ok := g.api.Responses[kind]
	if !ok {
		r = defaultResponse(kind)
	}
	body := r.Template
	if body == "" {
		b, _ := json.Marshal(map[string]string{"message": errMsg})
		body = string(b)
	}
	body = substitute(body, authCtx, errMsg)
	for k, v := range r.Headers {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(r.StatusCode)
	_, _ = io.WriteString(w, body)
}

func defaultResponse(kind string) samtemplate.Response {
	status := map[string]int{
		"UNAUTHORIZED": 401, "ACCESS_DENIED": 403, "AUTHORIZER_FAILURE": 500,
		"AUTHORIZER_CONFIGURATION_ERROR": 500, "MISSING_AUTHENTICATION_TOKEN": 403,
		"REQUEST_TOO_LARGE": 413, "DEFAULT_5XX": 500,
	}[kind]
	if status == 0 {
		status = 500
	}
	return samtemplate.Response{StatusCode: status}
}

// substitute fills the variables gateway responses support, verbatim as
// API Gateway does (their templates are not VTL): a context value that is
// not JSON-safe breaks the body there too. $context.error.messageString is
// the quoted form.
func substitute(tmpl string, authCtx map[string]any, errMsg string) string {
	quoted, _ := json.Marshal(errMsg)
	out := strings.ReplaceAll(tmpl, "$context.error.messageString", string(quoted))
	out = strings.ReplaceAll(out, "$context.error.message", errMsg)
	var b strings.Builder
	for {
		i := strings.Index(out, "$context.authorizer.")
		if i < 0 {
			b.WriteString(out)
			return b.String()
		}
		j := i + len("$context.authorizer.")
		k := j
		for k < len(out) && (out[k] == '_' || out[k] >= 'a' && out[k] <= 'z' || out[k] >= 'A' && out[k] <= 'Z' || out[k] >= '0' && out[k] <= '9') {
			k++
		}
		b.WriteString(out[:i])
		if v, ok := authCtx[out[j:k]]; ok {
			b.WriteString(fmt.Sprint(v))
		}
		out = out[k:]
	}
}

func writeProxyResponse(w http.ResponseWriter, res events.APIGatewayProxyResponse) {
	h := w.Header()
	for k, v := range res.Headers {
		h.Set(k, v)
	}
	for k, vs := range res.MultiValueHeaders {
		h.Del(k)
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	body := []byte(res.Body)
	if res.IsBase64Encoded {
		if b, err := base64.StdEncoding.DecodeString(res.Body); err == nil {
			body = b
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(body)
}

func writeJSONMessage(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// headerValues is every value of name (any case), in order.
func headerValues(h map[string][]string, name string) []string {
	var out []string
	for k, v := range h {
		if strings.EqualFold(k, name) {
			out = append(out, v...)
		}
	}
	return out
}

func headerValue(h map[string][]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

func (g *Gateway) logError(msg, fn string, err error) {
	g.log.Error(msg, "function", fn, "err", err)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
