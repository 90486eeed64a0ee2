package jwtgate_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is the import path prefix of this repository's packages.
const module = "github.com/jwtgate/jwtgate/"

// The folders of shared/ and who may use them. A Lambda function links only
// shared/runtime; the other three must stay out of every bootstrap.
const (
	runtimeDir = "shared/runtime"
	toolingDir = "shared/tooling"
	testkitDir = "shared/testkit"
	suitesDir  = "shared/suites"
)

// buildEnvs are the configurations a function's dependencies are listed
// under: the host's (what `go test` and `go vet` see) and the Makefile's
// GO_BUILD (what `sam build` ships). Build tags and GOOS can change the
// closure, so both are checked.
var buildEnvs = []struct {
	name string
	env  []string
	args []string
}{
	{name: "host"},
	{name: "lambda", env: []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64"}, args: []string{"-tags", "lambda.norpc"}},
}

// TestFunctionDependencies fails when a Lambda function's dependency
// closure reaches a package that must never ship in a bootstrap: tooling,
// a test kit, a test suite, or the standard testing packages. Of this
// module's packages, a function may link only its own main package and
// shared/runtime/*.
func TestFunctionDependencies(t *testing.T) {
	fns := functionPackages(t)
	for _, be := range buildEnvs {
		t.Run(be.name, func(t *testing.T) {
			deps := listDeps(t, be.env, be.args, fns)
			for _, fn := range fns {
				if _, ok := deps[fn]; !ok {
					t.Fatalf("go list printed nothing for %s", fn)
				}
				for _, dep := range deps[fn] {
					if why := forbiddenDep(fn, dep); why != "" {
						t.Errorf("%s links %s: %s", strings.TrimPrefix(fn, module), dep, why)
					}
				}
			}
		})
	}
}

// forbiddenDep says why function package fn must not depend on dep, or ""
// when it may.
func forbiddenDep(fn, dep string) string {
	switch {
	case dep == "testing" || strings.HasPrefix(dep, "testing/"):
		return "the standard testing packages belong in tests"
	case dep == strings.TrimSuffix(module, "/"):
		return "the root package embeds the templates for tooling and tests"
	case !strings.HasPrefix(dep, module):
		return "" // the standard library and third-party modules
	}
	rel := strings.TrimPrefix(dep, module)
	for _, dir := range []string{toolingDir, testkitDir, suitesDir} {
		if rel == dir || strings.HasPrefix(rel, dir+"/") {
			return dir + " is never linked into a function"
		}
	}
	if dep == fn || strings.HasPrefix(rel, runtimeDir+"/") {
		return ""
	}
	return "a function links only " + runtimeDir + "/* of this module"
}

// functionPackages lists the import paths of the Lambda functions: jwtgate's
// own under functions/ and the Go example of a user's function under
// examples/ (a bootstrap too), one per directory holding a main.go.
func functionPackages(t *testing.T) []string {
	t.Helper()
	var mains []string
	for _, dir := range []string{"functions", "examples"} {
		m, err := filepath.Glob(filepath.Join(dir, "*", "main.go"))
		if err != nil {
			t.Fatal(err)
		}
		mains = append(mains, m...)
	}
	if !slices.ContainsFunc(mains, func(m string) bool { return strings.HasPrefix(m, "functions"+string(filepath.Separator)) }) {
		t.Fatal("no functions/*/main.go")
	}
	var pkgs []string
	for _, m := range mains {
		pkgs = append(pkgs, module+filepath.ToSlash(filepath.Dir(m)))
	}
	return pkgs
}

// listDeps runs `go list -deps` once for every package in pkgs and returns
// each package's transitive dependencies (import paths).
func listDeps(t *testing.T, env, args, pkgs []string) map[string][]string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	cmdArgs := append([]string{"list"}, args...)
	cmdArgs = append(cmdArgs, "-f", `{{.ImportPath}} {{join .Deps " "}}`)
	cmdArgs = append(cmdArgs, pkgs...)
	cmd := exec.Command(goBin, cmdArgs...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(cmdArgs, " "), err, stderr.String())
	}
	deps := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) > 0 {
			deps[fields[0]] = fields[1:]
		}
	}
	return deps
}

// TestAudienceImports holds every package of the module, not only the
// functions' closures, to what its folder promises: a runtime package
// imports no tooling, test kit or suite (nor testing) even when no
// function links it yet; test kits are imported only by tests and other
// test kits; nothing imports a suite. Test files are free to import
// anything: .Imports lists the non-test imports only.
func TestAudienceImports(t *testing.T) {
	imports := listImports(t)
	if len(imports) == 0 {
		t.Fatal("go list printed no packages")
	}
	for pkg, deps := range imports {
		for _, dep := range deps {
			if why := forbiddenImport(pkg, dep); why != "" {
				t.Errorf("%s imports %s: %s", strings.TrimPrefix(pkg, module), dep, why)
			}
		}
	}
}

// folderOf returns which of shared/'s folders the import path p lies in,
// or "".
func folderOf(p string) string {
	rel := strings.TrimPrefix(p, module)
	for _, dir := range []string{runtimeDir, toolingDir, testkitDir, suitesDir} {
		if strings.HasPrefix(rel, dir+"/") {
			return dir
		}
	}
	return ""
}

// forbiddenImport says why package pkg must not import dep in its non-test
// files, or "" when it may.
func forbiddenImport(pkg, dep string) string {
	from, to := folderOf(pkg), folderOf(dep)
	switch {
	case from == runtimeDir && (dep == "testing" || strings.HasPrefix(dep, "testing/")):
		return "runtime code is linked into functions; testing belongs in tests"
	case from == runtimeDir && to != "" && to != runtimeDir:
		return "runtime code is linked into functions and may import only " + runtimeDir
	case to == testkitDir && from != testkitDir:
		return testkitDir + " is imported only by tests (and other test kits)"
	case to == suitesDir:
		return suitesDir + " holds tests only; nothing imports it"
	}
	return ""
}

// listImports returns every package of the module with its non-test
// imports.
func listImports(t *testing.T) map[string][]string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go command not found: %v", err)
	}
	cmd := exec.Command(goBin, "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./...: %v\n%s", err, stderr.String())
	}
	imports := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		if fields := strings.Fields(line); len(fields) > 0 {
			imports[fields[0]] = fields[1:]
		}
	}
	return imports
}

// TestForbiddenImport runs forbiddenImport on the cases
// TestAudienceImports relies on.
func TestForbiddenImport(t *testing.T) {
	tests := []struct {
		pkg, dep string
		want     bool // forbidden
	}{
		{module + "shared/runtime/session", module + "shared/runtime/tokens", false},
		{module + "shared/runtime/session", "net/http", false},
		{module + "shared/runtime/session", "testing", true},
		{module + "shared/runtime/session", module + "shared/tooling/gateway", true},
		{module + "shared/runtime/session", module + "shared/testkit/fakeclock", true},
		{module + "shared/tooling/devserver", module + "shared/runtime/handlers", false},
		{module + "shared/tooling/devserver", module + "shared/testkit/dynamolocal", true},
		{module + "cmd/jwtgate", module + "shared/testkit/fakeclock", true},
		{module + "shared/testkit/dynamolocal", module + "shared/testkit/provision", false},
		{module + "shared/testkit/dynamolocal", "testing", false},
		{module + "shared/tooling/rie", module + "shared/suites/resilience", true},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.pkg, module)+"->"+tt.dep, func(t *testing.T) {
			if got := forbiddenImport(tt.pkg, tt.dep); (got != "") != tt.want {
				t.Errorf("forbiddenImport(%q, %q) = %q, want forbidden %v", tt.pkg, tt.dep, got, tt.want)
			}
		})
	}
}

// TestForbiddenDep runs forbiddenDep on the cases TestFunctionDependencies
// relies on, so a rule that stopped catching anything would fail here.
func TestForbiddenDep(t *testing.T) {
	const fn = module + "functions/login"
	tests := []struct {
		dep  string
		want bool // forbidden
	}{
		{"net/http", false},
		{"github.com/golang-jwt/jwt/v5", false},
		{fn, false},
		{module + "shared/runtime/tokens", false},
		{module + "shared/runtime/users/username", false},
		{"testing", true},
		{"testing/iotest", true},
		{module + "shared/tooling/gateway", true},
		{module + "shared/testkit/fakeclock", true},
		{module + "shared/suites/resilience", true},
		{module + "functions/logout", true},
		{module + "cmd/jwtgate", true},
		{"github.com/jwtgate/jwtgate", true},
	}
	for _, tt := range tests {
		t.Run(tt.dep, func(t *testing.T) {
			got := forbiddenDep(fn, tt.dep)
			if (got != "") != tt.want {
				t.Errorf("forbiddenDep(%q) = %q, want forbidden %v", tt.dep, got, tt.want)
			}
		})
	}
}

// TestReadmeLayout checks README.md's "## Layout" section against the
// tree: every package directory under shared/ has its own line (path first,
// then what it provides), every shared/ path the section names exists, and
// every folder of shared/ is introduced.
func TestReadmeLayout(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := layoutSection(readme)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, folders, err := sharedTree("shared")
	if err != nil {
		t.Fatal(err)
	}
	problems := checkLayout(lines, pkgs, folders)
	for _, p := range problems {
		t.Error(p)
	}
}

// TestCheckLayout shows checkLayout catches each kind of drift on a small
// tree, so TestReadmeLayout passing means something.
func TestCheckLayout(t *testing.T) {
	pkgs := []string{"shared/runtime/tokens", "shared/runtime/users/username", "shared/tooling/rie"}
	folders := []string{"shared/runtime", "shared/tooling"}
	const (
		fnLine       = "functions/<name>/main.go   entry points"
		runtimeLine  = "shared/runtime/            linked into functions"
		tokensLine   = "shared/runtime/tokens      JWTs"
		usernameLine = "shared/runtime/users/username  PRECIS"
		toolingLine  = "shared/tooling/            never linked"
		rieLine      = "shared/tooling/rie         the emulator"
	)
	tests := []struct {
		name  string
		lines []string
		want  []string // one substring per problem, in order
	}{
		{"matches", []string{fnLine, runtimeLine, tokensLine, usernameLine, toolingLine, rieLine}, nil},
		{"package not listed", []string{runtimeLine, tokensLine, usernameLine, toolingLine},
			[]string{"shared/tooling/rie is not listed"}},
		{"package that does not exist", []string{runtimeLine, tokensLine, usernameLine, toolingLine, rieLine, "shared/runtime/cookies  cookies"},
			[]string{"shared/runtime/cookies, which is not a package"}},
		{"package under the wrong folder", []string{runtimeLine, usernameLine, toolingLine, rieLine, "shared/tooling/tokens  JWTs"},
			[]string{"shared/tooling/tokens, which is not a package", "shared/runtime/tokens is not listed"}},
		{"no description", []string{runtimeLine, "shared/runtime/tokens", usernameLine, toolingLine, rieLine},
			[]string{"shared/runtime/tokens with no description"}},
		{"listed twice", []string{runtimeLine, tokensLine, tokensLine, usernameLine, toolingLine, rieLine},
			[]string{"shared/runtime/tokens twice"}},
		{"folder not introduced", []string{tokensLine, usernameLine, toolingLine, rieLine},
			[]string{"shared/runtime/ is not introduced"}},
		{"folder that does not exist", []string{runtimeLine, tokensLine, usernameLine, toolingLine, rieLine, "shared/kits/  kits"},
			[]string{"shared/kits/, which is not a folder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkLayout(tt.lines, pkgs, folders)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems %q, want %d like %q", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to mention %q", i, got[i], w)
				}
			}
		})
	}
}

// errNoLayout means README.md has no "## Layout" section.
var errNoLayout = errors.New(`README.md has no "## Layout" section`)

// layoutSection returns the lines of README's "## Layout" section, up to
// the next heading of the same or a higher level.
func layoutSection(readme []byte) ([]string, error) {
	var lines []string
	in := false
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "## Layout":
			in = true
		case in && (strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "# ")):
			return lines, nil
		case in:
			lines = append(lines, line)
		}
	}
	if !in {
		return nil, errNoLayout
	}
	return lines, sc.Err()
}

// sharedTree lists the package directories under root (any directory with
// a .go file, testdata and hidden folders excepted) and root's direct
// sub-folders, as slash paths.
func sharedTree(root string) (pkgs, folders []string, err error) {
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if filepath.Dir(path) == root {
				folders = append(folders, filepath.ToSlash(path))
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") {
			dir := filepath.ToSlash(filepath.Dir(path))
			if !slices.Contains(pkgs, dir) {
				pkgs = append(pkgs, dir)
			}
		}
		return nil
	})
	return pkgs, folders, err
}

// checkLayout compares a Layout section's lines with the tree. A line
// whose first field starts with "shared/" names a folder (ending in "/";
// "shared/" itself may head the list) or a package; its description is the rest of the line. It returns one
// sentence per problem, in line order, then the folders not introduced and
// the packages not listed.
func checkLayout(lines, pkgs, folders []string) []string {
	var problems []string
	listed := map[string]bool{}
	introduced := map[string]bool{}
	for _, line := range lines {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], "shared/") {
			continue
		}
		path := fields[0]
		if folder, ok := strings.CutSuffix(path, "/"); ok {
			if folder != "shared" && !slices.Contains(folders, folder) {
				problems = append(problems, fmt.Sprintf("Layout introduces %s, which is not a folder of shared/", path))
			}
			introduced[folder] = true
			continue
		}
		switch {
		case !slices.Contains(pkgs, path):
			problems = append(problems, fmt.Sprintf("Layout lists %s, which is not a package directory", path))
		case listed[path]:
			problems = append(problems, fmt.Sprintf("Layout lists %s twice", path))
		case len(fields) == 1:
			problems = append(problems, fmt.Sprintf("Layout lists %s with no description", path))
		}
		listed[path] = true
	}
	for _, f := range folders {
		if !introduced[f] {
			problems = append(problems, fmt.Sprintf("Layout: %s/ is not introduced (a line starting with %q that says who uses it)", f, f+"/"))
		}
	}
	for _, p := range pkgs {
		if !listed[p] {
			problems = append(problems, fmt.Sprintf("Layout: %s is not listed (a line starting with its path, then what it provides)", p))
		}
	}
	return problems
}
