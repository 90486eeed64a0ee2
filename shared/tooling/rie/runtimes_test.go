package rie_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

// runtimesPool prepares testdata/runtimes/template.yaml's functions.
func runtimesPool(t *testing.T) (*rie.Pool, rie.Prepared) {
	t.Helper()
	src, err := os.ReadFile("testdata/runtimes/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := samtemplate.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := rie.Prepare(ctx, tmpl, "testdata/runtimes", t.TempDir(), tmpl.FunctionIDs())
	if err != nil {
		t.Fatal(err)
	}
	pool, err := rie.NewPool(rie.Options{Emulator: emulator, Functions: p.Functions, Output: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pool.Close() })
	return pool, p
}

func invokeJSON(t *testing.T, pool *rie.Pool, fn string, event any) (map[string]any, error) {
	t.Helper()
	payload, _ := json.Marshal(event)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := pool.Invoke(ctx, fn, payload)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%s answered %q: %v", fn, out, err)
	}
	return m, nil
}

// TestPrepareNamesWhatCannotRun: the reasons a developer reads at start.
func TestPrepareNamesWhatCannotRun(t *testing.T) {
	_, p := runtimesPool(t)
	for id, want := range map[string]string{
		"PyMissing": "Handler nomodule.handler: no nomodule.py or nomodule/__init__.py in CodeUri",
		"JavaFn":    "runtime java21: jwtgate dev runs provided.* (make build-<LogicalId>), python3.x and nodejs*.x",
	} {
		err := p.Unrunnable[id]
		if !errors.Is(err, rie.ErrCannotRun) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrCannotRun saying %q", id, err, want)
		}
		if _, ok := p.Functions[id]; ok {
			t.Errorf("%s is both unrunnable and prepared", id)
		}
	}
	for _, id := range []string{"PyEcho", "HelloPyFunction", "NodeEcho"} {
		if _, ok := p.Functions[id]; !ok || p.Unrunnable[id] != nil {
			t.Errorf("%s not prepared: %v", id, p.Unrunnable[id])
		}
	}
}

// TestPythonContext: the handler gets the event unchanged and the context
// object Lambda's Python runtime builds, in Lambda's environment (no host
// variables), with the template's variables.
func TestPythonContext(t *testing.T) {
	pool, _ := runtimesPool(t)
	code, _ := filepath.Abs("testdata/runtimes/py")
	got, err := invokeJSON(t, pool, "PyEcho", map[string]any{"a": []any{1.0, "b"}})
	if err != nil {
		t.Fatal(err)
	}
	checkEcho(t, got, map[string]any{
		"event":                map[string]any{"a": []any{1.0, "b"}},
		"function_name":        "PyEcho",
		"function_version":     "$LATEST",
		"memory_limit_in_mb":   "256",
		"invoked_function_arn": "arn:aws:lambda:us-east-1:012345678912:function:PyEcho",
		"log_group_name":       "/aws/lambda/PyEcho",
		"handler":              "app.echo",
		"task_root":            code,
		"cwd":                  code,
		"template_var":         "globals",
		"home":                 nil,
	})
	if id, _ := got["aws_request_id"].(string); len(id) < 8 {
		t.Errorf("aws_request_id %v", got["aws_request_id"])
	}
	if ms, _ := got["remaining_ms"].(float64); ms <= 0 || ms > 5000 {
		t.Errorf("remaining_ms %v, want within the 5 s timeout", got["remaining_ms"])
	}
}

func checkEcho(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g, _ := json.Marshal(got[k])
		wb, _ := json.Marshal(w)
		if string(g) != string(wb) {
			t.Errorf("%s = %s, want %s", k, g, wb)
		}
	}
}

// TestInterpretedErrors: a raised exception reaches the gateway as the
// function error Lambda reports (type and message), as does a result
// that is not JSON.
func TestInterpretedErrors(t *testing.T) {
	pool, _ := runtimesPool(t)
	for fn, want := range map[string]gateway.FunctionError{
		"PyFail":    {Message: "boom", Type: "ValueError"},
		"PyMarshal": {Type: "Runtime.MarshalError"},
		"NodeFail":  {Message: "boom", Type: "TypeError"},
	} {
		_, err := invokeJSON(t, pool, fn, map[string]any{})
		var fe *gateway.FunctionError
		if !errors.As(err, &fe) || fe.Type != want.Type || (want.Message != "" && fe.Message != want.Message) {
			t.Errorf("%s: %v, want function error %+v", fn, err, want)
		}
		// The instance survives a function error, as on Lambda.
		if _, err := invokeJSON(t, pool, fn, map[string]any{}); !errors.As(err, &fe) {
			t.Errorf("%s second invoke: %v", fn, err)
		}
	}
}

// TestNodeContext: the Node.js loop, async and callback handlers.
func TestNodeContext(t *testing.T) {
	pool, _ := runtimesPool(t)
	got, err := invokeJSON(t, pool, "NodeEcho", map[string]any{"x": "y"})
	if err != nil {
		t.Fatal(err)
	}
	checkEcho(t, got, map[string]any{
		"event": map[string]any{"x": "y"}, "functionName": "NodeEcho", "memoryLimitInMB": "256",
		"handler": "index.echo", "templateVar": "globals",
	})
	got, err = invokeJSON(t, pool, "NodeCallback", nil)
	if err != nil || got["called"] != "back" {
		t.Errorf("NodeCallback = %v, %v", got, err)
	}
}

// TestPythonExampleShapes: examples/hellopy reads the authorizer context of
// a REST event (events/protected.json) and of an HTTP API payload 2.0
// event (events/v2/protected.json) alike, and fails closed without one.
func TestPythonExampleShapes(t *testing.T) {
	pool, _ := runtimesPool(t)
	want := `{"hello":"testuser","roles":["user"],"fresh":false,"function":"HelloPyFunction"}`
	for _, file := range []string{"protected.json", "v2/protected.json"} {
		t.Run(file, func(t *testing.T) {
			var ev map[string]any
			if err := json.Unmarshal(readEvent(t, file), &ev); err != nil {
				t.Fatal(err)
			}
			got, err := invokeJSON(t, pool, "HelloPyFunction", ev)
			if err != nil {
				t.Fatal(err)
			}
			if got["statusCode"] != 200.0 || got["body"] != want {
				t.Errorf("%s: %v, want 200 %s", file, got, want)
			}
		})
	}
	t.Run("no authorizer context", func(t *testing.T) {
		got, err := invokeJSON(t, pool, "HelloPyFunction", map[string]any{"requestContext": map[string]any{}})
		if err != nil {
			t.Fatal(err)
		}
		if got["statusCode"] != 401.0 || got["body"] != `{"msg":"Missing cookie \"access_token_cookie\""}` {
			t.Errorf("%v, want 401", got)
		}
	})
	t.Run("role rule failed", func(t *testing.T) {
		ev := map[string]any{"requestContext": map[string]any{"authorizer": map[string]any{
			"sub": "testuser", "roles": "user", "forbidden": "Forbidden: requires role admin"}}}
		got, err := invokeJSON(t, pool, "HelloPyFunction", ev)
		if err != nil {
			t.Fatal(err)
		}
		if got["statusCode"] != 403.0 || got["body"] != `{"msg":"Forbidden: requires role admin"}` {
			t.Errorf("%v, want 403", got)
		}
	})
}
