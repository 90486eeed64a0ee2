// Package devmetrics shows a developer, in `jwtgate dev`, the metrics
// production will report: the functions write the same EMF lines they
// write to CloudWatch Logs in Lambda, into a Tally instead of stdout, and
// the Tally sums them per function and serves the totals at
// /_jwtgate/metrics.
package devmetrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"

	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
)

// Path is where the dev server serves the totals.
const Path = "/_jwtgate/metrics"

// Tally sums the EMF lines written to it. It is safe for concurrent use.
type Tally struct {
	mu     sync.Mutex
	totals map[string]map[string]float64 // function -> metric -> sum
	lines  int
	bad    int
	echo   io.Writer
}

// New returns an empty Tally. When echo is not nil every line is copied
// there too (the dev server's log, as CloudWatch Logs would show it).
func New(echo io.Writer) *Tally {
	return &Tally{totals: map[string]map[string]float64{}, echo: echo}
}

// Emitter returns the emitter of function writing into t: the argument of
// handlers.WithMetrics.
func (t *Tally) Emitter(function string) *metrics.Emitter {
	return metrics.NewEmitter(t, "dev", function)
}

// Write takes one or more EMF lines. A line that is not EMF is counted as
// bad and otherwise ignored: it is shown on the page, never fatal.
func (t *Tally) Write(p []byte) (int, error) {
	if t.echo != nil {
		_, _ = t.echo.Write(p)
	}
	for _, line := range bytes.Split(p, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			t.add(line)
		}
	}
	return len(p), nil
}

// emfLine is the part of an EMF line the totals need.
type emfLine struct {
	AWS struct {
		CloudWatchMetrics []struct {
			Metrics []struct{ Name string }
		}
	} `json:"_aws"`
}

func (t *Tally) add(line []byte) {
	var l emfLine
	var root map[string]any
	errL, errR := json.Unmarshal(line, &l), json.Unmarshal(line, &root)
	t.mu.Lock()
	defer t.mu.Unlock()
	fn, _ := root["Function"].(string)
	if errL != nil || errR != nil || fn == "" || len(l.AWS.CloudWatchMetrics) == 0 {
		t.bad++
		return
	}
	t.lines++
	if t.totals[fn] == nil {
		t.totals[fn] = map[string]float64{}
	}
	seen := map[string]bool{}
	for _, d := range l.AWS.CloudWatchMetrics {
		for _, m := range d.Metrics {
			if seen[m.Name] { // one metric under two dimension sets counts once
				continue
			}
			seen[m.Name] = true
			switch v := root[m.Name].(type) {
			case float64:
				t.totals[fn][m.Name] += v
			case []any:
				for _, e := range v {
					if f, ok := e.(float64); ok {
						t.totals[fn][m.Name] += f
					}
				}
			}
		}
	}
	if r, ok := root["Reason"].(string); ok {
		t.totals[fn][metrics.AuthorizerDenied+"."+r]++
	}
}

// Totals returns a copy of the sums: function, then metric.
func (t *Tally) Totals() map[string]map[string]float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]map[string]float64, len(t.totals))
	for fn, m := range t.totals {
		out[fn] = make(map[string]float64, len(m))
		for k, v := range m {
			out[fn][k] = v
		}
	}
	return out
}

// ServeHTTP answers the totals as JSON, or as text for a browser that asks
// for text/plain or ?format=text.
func (t *Tally) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	totals := t.Totals()
	t.mu.Lock()
	lines, bad := t.lines, t.bad
	t.mu.Unlock()
	if r.URL.Query().Get("format") == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "jwtgate dev metrics (namespace %s; %d EMF lines, %d unreadable)\n", metrics.Namespace, lines, bad)
		fns := make([]string, 0, len(totals))
		for fn := range totals {
			fns = append(fns, fn)
		}
		sort.Strings(fns)
		for _, fn := range fns {
			names := make([]string, 0, len(totals[fn]))
			for n := range totals[fn] {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				fmt.Fprintf(w, "%-12s %-28s %g\n", fn, n, totals[fn][n])
			}
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"namespace": metrics.Namespace, "lines": lines, "unreadable": bad, "functions": totals})
}
