package rbac_test

import (
	"errors"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/rbac"
)

func TestParse(t *testing.T) {
	rs, err := rbac.Parse(" get /admin*=admin ; * /reports=auditor| admin ;;")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("rules = %+v, want 2", rs)
	}
	if rs[0].Method != "GET" || rs[0].Path != "/admin*" || len(rs[0].Roles) != 1 || rs[0].Roles[0] != "admin" {
		t.Errorf("rule 0 = %+v", rs[0])
	}
	if rs[1].Method != "*" || rs[1].Path != "/reports" || len(rs[1].Roles) != 2 || rs[1].Roles[1] != "admin" {
		t.Errorf("rule 1 = %+v", rs[1])
	}
	if rs, err := rbac.Parse(""); err != nil || len(rs) != 0 {
		t.Errorf("Parse(\"\") = %+v, %v; want no rules", rs, err)
	}
	for _, bad := range []string{
		"garbage",
		"GET /admin*",              // no roles
		"GET /admin*=",             // empty roles
		"GET admin*=admin",         // path without /
		"/admin*=admin",            // no method
		"GET /a b=admin",           // three fields
		"GET /admin=admin; broken", // one bad rule spoils the set
		"GETT /admin*=admin",       // a typo would protect nothing
		"FETCH /admin*=admin",      // no route serves it
	} {
		if rs, err := rbac.Parse(bad); !errors.Is(err, rbac.ErrSyntax) {
			t.Errorf("Parse(%q) = %+v, %v; want ErrSyntax", bad, rs, err)
		}
	}
}

func TestCheck(t *testing.T) {
	rs, err := rbac.Parse("GET /admin*=admin; DELETE /items=editor|admin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, path string
		roles        []string
		denied       bool
	}{
		{"GET", "/admin", []string{"user"}, true},
		{"get", "/admin/users", []string{"user"}, true},
		{"GET", "/administrator", nil, true}, // prefix match, as the rule says
		{"GET", "/admin", []string{"user", "admin"}, false},
		{"POST", "/admin", []string{"user"}, false}, // rule is GET only
		{"GET", "/protected", []string{"user"}, false},
		{"DELETE", "/items", []string{"editor"}, false},
		{"DELETE", "/items", []string{"user"}, true},
		{"DELETE", "/items/1", []string{"user"}, false}, // exact path without *
		{"GET", "/Admin", []string{"user"}, false},      // paths are case-sensitive
	}
	for _, tc := range tests {
		rule, denied := rs.Check(tc.method, []string{tc.path}, tc.roles)
		if denied != tc.denied {
			t.Errorf("Check(%s %s, %v) = %+v, %v; want denied=%v", tc.method, tc.path, tc.roles, rule, denied, tc.denied)
		}
	}
	rule, _ := rs.Check("GET", []string{"/admin"}, nil)
	if got := rule.Message(); got != "Forbidden: requires role admin" {
		t.Errorf("Message = %q", got)
	}
	rule, _ = rs.Check("DELETE", []string{"/items"}, nil)
	if got := rule.Message(); got != "Forbidden: requires role editor or admin" {
		t.Errorf("Message = %q", got)
	}
	star := rbac.Rule{Method: "*", Path: "/x", Roles: []string{"a"}}
	if !star.Matches("PATCH", "/x") || star.Matches("PATCH", "/y") {
		t.Errorf("* method rule matching wrong")
	}
}

// TestMethods: GET rules cover HEAD (Go's ServeMux answers HEAD with the
// GET handler), and ANY or * cover every method; before, HEAD slipped past
// GET rules and an ANY rule was accepted and matched no request.
func TestMethods(t *testing.T) {
	for _, tc := range []struct {
		rules, method string
		denied        bool
	}{
		{"GET /admin*=admin", "HEAD", true},
		{"GET /admin*=admin", "head", true},
		{"GET /admin*=admin", "OPTIONS", false},
		{"HEAD /admin*=admin", "GET", false}, // HEAD does not cover GET
		{"ANY /admin*=admin", "GET", true},
		{"any /admin*=admin", "DELETE", true},
		{"ANY /admin*=admin", "OPTIONS", true},
		{"* /admin*=admin", "PATCH", true},
		{"POST /admin*=admin", "GET", false},
	} {
		rs, err := rbac.Parse(tc.rules)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.rules, err)
		}
		if _, denied := rs.Check(tc.method, []string{"/admin"}, []string{"user"}); denied != tc.denied {
			t.Errorf("%q on %s /admin: denied = %v, want %v", tc.rules, tc.method, denied, tc.denied)
		}
	}
	rs, _ := rbac.Parse("ANY /x=a")
	if rs[0].Method != rbac.AnyMethod {
		t.Errorf("ANY parsed as method %q, want %q", rs[0].Method, rbac.AnyMethod)
	}
}

// TestSpellings: a rule holds for every spelling of a path that a router
// resolves to the same route; before, "/admin/" and "//admin" escaped an
// exact rule and "//admin" a prefix rule.
func TestSpellings(t *testing.T) {
	rs, err := rbac.Parse("GET /admin=admin; GET /reports*=auditor")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"/admin", "/admin/", "//admin", "///admin//", "/./admin", "/x/../admin", "/%61dmin", "/admin%2F",
		"/reports", "//reports/2026", "/reports//q1", "/%72eports",
	} {
		if _, denied := rs.Check("GET", []string{p}, []string{"user"}); !denied {
			t.Errorf("GET %s passed the rules, want it denied", p)
		}
	}
	for _, p := range []string{"/admin/x", "/adminx", "/Admin", "/protected", "/x/admin"} {
		if rule, denied := rs.Check("GET", []string{p}, []string{"user"}); denied {
			t.Errorf("GET %s denied by %+v, want allowed (another route)", p, rule)
		}
	}
	// Every spelling given is checked: the API's path, the path as sent, the resource.
	if _, denied := rs.Check("GET", []string{"/v1/admin", "", "/admin"}, nil); !denied {
		t.Errorf("a later spelling matching a rule was not checked")
	}
	for p, want := range map[string]string{"": "/", "/": "/", "//a//b/": "/a/b", "/a/./b/../c": "/a/c", "/%7Euser": "/~user", "/bad%zz": "/bad%zz"} {
		if got := rbac.Canonical(p); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", p, got, want)
		}
	}
}

func TestCovers(t *testing.T) {
	rs, _ := rbac.Parse("ANY /admin*=admin; GET /reports=auditor")
	if !rs.Covers("OPTIONS", []string{"/admin/x"}) || rs.Covers("OPTIONS", []string{"/reports"}) || rs.Covers("GET", []string{"/protected"}) {
		t.Errorf("Covers wrong")
	}
}
