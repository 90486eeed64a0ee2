package rbac

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrSyntax is a rule that cannot be read.
var ErrSyntax = errors.New("rbac: bad rule")

// Rule requires one of Roles for requests whose method is Method ("*" for
// any) and whose path is Path, or starts with Path's prefix when Path ends
// with "*".
type Rule struct {
	Method string
	Path   string
	Roles  []string
}

// Rules are checked in order; every matching rule must be satisfied.
type Rules []Rule

// Parse reads rules separated by ";", each "METHOD PATH=role1|role2".
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
		for _, role := range strings.Split(roles, "|") {
			if role = strings.TrimSpace(role); role != "" {
				r.Roles = append(r.Roles, role)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// Matches reports whether r applies to method and path.
func (r Rule) Matches(method, path string) bool {
	if r.Method != "*" && !strings.EqualFold(r.Method, method) {
		return false
	}
	if prefix, ok := strings.CutSuffix(r.Path, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return path == r.Path
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

// Check returns the first rule matching method and path that roles do not
// satisfy, and false when the request is allowed.
func (rs Rules) Check(method, path string, roles []string) (Rule, bool) {
	for _, r := range rs {
		if r.Matches(method, path) && !r.Allows(roles) {
			return r, true
		}
	}
	return Rule{}, false
}

// Denied returns every rule that roles fail, whatever the route; a cached
// authorizer policy turns them into explicit Deny statements.
func (rs Rules) Denied(roles []string) Rules {
	var out Rules
	for _, r := range rs {
		if !r.Allows(roles) {
			out = append(out, r)
		}
	}
	return out
}

// Message is the 403 body's msg for a failed rule.
func (r Rule) Message() string {
	return fmt.Sprintf("Forbidden: requires role %s", strings.Join(r.Roles, " or "))
}
