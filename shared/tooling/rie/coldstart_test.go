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

	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
)

// coldStartEvents is the one invoke each cold start serves (placeholders
// left unfilled: the token-reading functions deny quickly, which is the
// init path plus their cheapest request).
var coldStartEvents = []struct{ function, event string }{
	{rie.HelloFunction, ""},
	{rie.SDKFloorFunction, ""},
	{handlers.LoginFunction, "login.json"},
	{handlers.RefreshFunction, "refresh.json"},
	{handlers.LogoutFunction, "logout.json"},
	{handlers.PasswordFunction, "password.json"},
	{handlers.ProtectedFunction, "protected.json"},
	{handlers.AuthorizerFunction, "authorizer.json"},
}

// TestColdStart measures, for every function and the two baselines (hello
// world, the SDK floor), the emulator's init duration and the bootstrap's
// peak RSS over N cold starts (JWTGATE_COLDSTART_N, default 5), and writes
// the medians and the ratios to both baselines as a Markdown table
// (JWTGATE_COLDSTART_REPORT, default in the temp dir). Each round gets fresh
// tables, so every sample serves the same request (a password change in one
// round would otherwise turn the next rounds' logins into failures and
// lockouts). Timing depends on the machine: nothing is asserted about it,
// only that every number was recorded.
func TestColdStart(t *testing.T) {
	n := 5
	if v, err := strconv.Atoi(os.Getenv("JWTGATE_COLDSTART_N")); err == nil && v > 0 {
		n = v
	}
	report := os.Getenv("JWTGATE_COLDSTART_REPORT")
	if report == "" {
		report = filepath.Join(os.TempDir(), "jwtgate-coldstart.md")
	}
	fns, err := rie.FromTemplate(templateWithHello(t), bootstraps)
	if err != nil {
		t.Fatal(err)
	}
	// Rounds are interleaved (each round starts every function once, the
	// baselines first), so load drift on a shared machine hits a function and
	// the baseline alike; the ratio reported is the median of the per-round
	// ratios (paired), beside the medians themselves.
	inits := make([][]time.Duration, len(coldStartEvents))
	rsss := make([][]uint64, len(coldStartEvents))
	ratios := make([][]float64, len(coldStartEvents))
	floorRatios := make([][]float64, len(coldStartEvents))
	payloads := make([][]byte, len(coldStartEvents))
	for j, c := range coldStartEvents {
		payloads[j] = []byte(`{}`)
		if c.event != "" {
			payloads[j] = readEvent(t, c.event)
		}
	}
	for i := 0; i < n; i++ {
		rev, us, _ := tables(t)
		for j, c := range coldStartEvents {
			// A new pool is a new instance: every sample is a cold start.
			pool, err := rie.NewPool(rie.Options{Emulator: emulator, Functions: fns,
				Env: rie.LocalEnv(db.URL, rev, us, testSecret)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = pool.Invoke(context.Background(), c.function, payloads[j])
			_ = pool.Close()
			if err != nil {
				t.Fatalf("%s: %v", c.function, err)
			}
			st := pool.Stats()
			if len(st) != 1 || st[0].Init <= 0 || st[0].PeakRSS == 0 {
				t.Fatalf("%s: stats not recorded: %+v", c.function, st)
			}
			inits[j], rsss[j] = append(inits[j], st[0].Init), append(rsss[j], st[0].PeakRSS)
			ratios[j] = append(ratios[j], float64(st[0].Init)/float64(inits[0][i]))
			if j > 0 { // coldStartEvents[1] is the SDK floor, started just before
				floorRatios[j] = append(floorRatios[j], float64(st[0].Init)/float64(inits[1][i]))
			}
		}
	}
	helloRSS := median(rsss[0])
	var b strings.Builder
	fmt.Fprintf(&b, "Cold starts under aws-lambda-rie (%d interleaved rounds, GOARCH=%s, %s, load average %s)\n\n",
		n, goarch(), time.Now().UTC().Format("2006-01-02"), loadAverage())
	b.WriteString("| Function | Init median (ms) | Init min (ms) | x hello | x SDK floor | Peak RSS (MB) | x hello |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for j, c := range coldStartEvents {
		floor := "-"
		if j > 0 {
			floor = fmt.Sprintf("%.2f", median(floorRatios[j]))
		}
		fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.2f | %s | %.1f | %.2f |\n", c.function,
			float64(median(inits[j]).Microseconds())/1000, float64(slices.Min(inits[j]).Microseconds())/1000,
			median(ratios[j]), floor, float64(median(rsss[j]))/(1<<20), float64(median(rsss[j]))/float64(helloRSS))
	}
	b.WriteString("\nx hello and x SDK floor are medians of per-round ratios (each round starts every function once).\n")
	t.Log("\n" + b.String())
	if err := os.MkdirAll(filepath.Dir(report), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(report, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// templateWithHello adds the baseline functions (no environment) to the
// template FromTemplate reads.
func templateWithHello(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var extra string
	for _, id := range []string{rie.HelloFunction, rie.SDKFloorFunction} {
		extra += "\n  " + id + ":\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n"
	}
	s := strings.Replace(string(b), "\nResources:\n", "\nResources:"+extra, 1)
	return []byte(s)
}

func median[T int64 | uint64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// loadAverage is the 1-, 5- and 15-minute load of the machine, for the
// report: timings on a busy machine are read with it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func goarch() string { return runtime.GOARCH }
