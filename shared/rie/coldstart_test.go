package rie_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/handlers"
	"github.com/jwtgate/jwtgate/shared/rie"
)

// coldStartEvents is the one invoke each cold start serves (placeholders
// left unfilled: the token-reading functions deny quickly, which is the
// init path plus their cheapest request).
var coldStartEvents = []struct{ function, event string }{
	{rie.HelloFunction, ""},
	{handlers.LoginFunction, "login.json"},
	{handlers.RefreshFunction, "refresh.json"},
	{handlers.LogoutFunction, "logout.json"},
	{handlers.PasswordFunction, "password.json"},
	{handlers.ProtectedFunction, "protected.json"},
	{handlers.AuthorizerFunction, "authorizer.json"},
}

// TestColdStart measures, for every function and the hello-world baseline,
// the emulator's init duration and the bootstrap's peak RSS over N cold
// starts (JWTGATE_COLDSTART_N, default 5), and writes the medians and the
// ratios to hello world as a Markdown table (JWTGATE_COLDSTART_REPORT,
// default in the temp dir). Timing depends on the machine: nothing is
// asserted about it, only that every number was recorded.
func TestColdStart(t *testing.T) {
	n := 5
	if v, err := strconv.Atoi(os.Getenv("JWTGATE_COLDSTART_N")); err == nil && v > 0 {
		n = v
	}
	report := os.Getenv("JWTGATE_COLDSTART_REPORT")
	if report == "" {
		report = filepath.Join(os.TempDir(), "jwtgate-coldstart.md")
	}
	rev, us, _ := tables(t)
	fns, err := rie.FromTemplate(templateWithHello(t), bootstraps)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		function string
		init     time.Duration
		rss      uint64
	}
	var results []result
	for _, c := range coldStartEvents {
		payload := []byte(`{}`)
		if c.event != "" {
			payload = readEvent(t, c.event)
		}
		var inits []time.Duration
		var rsss []uint64
		for i := 0; i < n; i++ {
			// A new pool is a new instance: every sample is a cold start.
			pool, err := rie.NewPool(rie.Options{Emulator: emulator, Functions: fns,
				Env: rie.LocalEnv(db.URL, rev, us, testSecret)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = pool.Invoke(context.Background(), c.function, payload)
			_ = pool.Close()
			if err != nil {
				t.Fatalf("%s: %v", c.function, err)
			}
			st := pool.Stats()
			if len(st) != 1 || st[0].Init <= 0 || st[0].PeakRSS == 0 {
				t.Fatalf("%s: stats not recorded: %+v", c.function, st)
			}
			inits, rsss = append(inits, st[0].Init), append(rsss, st[0].PeakRSS)
		}
		results = append(results, result{c.function, median(inits), median(rsss)})
	}
	hello := results[0]
	var b strings.Builder
	fmt.Fprintf(&b, "Cold starts under aws-lambda-rie (median of %d, GOARCH=%s, %s)\n\n", n, goarch(), time.Now().UTC().Format("2006-01-02"))
	b.WriteString("| Function | Init (ms) | x hello | Peak RSS (MB) | x hello |\n|---|---:|---:|---:|---:|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %.1f | %.2f | %.1f | %.2f |\n", r.function,
			float64(r.init.Microseconds())/1000, float64(r.init)/float64(hello.init),
			float64(r.rss)/(1<<20), float64(r.rss)/float64(hello.rss))
	}
	t.Log("\n" + b.String())
	if err := os.MkdirAll(filepath.Dir(report), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(report, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// templateWithHello adds the baseline function (no environment) to the
// template FromTemplate reads.
func templateWithHello(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	hello := "\n  " + rie.HelloFunction + ":\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n"
	s := strings.Replace(string(b), "\nResources:\n", "\nResources:"+hello, 1)
	return []byte(s)
}

func median[T int64 | uint64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func goarch() string { return runtime.GOARCH }
