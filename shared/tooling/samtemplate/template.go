package samtemplate

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ErrEmpty means the template has no YAML document.
var ErrEmpty = errors.New("samtemplate: empty template")

// ErrParameter is a parameter value the template refuses (AllowedPattern,
// Rules), or an environment value no parameter value yields.
var ErrParameter = errors.New("samtemplate: template parameter")

// Region and Account are the local stand-ins for AWS::Region and
// AWS::AccountId (the gateway's names).
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// Template is what the local tools need of a SAM template.
type Template struct {
	// Routes are the Api events of every function, literal paths before
	// templated ones (API Gateway prefers them).
	Routes []Route
	// Authorizer is the logical ID of the default authorizer's function.
	Authorizer string
	// IdentityHeaders and IdentityQueryStrings must all be present, or API
	// Gateway answers UNAUTHORIZED without invoking the authorizer.
	IdentityHeaders      []string
	IdentityQueryStrings []string
	// Cors holds the headers API Gateway's preflight answer (the mock
	// integration SAM adds on every path's OPTIONS) sends; nil when the
	// template configures no Cors.
	Cors map[string]string
	// Parameters are the values the template was read with: the
	// overrides given, defaults for the rest.
	Parameters map[string]string
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

// Parse reads a SAM template with one AWS::Serverless::Api, with its
// parameters at their defaults.
func Parse(src []byte) (*Template, error) { return ParseWith(src, nil) }

// ParseWith reads a SAM template with parameter overrides, as
// `sam deploy --parameter-overrides` gives them. The conditions, !If, !Sub,
// !Ref and !FindInMap the template uses are evaluated with those values, and
// its Rules checked, so the tools follow what a deployment with them would
// do (which authorizer, which identity sources, which CORS headers).
func ParseWith(src []byte, overrides map[string]string) (*Template, error) {
	root, err := parseYAML(src)
	if err != nil {
		return nil, err
	}
	e, err := newEvaluator(root, overrides)
	if err != nil {
		return nil, err
	}
	if err := e.rules(root); err != nil {
		return nil, err
	}
	t := &Template{Responses: map[string]Response{}, Functions: map[string]Function{}, Parameters: e.params}
	globals := get(get(root, "Globals"), "Function")
	globalEnv := e.env(get(get(globals, "Environment"), "Variables"))
	defaultAuth := ""
	for name, res := range pairs(get(root, "Resources")) {
		props := get(res, "Properties")
		switch scalar(get(res, "Type")) {
		case "AWS::Serverless::Api":
			auth := e.get(props, "Auth")
			defaultAuth = scalar(e.get(auth, "DefaultAuthorizer"))
			if a := get(e.get(auth, "Authorizers"), defaultAuth); a != nil {
				t.Authorizer, _, _ = strings.Cut(scalar(get(a, "FunctionArn")), ".")
				identity := e.get(a, "Identity")
				t.IdentityHeaders = e.strings(e.get(identity, "Headers"))
				t.IdentityQueryStrings = e.strings(e.get(identity, "QueryStrings"))
				ttl, err := seconds(e.get(identity, "ReauthorizeEvery"), samDefaultTTL)
				if err != nil {
					return nil, fmt.Errorf("samtemplate: %s ReauthorizeEvery: %w", defaultAuth, err)
				}
				t.AuthorizerTTL = ttl
			}
			t.Cors = e.cors(props)
			for typ, gr := range pairs(e.get(props, "GatewayResponses")) {
				r := Response{Headers: map[string]string{}}
				r.StatusCode, _ = strconv.Atoi(scalar(e.get(gr, "StatusCode")))
				r.Template = scalar(e.get(e.get(gr, "ResponseTemplates"), "application/json"))
				headers := e.get(e.get(gr, "ResponseParameters"), "Headers")
				for h := range pairs(headers) {
					// A header whose value is AWS::NoValue (e.g. the CORS
					// headers without CorsAllowOrigin) is not sent.
					if v := e.get(headers, h); v != nil {
						r.Headers[h] = unquote(scalar(v))
					}
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
			maps.Copy(fn.Env, e.env(get(get(props, "Environment"), "Variables")))
			t.Functions[name] = fn
			for _, ev := range pairs(get(props, "Events")) {
				if scalar(get(ev, "Type")) != "Api" {
					continue
				}
				p := get(ev, "Properties")
				method := strings.ToUpper(scalar(e.get(p, "Method")))
				if method == "ANY" || method == "X-AMAZON-APIGATEWAY-ANY-METHOD" {
					method = "ANY"
				}
				t.Routes = append(t.Routes, Route{
					Method: method, Path: scalar(e.get(p, "Path")), Function: name,
					Authorized: scalar(e.get(e.get(p, "Auth"), "Authorizer")) != "NONE",
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

// seconds reads a resolved number of seconds; def when n is absent.
func seconds(n *yaml.Node, def time.Duration) (time.Duration, error) {
	if n == nil {
		return def, nil
	}
	v := scalar(n)
	s, err := strconv.Atoi(v)
	if err != nil || s < 0 {
		return 0, fmt.Errorf("%q is not a number of seconds", v)
	}
	return time.Duration(s) * time.Second, nil
}

// ParametersFromEnv returns the parameter values a local environment
// stands for: a function variable the template sets to !Ref P (or to
// !FindInMap [M, !Ref P, K]) makes P the value that yields the variable's
// value. `jwtgate dev` thereby reads one set of settings, the JWT_* and
// JWTGATE_* variables, for both the functions and the gateway
// (JWTGATE_CORS_ORIGINS picks CorsAllowOrigin, hence the preflight
// answers). Unset and empty variables leave their parameter at its default.
func ParametersFromEnv(src []byte, getenv func(string) (string, bool)) (map[string]string, error) {
	root, err := parseYAML(src)
	if err != nil {
		return nil, err
	}
	e, err := newEvaluator(root, nil)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	from := map[string]string{}
	var errs []error
	bind := func(vars *yaml.Node) {
		for name, v := range pairs(vars) {
			val, set := getenv(name)
			val = strings.TrimSpace(val)
			if !set {
				continue
			}
			param, mapped := e.binding(v)
			// Set but empty means empty only for a plain string
			// (JWTGATE_ROLE_RULES= is "no rules"); the functions read an
			// empty number or list as unset, so its parameter keeps its
			// default.
			if param == "" || val == "" && (mapped != nil || e.types[param] != "String") {
				continue
			}
			if mapped != nil {
				p, ok := mapped(val)
				if !ok {
					errs = append(errs, fmt.Errorf("%w %s: %s=%q is none of the values the template maps it to", ErrParameter, param, name, val))
					continue
				}
				val = p
			}
			if prev, ok := out[param]; ok && prev != val {
				errs = append(errs, fmt.Errorf("%w %s: %s and %s disagree (%q, %q)", ErrParameter, param, from[param], name, prev, val))
				continue
			}
			out[param], from[param] = val, name
		}
	}
	bind(get(get(get(get(root, "Globals"), "Function"), "Environment"), "Variables"))
	for _, res := range pairs(get(root, "Resources")) {
		bind(get(get(get(res, "Properties"), "Environment"), "Variables"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func parseYAML(src []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("samtemplate: empty")
	}
	return doc.Content[0], nil
}

// evaluator resolves the intrinsic functions of a template for one set of
// parameter values: !Ref, !Sub, !If, !FindInMap, and the condition
// functions !Equals, !Not, !And, !Or and !Condition.
type evaluator struct {
	params     map[string]string
	types      map[string]string // parameter Type
	mappings   *yaml.Node
	conditions *yaml.Node
}

func newEvaluator(root *yaml.Node, overrides map[string]string) (*evaluator, error) {
	e := &evaluator{params: map[string]string{}, types: map[string]string{}, mappings: get(root, "Mappings"), conditions: get(root, "Conditions")}
	declared := pairs(get(root, "Parameters"))
	var errs []error
	for name, p := range declared {
		e.params[name] = scalar(get(p, "Default"))
		e.types[name] = scalar(get(p, "Type"))
		v, ok := overrides[name]
		if !ok {
			continue
		}
		// AllowedPattern is checked as CloudFormation does; AllowedValues
		// are left to the functions' own configuration checks, which
		// accept the spellings flask does (none, False, 0).
		if pat := scalar(get(p, "AllowedPattern")); pat != "" {
			re, err := regexp.Compile("^(?:" + pat + ")$")
			if err != nil || !re.MatchString(v) {
				errs = append(errs, fmt.Errorf("%w %s=%q: does not match the template's AllowedPattern %s", ErrParameter, name, v, pat))
				continue
			}
		}
		e.params[name] = v
	}
	for name := range overrides {
		if _, ok := declared[name]; !ok {
			errs = append(errs, fmt.Errorf("%w %s: not declared", ErrParameter, name))
		}
	}
	return e, errors.Join(errs...)
}

// rules checks the template's Rules with e's values, as CloudFormation
// does before it creates anything (e.g. a cached authorizer needs cookie
// tokens).
func (e *evaluator) rules(root *yaml.Node) error {
	var errs []error
	for name, rule := range pairs(get(root, "Rules")) {
		if c := get(rule, "RuleCondition"); c != nil && !e.truth(c) {
			continue
		}
		for _, a := range seq(get(rule, "Assertions")) {
			if !e.truth(get(a, "Assert")) {
				errs = append(errs, fmt.Errorf("%w rule %s: %s", ErrParameter, name, scalar(get(a, "AssertDescription"))))
			}
		}
	}
	return errors.Join(errs...)
}

// intrinsic returns the function name and argument of n when n is an
// intrinsic function, in short (!If [...]) or long ({"Fn::If": [...]}) form.
func intrinsic(n *yaml.Node) (string, *yaml.Node) {
	if n == nil {
		return "", nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return strings.TrimPrefix(n.Tag, "!"), n
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return strings.TrimPrefix(k, "Fn::"), n.Content[1]
		}
	}
	return "", nil
}

// resolve evaluates n; nil stands for AWS::NoValue (and for what cannot
// be known locally, such as an attribute of a deployed resource).
func (e *evaluator) resolve(n *yaml.Node) *yaml.Node {
	fn, arg := intrinsic(n)
	switch fn {
	case "":
		return n
	case "Ref":
		name := arg.Value
		if name == "AWS::NoValue" {
			return nil
		}
		if v, ok := e.params[name]; ok {
			return str(v)
		}
		if name == "AWS::Region" {
			return str(Region)
		}
		// A resource: its logical ID is the local stand-in for its name.
		return str(name)
	case "Sub":
		s := arg.Value
		if arg.Kind == yaml.SequenceNode && len(arg.Content) > 0 {
			s = arg.Content[0].Value
		}
		return str(e.sub(s))
	case "If":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 {
			return nil
		}
		if e.condition(arg.Content[0].Value) {
			return e.resolve(arg.Content[1])
		}
		return e.resolve(arg.Content[2])
	case "FindInMap":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 {
			return nil
		}
		m := get(e.mappings, scalar(e.resolve(arg.Content[0])))
		return e.resolve(get(get(m, scalar(e.resolve(arg.Content[1]))), scalar(e.resolve(arg.Content[2]))))
	case "GetAtt":
		return nil
	}
	return n
}

var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:._]+)\}`)

func (e *evaluator) sub(s string) string {
	return subVar.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-1]
		if v, ok := e.params[name]; ok {
			return v
		}
		switch name {
		case "AWS::Region":
			return Region
		case "AWS::AccountId":
			return Account
		}
		return m
	})
}

// condition evaluates the template condition called name.
func (e *evaluator) condition(name string) bool {
	return e.truth(get(e.conditions, name))
}

func (e *evaluator) truth(n *yaml.Node) bool {
	fn, arg := intrinsic(n)
	args := seq(arg)
	switch fn {
	case "Equals":
		return len(args) == 2 && scalar(e.resolve(args[0])) == scalar(e.resolve(args[1]))
	case "Not":
		return len(args) == 1 && !e.truth(args[0])
	case "And":
		for _, a := range args {
			if !e.truth(a) {
				return false
			}
		}
		return len(args) > 0
	case "Or":
		for _, a := range args {
			if e.truth(a) {
				return true
			}
		}
		return false
	case "Condition":
		return e.condition(arg.Value)
	}
	return false
}

// get is the resolved value of key in the resolved mapping n.
func (e *evaluator) get(n *yaml.Node, key string) *yaml.Node {
	return e.resolve(get(e.resolve(n), key))
}

// strings resolves a list of strings, leaving out AWS::NoValue items.
func (e *evaluator) strings(n *yaml.Node) []string {
	var out []string
	for _, item := range seq(e.resolve(n)) {
		if v := e.resolve(item); v != nil {
			out = append(out, scalar(v))
		}
	}
	return out
}

// env resolves a Variables map; a variable whose value is AWS::NoValue is
// not set.
func (e *evaluator) env(n *yaml.Node) map[string]string {
	out := map[string]string{}
	for k, v := range pairs(n) {
		if r := e.resolve(v); r != nil {
			out[k] = scalar(r)
		}
	}
	return out
}

// binding names the parameter a variable's value n is bound to: !Ref P
// (mapped is nil: the value is the parameter's), or !FindInMap [M, !Ref P,
// K] (mapped finds the P that maps to a value; spaces are ignored, so
// "cookies, headers" finds the key of "cookies,headers").
func (e *evaluator) binding(n *yaml.Node) (param string, mapped func(string) (string, bool)) {
	fn, arg := intrinsic(n)
	switch fn {
	case "Ref":
		if _, ok := e.params[arg.Value]; ok {
			return arg.Value, nil
		}
	case "FindInMap":
		args := seq(arg)
		if len(args) != 3 {
			return "", nil
		}
		if f, p := intrinsic(args[1]); f == "Ref" {
			if _, ok := e.params[p.Value]; ok {
				m, key := get(e.mappings, scalar(e.resolve(args[0]))), scalar(e.resolve(args[2]))
				return p.Value, func(v string) (string, bool) {
					for k, row := range pairs(m) {
						if squash(scalar(get(row, key))) == squash(v) {
							return k, true
						}
					}
					return "", false
				}
			}
		}
	}
	return "", nil
}

// squash compares list values as the functions read them: spaces,
// brackets, quotes and case do not matter (`["cookies", "headers"]` is
// "cookies,headers").
func squash(s string) string {
	return strings.ToLower(strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '[', ']', '"', '\'':
			return -1
		}
		return r
	}, s))
}

// cors is what SAM's preflight mock answers for the Api's Cors: every
// header it sets, quotes taken off; AllowOrigin may be AWS::NoValue (then
// no Access-Control-Allow-Origin, and browsers refuse the preflight).
func (e *evaluator) cors(props *yaml.Node) map[string]string {
	c := e.get(props, "Cors")
	if c == nil {
		return nil
	}
	out := map[string]string{}
	if c.Kind == yaml.ScalarNode {
		out["Access-Control-Allow-Origin"] = unquote(c.Value)
		return out
	}
	for key, header := range map[string]string{
		"AllowOrigin": "Access-Control-Allow-Origin", "AllowHeaders": "Access-Control-Allow-Headers",
		"AllowMethods": "Access-Control-Allow-Methods", "MaxAge": "Access-Control-Max-Age",
	} {
		if v := e.get(c, key); v != nil {
			out[header] = unquote(scalar(v))
		}
	}
	if scalar(e.get(c, "AllowCredentials")) == "true" {
		out["Access-Control-Allow-Credentials"] = "true"
	}
	return out
}

// unquote takes off the single quotes API Gateway's static mapping values
// wear ("'application/json'").
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return s[1 : len(s)-1]
	}
	return s
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

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

// GlobalLiterals returns the variables the Globals' function environment
// sets to a plain non-empty value rather than through a parameter or
// another intrinsic function: settings a team wrote into the template
// (JWT_REFRESH_COOKIE_PATH: /api/refresh), which every deployed function
// reads as they are. `jwtgate dev` reads them too (devserver.TemplateEnv),
// so a setting without a parameter behaves alike locally and in AWS.
func GlobalLiterals(src []byte) (map[string]string, error) {
	root, err := parseYAML(src)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for name, v := range pairs(get(get(get(get(root, "Globals"), "Function"), "Environment"), "Variables")) {
		if fn, _ := intrinsic(v); fn == "" && v.Kind == yaml.ScalarNode && strings.TrimSpace(v.Value) != "" {
			out[name] = v.Value
		}
	}
	return out, nil
}
