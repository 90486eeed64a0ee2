package fidelity_test

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jwtgate/jwtgate/shared/testkit/provision"
)

//go:embed testdata/differences.json
var differencesJSON []byte

// listed is testdata/differences.json: the machine-readable twin of
// README's "Where jwtgate differs from flask-jwt-extended" table. Each
// entry is one row (its id is the row's first cell) and says which
// observed differences the row accounts for.
type listed struct {
	Differences []entry `json:"differences"`
}

// entry is one row of the table.
type entry struct {
	ID string `json:"id"`
	// Pending names the helper whose branch removes or settles the
	// difference; a pending entry may go unobserved.
	Pending string    `json:"pending,omitempty"`
	Match   []matcher `json:"match"`
}

// matcher accepts a difference whose case path ("config/case#step"),
// field and two values match its globs ("*" is any run of characters;
// an empty glob is "*").
type matcher struct {
	Where   string `json:"where"`
	Field   string `json:"field"`
	Flask   string `json:"flask"`
	JWTGate string `json:"jwtgate"`
	re      [4]*regexp.Regexp
}

func (m *matcher) compile() error {
	for i, g := range []string{m.Where, m.Field, m.Flask, m.JWTGate} {
		if g == "" {
			g = "*"
		}
		parts := strings.Split(g, "*")
		for j, p := range parts {
			parts[j] = regexp.QuoteMeta(p)
		}
		re, err := regexp.Compile("^" + strings.Join(parts, ".*") + "$")
		if err != nil {
			return err
		}
		m.re[i] = re
	}
	return nil
}

func (m *matcher) matches(where string, d difference) bool {
	for i, s := range []string{where, d.Field, d.Flask, d.JWTGate} {
		if !m.re[i].MatchString(s) {
			return false
		}
	}
	return true
}

// registry matches observed differences against the listed ones and
// counts which entries were seen.
type registry struct {
	entries []entry
	mu      sync.Mutex
	hits    map[string]int
}

func loadRegistry() (*registry, error) {
	var l listed
	if err := json.Unmarshal(differencesJSON, &l); err != nil {
		return nil, fmt.Errorf("testdata/differences.json: %w", err)
	}
	seen := map[string]bool{}
	for i := range l.Differences {
		e := &l.Differences[i]
		if seen[e.ID] {
			return nil, fmt.Errorf("testdata/differences.json: duplicate id %q", e.ID)
		}
		seen[e.ID] = true
		for j := range e.Match {
			if err := e.Match[j].compile(); err != nil {
				return nil, fmt.Errorf("testdata/differences.json %s: %w", e.ID, err)
			}
		}
	}
	return &registry{entries: l.Differences, hits: map[string]int{}}, nil
}

// explain returns the id of the entry that lists d, or "".
func (r *registry) explain(where string, d difference) string {
	for i := range r.entries {
		e := &r.entries[i]
		for j := range e.Match {
			if e.Match[j].matches(where, d) {
				r.mu.Lock()
				r.hits[e.ID]++
				r.mu.Unlock()
				return e.ID
			}
		}
	}
	return ""
}

// stale lists the entries no case observed that are not pending.
func (r *registry) stale() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.entries {
		if r.hits[e.ID] == 0 && e.Pending == "" {
			out = append(out, e.ID)
		}
	}
	return out
}

// readmeRows returns the ids (first cells, in backticks) of the rows of
// README's "Where jwtgate differs from flask-jwt-extended" table.
func readmeRows(readme string) ([]string, error) {
	_, section, ok := strings.Cut(readme, "\n## Where jwtgate differs from flask-jwt-extended\n")
	if !ok {
		return nil, fmt.Errorf("README.md has no %q section", "Where jwtgate differs from flask-jwt-extended")
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|")
	var ids []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		ids = append(ids, m[1])
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("README.md: the differences section has no table rows")
	}
	return ids, nil
}

// TestDifferencesMatchREADME keeps the twin in sync: every entry of
// testdata/differences.json is a row of README's table and every row is an
// entry, so a difference the harness accepts is one a reader can find.
func TestDifferencesMatchREADME(t *testing.T) {
	reg, err := loadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	root, err := provision.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readmeRows(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	inREADME := map[string]bool{}
	for _, id := range rows {
		if inREADME[id] {
			t.Errorf("README.md: row %q appears twice", id)
		}
		inREADME[id] = true
	}
	inJSON := map[string]bool{}
	for _, e := range reg.entries {
		inJSON[e.ID] = true
		if !inREADME[e.ID] {
			t.Errorf("testdata/differences.json lists %q, which README's differences table does not", e.ID)
		}
		if len(e.Match) == 0 {
			t.Errorf("testdata/differences.json %q matches nothing", e.ID)
		}
	}
	var missing []string
	for id := range inREADME {
		if !inJSON[id] {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	for _, id := range missing {
		t.Errorf("README's differences table has row %q, which testdata/differences.json does not list", id)
	}
}

// TestMatcherGlobs pins the matching rules of differences.json: "*" is any
// run of characters (slashes included), an empty glob matches anything,
// everything else is literal.
func TestMatcherGlobs(t *testing.T) {
	d := difference{Field: "cookie csrf_access_token samesite", Flask: "<absent>", JWTGate: "Lax"}
	tests := []struct {
		m    matcher
		want bool
	}{
		{matcher{}, true},
		{matcher{Field: "cookie * samesite", Flask: "<absent>", JWTGate: "Lax"}, true},
		{matcher{Where: "cookies/*", Field: "cookie * samesite"}, true},
		{matcher{Where: "headers/*"}, false},
		{matcher{Field: "cookie * samesite", JWTGate: "lax"}, false}, // case counts
		{matcher{Field: "cookie *", Flask: "<absent"}, false},        // whole value
		{matcher{Where: "*#1"}, true},
		{matcher{Where: "cookies/issued.*"}, false}, // "." is literal
	}
	for i, tc := range tests {
		if err := tc.m.compile(); err != nil {
			t.Fatal(err)
		}
		if got := tc.m.matches("cookies/issued-logout#1", d); got != tc.want {
			t.Errorf("case %d %+v: matches = %v, want %v", i, tc.m, got, tc.want)
		}
	}
}
