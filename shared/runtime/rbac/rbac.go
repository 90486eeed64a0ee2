package rbac

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
)

// ErrSyntax is a rule that cannot be read.
var ErrSyntax = errors.New("rbac: bad rule")

// AnyMethod is a Rule's Method when it applies to every method; rules
// written with "ANY" (API Gateway's and SAM's word) or "*" get it.
const AnyMethod = "*"

// methods are the methods a rule may name. A rule naming anything else
// (a typo, or a verb no route serves) would protect nothing, so it is
// refused at start instead.
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// Rule requires one of Roles for requests whose method is Method
// (AnyMethod for every method; GET also covers HEAD) and whose path is
// Path, or starts with Path's prefix when Path ends with "*".
type Rule struct {
	Method string
	Path   string
	Roles  []string
}

// Rules are checked in order; every matching rule must be satisfied.
type Rules []Rule

// Parse reads rules separated by ";", each "METHOD PATH=role1|role2".
// METHOD is an HTTP method, or ANY (or *) for every method.
func Parse(s string) (Rules, error) {
	var out Rules
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		route, roles, ok := strings.Cut(part, "=")
		fields := strings.Fields(route)
		if !ok || len(fields) != 2 || !strings.HasPrefix(fields[1], "/") || strings.TrimSpace(roles) == "" {
			return nil, fmt.Errorf("%w: %q (want \"METHOD /path*=role|role\")", ErrSyntax, part)
		}
		r := Rule{Method: strings.ToUpper(fields[0]), Path: fields[1]}
		switch {
		case r.Method == "ANY" || r.Method == AnyMethod:
			r.Method = AnyMethod
		case !slices.Contains(methods, r.Method):
			return nil, fmt.Errorf("%w: %q: method %q (want one of %s, or ANY)", ErrSyntax, part, fields[0], strings.Join(methods, ", "))
		}
		for _, role := range strings.Split(roles, "|") {
			if role = strings.TrimSpace(role); role != "" {
				r.Roles = append(r.Roles, role)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// Matches reports whether r applies to method and path. GET rules cover
// HEAD, which Go's ServeMux (and most frameworks) serve with the GET
// handler. The path matches as sent and in its canonical form
// (Canonical), so "/admin/", "//admin" and "/x/../admin" are "/admin".
func (r Rule) Matches(method, path string) bool {
	if !r.matchesMethod(method) {
		return false
	}
	return r.matchesPath(path) || r.matchesPath(Canonical(path))
}

func (r Rule) matchesMethod(method string) bool {
	method = strings.ToUpper(method)
	return r.Method == AnyMethod || r.Method == method || r.Method == "GET" && method == "HEAD"
}

func (r Rule) matchesPath(p string) bool {
	if prefix, ok := strings.CutSuffix(r.Path, "*"); ok {
		return strings.HasPrefix(p, prefix)
	}
	return p == r.Path
}

// Canonical is p as a router resolves it: percent-escapes decoded, runs of
// "/" collapsed, "." and ".." resolved, no trailing "/". A rule must hold
// for every spelling that reaches the same handler.
func Canonical(p string) string {
	if canonical(p) {
		return p // most paths: no allocation on every authorization
	}
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	return path.Clean("/" + p)
}

// canonical reports whether Canonical would return p unchanged.
func canonical(p string) bool {
	if p == "/" {
		return true
	}
	return strings.HasPrefix(p, "/") && !strings.HasSuffix(p, "/") &&
		!strings.Contains(p, "%") && !strings.Contains(p, "//") && !strings.Contains(p, "/.")
}

// Allows reports whether roles satisfy r.
func (r Rule) Allows(roles []string) bool {
	for _, want := range r.Roles {
		if slices.Contains(roles, want) {
			return true
		}
	}
	return false
}

// Check returns the first rule matching method and one of paths that
// roles do not satisfy, and false when the request is allowed. paths are
// the spellings of one request's route (the path as the API defines it,
// the path as sent, the resource); empty ones are skipped.
func (rs Rules) Check(method string, paths []string, roles []string) (Rule, bool) {
	for _, r := range rs {
		if r.Allows(roles) {
			continue
		}
		for _, p := range paths {
			if p != "" && r.Matches(method, p) {
				return r, true
			}
		}
	}
	return Rule{}, false
}

// Covers reports whether any rule applies to method on one of paths,
// whatever the roles.
func (rs Rules) Covers(method string, paths []string) bool {
	_, covered := rs.Check(method, paths, nil)
	return covered
}

// Message is the body's msg for a failed rule.
func (r Rule) Message() string {
	return fmt.Sprintf("Forbidden: requires role %s", strings.Join(r.Roles, " or "))
}
