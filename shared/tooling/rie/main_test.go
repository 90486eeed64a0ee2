package rie_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	jwtgate "github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/testkit/provision"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
)

// Everything the emulator tests share: one DynamoDB Local, one build of
// every function (plus the hello-world baseline), the emulator binary.
var (
	db         *dynamolocal.Server
	root       string
	emulator   string
	bootstraps map[string]string
)

// functionIDs are the template's functions, built once for all tests.
var functionIDs = []string{handlers.LoginFunction, handlers.RefreshFunction, handlers.LogoutFunction,
	handlers.PasswordFunction, handlers.ProtectedFunction, handlers.AuthorizerFunction, handlers.JwksFunction}

// testSecret is a Lambda-grade (32+ bytes) key shared by every invoker of a test.
const testSecret = "rie-test-secret-0123456789abcdef0123456789"

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "FAIL:", err); return 1 }
	var err error
	if root, err = rie.RepoRoot("."); err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	// The emulator, installed as `make test` would when it is missing.
	find := func() (err error) { emulator, err = rie.Find(root); return err }
	if err := provision.Ensure(ctx, root, provision.Tool{Target: "tools-rie", Check: find}); err != nil {
		return fail(err)
	}
	dir, err := os.MkdirTemp("", "rie-test-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	if bootstraps, err = rie.BuildAll(ctx, root, dir, append(functionIDs, rie.HelloFunction, rie.SDKFloorFunction)...); err != nil {
		return fail(err)
	}
	fmt.Fprintf(os.Stderr, "built %d functions in %s\n", len(bootstraps), time.Since(start).Round(time.Millisecond))
	if db, err = dynamolocal.Launch(ctx); err != nil {
		return fail(err)
	}
	defer db.Close()
	return m.Run()
}

// tables creates fresh tables seeded with the demo users.
func tables(t *testing.T) (revocationTable, usersTable string, stores *handlers.Stores) {
	t.Helper()
	client := db.Client(t)
	revocationTable, usersTable = db.CreateTables(t, client)
	us := dynamostore.NewUsers(client, usersTable)
	if err := devserver.Seed(context.Background(), us); err != nil {
		t.Fatalf("seed: %v", err)
	}
	// The production wiring, as the functions under the emulator have it.
	st := handlers.DynamoStores(client, config.Config{RevocationTable: revocationTable, UsersTable: usersTable,
		StoreTimeout: config.DefaultStoreTimeout}, nil)
	return revocationTable, usersTable, &st
}

// newPool runs the template's functions with env on top of LocalEnv.
func newPool(t *testing.T, revocationTable, usersTable string, env map[string]string) *rie.Pool {
	t.Helper()
	fns, err := rie.FromTemplate([]byte(jwtgate.Template), bootstraps)
	if err != nil {
		t.Fatal(err)
	}
	over := rie.LocalEnv(db.URL, revocationTable, usersTable, testSecret)
	for k, v := range env {
		over[k] = v
	}
	p, err := rie.NewPool(rie.Options{Emulator: emulator, Functions: fns, Env: over, Output: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// testWriter sends the emulators' output to the test log (shown on failure or -v).
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// readEvent loads an event file of the repository's events/ directory.
func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sessionCookies are the values a login gives, by placeholder.
func sessionCookies(t *testing.T, setCookies []string) map[string]string {
	t.Helper()
	byName := map[string]string{}
	for _, sc := range setCookies {
		c, err := http.ParseSetCookie(sc)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", sc, err)
		}
		byName[c.Name] = c.Value
	}
	out := map[string]string{
		"{{ACCESS_TOKEN}}":       byName["access_token_cookie"],
		"{{REFRESH_TOKEN}}":      byName["refresh_token_cookie"],
		"{{CSRF_ACCESS_TOKEN}}":  byName["csrf_access_token"],
		"{{CSRF_REFRESH_TOKEN}}": byName["csrf_refresh_token"],
	}
	for k, v := range out {
		if v == "" {
			t.Fatalf("login set no cookie for %s: %q", k, setCookies)
		}
	}
	return out
}

func fill(ev []byte, values map[string]string) []byte {
	s := string(ev)
	for k, v := range values {
		s = strings.ReplaceAll(s, k, v)
	}
	return []byte(s)
}

// v1SetCookies lists a REST proxy response's cookies.
func v1SetCookies(r events.APIGatewayProxyResponse) []string {
	for k, v := range r.MultiValueHeaders {
		if strings.EqualFold(k, "Set-Cookie") {
			return v
		}
	}
	if v, ok := r.Headers["Set-Cookie"]; ok {
		return []string{v}
	}
	return nil
}
