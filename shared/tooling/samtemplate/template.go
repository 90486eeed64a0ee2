package samtemplate

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ErrEmpty means the template has no YAML document.
var ErrEmpty = errors.New("samtemplate: empty template")

// Template is what the local tools need of a SAM template.
type Template struct {
	// Routes are the Api events of every function, literal paths before
	// templated ones (API Gateway prefers them).
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
	// Responses are the configured gateway responses by type.
	Responses map[string]Response
	// Functions are the AWS::Serverless::Function resources by logical ID.
	Functions map[string]Function
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

// Function is one AWS::Serverless::Function, Globals applied.
type Function struct {
	ID string
	// Runtime is e.g. provided.al2023 or python3.12.
	Runtime string
	// Handler is "bootstrap" for provided runtimes, module.function for
	// Python, file.export for Node.js.
	Handler string
	// CodeUri is the code's directory, relative to the template.
	CodeUri string
	// BuildMethod is Metadata.BuildMethod ("makefile" for the Go
	// functions), empty when sam build picks the runtime's builder.
	BuildMethod string
	// Env is the environment as the template resolves it with parameter
	// defaults (Globals first, then the function's own).
	Env map[string]string
	// Timeout and MemoryMB are zero when neither the function nor Globals
	// sets them (Lambda's defaults then apply).
	Timeout  time.Duration
	MemoryMB int
}

// FunctionIDs returns the logical IDs of every function, sorted.
func (t *Template) FunctionIDs() []string {
	return slices.Sorted(maps.Keys(t.Functions))
}

// Parse reads a SAM template with one AWS::Serverless::Api.
func Parse(src []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, ErrEmpty
	}
	root := doc.Content[0]
	params := map[string]string{}
	for name, p := range pairs(get(root, "Parameters")) {
		params[name] = scalar(get(p, "Default"))
	}
	t := &Template{Responses: map[string]Response{}, Functions: map[string]Function{}}
	globals := get(get(root, "Globals"), "Function")
	globalEnv := env(get(get(globals, "Environment"), "Variables"), params)
	defaultAuth := ""
	for name, res := range pairs(get(root, "Resources")) {
		props := get(res, "Properties")
		switch scalar(get(res, "Type")) {
		case "AWS::Serverless::Api":
			auth := get(props, "Auth")
			defaultAuth = scalar(get(auth, "DefaultAuthorizer"))
			if a := get(get(auth, "Authorizers"), defaultAuth); a != nil {
				t.Authorizer, _, _ = strings.Cut(scalar(get(a, "FunctionArn")), ".")
				for _, h := range seq(get(get(a, "Identity"), "Headers")) {
					t.IdentityHeaders = append(t.IdentityHeaders, scalar(h))
				}
				ttl, err := seconds(get(get(a, "Identity"), "ReauthorizeEvery"), params, samDefaultTTL)
				if err != nil {
					return nil, fmt.Errorf("samtemplate: %s ReauthorizeEvery: %w", defaultAuth, err)
				}
				t.AuthorizerTTL = ttl
			}
			for typ, gr := range pairs(get(props, "GatewayResponses")) {
				r := Response{Headers: map[string]string{}}
				r.StatusCode, _ = strconv.Atoi(scalar(get(gr, "StatusCode")))
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
				t.Responses[typ] = r
			}
		case "AWS::Serverless::Function":
			fn := Function{ID: name, Env: map[string]string{},
				Runtime:     firstSet(scalar(get(props, "Runtime")), scalar(get(globals, "Runtime"))),
				Handler:     firstSet(scalar(get(props, "Handler")), scalar(get(globals, "Handler"))),
				CodeUri:     firstSet(scalar(get(props, "CodeUri")), scalar(get(globals, "CodeUri"))),
				BuildMethod: scalar(get(get(res, "Metadata"), "BuildMethod")),
			}
			if s := firstSet(scalar(get(props, "Timeout")), scalar(get(globals, "Timeout"))); s != "" {
				if n, err := strconv.Atoi(s); err == nil {
					fn.Timeout = time.Duration(n) * time.Second
				}
			}
			if s := firstSet(scalar(get(props, "MemorySize")), scalar(get(globals, "MemorySize"))); s != "" {
				fn.MemoryMB, _ = strconv.Atoi(s)
			}
			maps.Copy(fn.Env, globalEnv)
			maps.Copy(fn.Env, env(get(get(props, "Environment"), "Variables"), params))
			t.Functions[name] = fn
			for _, ev := range pairs(get(props, "Events")) {
				if scalar(get(ev, "Type")) != "Api" {
					continue
				}
				p := get(ev, "Properties")
				method := strings.ToUpper(scalar(get(p, "Method")))
				if method == "ANY" || method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
					method = "ANY"
				}
				t.Routes = append(t.Routes, Route{
					Method: method, Path: scalar(get(p, "Path")), Function: name,
					Authorized: scalar(get(get(p, "Auth"), "Authorizer")) != "NONE",
				})
			}
		}
	}
	if defaultAuth == "" || t.Authorizer == "" {
		for i := range t.Routes {
			t.Routes[i].Authorized = false
		}
	}
	// Map order is random: sort for a stable order, then put literal paths
	// before templated ones, as API Gateway prefers them.
	sort.Slice(t.Routes, func(i, j int) bool {
		a, b := t.Routes[i], t.Routes[j]
		return a.Path+" "+a.Method < b.Path+" "+b.Method
	})
	sort.SliceStable(t.Routes, func(i, j int) bool {
		return strings.Count(t.Routes[i].Path, "{") < strings.Count(t.Routes[j].Path, "{")
	})
	return t, nil
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

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
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
