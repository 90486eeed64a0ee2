package gateway

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// API is what the gateway needs of the SAM template.
type API struct {
	Routes []Route
	// Authorizer is the logical ID of the default authorizer's function.
	Authorizer string
	// IdentityHeaders must all be present, or API Gateway answers
	// UNAUTHORIZED without invoking the authorizer.
	IdentityHeaders []string
	// AuthorizerTTL is the authorizer's ReauthorizeEvery: how long API
	// Gateway reuses an answer for every request with the same identity
	// source values (SAM's default, when the template names none: 300 s).
	AuthorizerTTL time.Duration
	Responses     map[string]Response
	// Env holds each function's environment as the template resolves it with
	// parameter defaults (Globals first, then the function's own).
	Env map[string]map[string]string
}

// Route is one API event of a function.
type Route struct {
	Method     string // upper case, or ANY
	Path       string // resource path, e.g. /items/{id}
	Function   string // logical ID
	Authorized bool
}

// Response is a configured gateway response.
type Response struct {
	StatusCode int
	Template   string
	Headers    map[string]string
}

// ParseTemplate reads a SAM template with one AWS::Serverless::Api.
func ParseTemplate(src []byte) (*API, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("gateway: template: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("gateway: template: empty")
	}
	root := doc.Content[0]
	params := map[string]string{}
	for name, p := range pairs(get(root, "Parameters")) {
		params[name] = scalar(get(p, "Default"))
	}
	api := &API{Responses: map[string]Response{}, Env: map[string]map[string]string{}}
	globalEnv := env(get(get(get(get(root, "Globals"), "Function"), "Environment"), "Variables"), params)
	defaultAuth := ""
	for name, res := range pairs(get(root, "Resources")) {
		props := get(res, "Properties")
		switch scalar(get(res, "Type")) {
		case "AWS::Serverless::Api":
			auth := get(props, "Auth")
			defaultAuth = scalar(get(auth, "DefaultAuthorizer"))
			if a := get(get(auth, "Authorizers"), defaultAuth); a != nil {
				api.Authorizer, _, _ = strings.Cut(scalar(get(a, "FunctionArn")), ".")
				for _, h := range seq(get(get(a, "Identity"), "Headers")) {
					api.IdentityHeaders = append(api.IdentityHeaders, scalar(h))
				}
				ttl, err := seconds(get(get(a, "Identity"), "ReauthorizeEvery"), params, samDefaultTTL)
				if err != nil {
					return nil, fmt.Errorf("gateway: template: %s ReauthorizeEvery: %w", defaultAuth, err)
				}
				api.AuthorizerTTL = ttl
			}
			for typ, gr := range pairs(get(props, "GatewayResponses")) {
				r := Response{Headers: map[string]string{}}
				fmt.Sscan(scalar(get(gr, "StatusCode")), &r.StatusCode)
				r.Template = scalar(get(get(gr, "ResponseTemplates"), "application/json"))
				for h, v := range pairs(get(get(gr, "ResponseParameters"), "Headers")) {
					// Conditional values (!If on a template condition, as the
					// CORS headers are) cannot be evaluated here; locally the
					// CORS middleware in front of the gateway sets those.
					if v.Kind != yaml.ScalarNode {
						continue
					}
					r.Headers[h] = strings.Trim(scalar(v), "'")
				}
				api.Responses[typ] = r
			}
		case "AWS::Serverless::Function":
			e := map[string]string{}
			for k, v := range globalEnv {
				e[k] = v
			}
			for k, v := range env(get(get(props, "Environment"), "Variables"), params) {
				e[k] = v
			}
			api.Env[name] = e
			for _, ev := range pairs(get(props, "Events")) {
				if scalar(get(ev, "Type")) != "Api" {
					continue
				}
				p := get(ev, "Properties")
				method := strings.ToUpper(scalar(get(p, "Method")))
				if method == "ANY" || method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
					method = "ANY"
				}
				api.Routes = append(api.Routes, Route{
					Method: method, Path: scalar(get(p, "Path")), Function: name,
					Authorized: scalar(get(get(p, "Auth"), "Authorizer")) != "NONE",
				})
			}
		}
	}
	if defaultAuth == "" || api.Authorizer == "" {
		for i := range api.Routes {
			api.Routes[i].Authorized = false
		}
	}
	// Literal paths before templated ones, as API Gateway prefers them.
	sort.SliceStable(api.Routes, func(i, j int) bool {
		return strings.Count(api.Routes[i].Path, "{") < strings.Count(api.Routes[j].Path, "{")
	})
	return api, nil
}

// samDefaultTTL is the authorizer result TTL SAM sets on a REST API
// authorizer whose Identity names no ReauthorizeEvery.
const samDefaultTTL = 300 * time.Second

// seconds reads a number of seconds, literal or a !Ref of a parameter
// (its default); def when n is absent.
func seconds(n *yaml.Node, params map[string]string, def time.Duration) (time.Duration, error) {
	if n == nil {
		return def, nil
	}
	v := scalar(n)
	if n.Tag == "!Ref" {
		v = params[v]
	}
	s, err := strconv.Atoi(v)
	if err != nil || s < 0 {
		return 0, fmt.Errorf("%q is not a number of seconds", v)
	}
	return time.Duration(s) * time.Second, nil
}

// env resolves a Variables map: !Ref of a parameter becomes its default, and
// !Ref of a resource its logical ID (the local stand-in for the real name).
func env(n *yaml.Node, params map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range pairs(n) {
		val := scalar(v)
		if v.Tag == "!Ref" {
			if d, ok := params[val]; ok {
				val = d
			}
		}
		out[k] = val
	}
	return out
}

func get(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func pairs(n *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = n.Content[i+1]
	}
	return out
}

func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
