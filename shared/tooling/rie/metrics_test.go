package rie_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
	"github.com/jwtgate/jwtgate/shared/testkit/emf"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
)

// functionLog keeps each function's log lines as the emulator printed
// them ("[LogicalId] line").
type functionLog struct {
	mu    sync.Mutex
	lines map[string]*bytes.Buffer
}

func (l *functionLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		fn, rest, ok := strings.Cut(strings.TrimPrefix(line, "["), "] ")
		if !ok {
			continue
		}
		if l.lines[fn] == nil {
			l.lines[fn] = &bytes.Buffer{}
		}
		l.lines[fn].WriteString(rest + "\n")
	}
	return len(b), nil
}

// TestMetricsUnderEmulator runs the login and authorizer bootstraps as
// Lambda runs them and reads their logs: each decision writes a valid EMF
// line with the metric it promises, the Stack dimension from
// JWTGATE_STACK_NAME, and StoreLatency for the DynamoDB calls.
func TestMetricsUnderEmulator(t *testing.T) {
	rev, us, _ := tables(t)
	fns, err := rie.FromTemplate([]byte(jwtgate.Template), bootstraps)
	if err != nil {
		t.Fatal(err)
	}
	env := rie.LocalEnv(db.URL, rev, us, testSecret)
	env["JWTGATE_STACK_NAME"] = "metrics-test"
	log := &functionLog{lines: map[string]*bytes.Buffer{}}
	pool, err := rie.NewPool(rie.Options{Emulator: emulator, Functions: fns, Env: env, Output: log})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx := context.Background()

	out, err := pool.Invoke(ctx, handlers.LoginFunction, readEvent(t, "login.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, setCookies := proxyResponse(t, false, out)
	values := sessionCookies(t, setCookies)
	authz := readEvent(t, "authorizer.json")
	if _, err := pool.Invoke(ctx, handlers.AuthorizerFunction, fill(authz, values)); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Invoke(ctx, handlers.AuthorizerFunction, authz); err != nil { // placeholders, not a token
		t.Fatal(err)
	}
	_ = pool.Close() // flush the emulators' output

	for _, tc := range []struct {
		function string
		want     map[string]float64
	}{
		{handlers.LoginFunction, map[string]float64{metrics.LoginSucceeded: 1}},
		{handlers.AuthorizerFunction, map[string]float64{metrics.AuthorizerAllowed: 1, metrics.AuthorizerDenied: 1}},
	} {
		log.mu.Lock()
		raw := log.lines[tc.function]
		log.mu.Unlock()
		if raw == nil {
			t.Fatalf("%s wrote no log", tc.function)
		}
		lines, err := emf.Lines(raw.Bytes())
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.function, err, raw)
		}
		totals := emf.Totals(lines)
		for name, v := range tc.want {
			if totals[name] != v {
				t.Errorf("%s: %s = %v, want %v\n%s", tc.function, name, totals[name], v, raw)
			}
		}
		if totals[metrics.StoreLatency] <= 0 {
			t.Errorf("%s: no StoreLatency\n%s", tc.function, raw)
		}
		for _, l := range lines {
			for name, ms := range l.Metrics {
				if d := ms[0].Dimensions; d["Stack"] != "metrics-test" || d["Function"] != handlers.FunctionName(tc.function) {
					t.Errorf("%s: %s dimensions %v", tc.function, name, d)
				}
			}
		}
	}
}
