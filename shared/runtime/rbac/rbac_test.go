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
		rule, denied := rs.Check(tc.method, tc.path, tc.roles)
		if denied != tc.denied {
			t.Errorf("Check(%s %s, %v) = %+v, %v; want denied=%v", tc.method, tc.path, tc.roles, rule, denied, tc.denied)
		}
	}
	rule, _ := rs.Check("GET", "/admin", nil)
	if got := rule.Message(); got != "Forbidden: requires role admin" {
		t.Errorf("Message = %q", got)
	}
	rule, _ = rs.Check("DELETE", "/items", nil)
	if got := rule.Message(); got != "Forbidden: requires role editor or admin" {
		t.Errorf("Message = %q", got)
	}
	star := rbac.Rule{Method: "*", Path: "/x", Roles: []string{"a"}}
	if !star.Matches("PATCH", "/x") || star.Matches("PATCH", "/y") {
		t.Errorf("* method rule matching wrong")
	}
}

func TestDenied(t *testing.T) {
	rs, err := rbac.Parse("GET /admin*=admin; DELETE /items=editor|admin")
	if err != nil {
		t.Fatal(err)
	}
	if d := rs.Denied([]string{"admin"}); len(d) != 0 {
		t.Errorf("admin denied %+v", d)
	}
	if d := rs.Denied([]string{"editor"}); len(d) != 1 || d[0].Path != "/admin*" {
		t.Errorf("editor denied %+v, want GET /admin*", d)
	}
	if d := rs.Denied(nil); len(d) != 2 {
		t.Errorf("no roles denied %+v, want both", d)
	}
}
