package metrics_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
	"github.com/jwtgate/jwtgate/shared/testkit/emf"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// TestEmitterLines: each invocation writes one valid EMF line with exactly
// what it recorded, under the Stack and Function dimensions (and Reason for
// a denial); an invocation that recorded nothing writes nothing.
func TestEmitterLines(t *testing.T) {
	tests := []struct {
		name    string
		record  func(*metrics.Invocation)
		want    map[string]float64
		reason  string
		latency int
	}{
		{"nothing", func(*metrics.Invocation) {}, nil, "", 0},
		{"login", func(i *metrics.Invocation) { i.Count(metrics.LoginSucceeded) },
			map[string]float64{metrics.LoginSucceeded: 1}, "", 0},
		{"two counts and latencies", func(i *metrics.Invocation) {
			i.Count(metrics.LoginFailed)
			i.Count(metrics.LoginFailed)
			i.Count(metrics.LoginLockedOut)
			i.Latency(1500 * time.Microsecond)
			i.Latency(2 * time.Millisecond)
		}, map[string]float64{metrics.LoginFailed: 2, metrics.LoginLockedOut: 1, metrics.StoreLatency: 3.5}, "", 2},
		{"denial with reason", func(i *metrics.Invocation) { i.Denied("Expired") },
			map[string]float64{metrics.AuthorizerDenied: 1}, "Expired", 0},
		{"unknown name ignored", func(i *metrics.Invocation) { i.Count("NoSuchMetric") }, nil, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			e := metrics.NewEmitter(&out, "prod-stack", "login", metrics.WithClock(func() time.Time { return t0 }))
			_, inv := e.Start(context.Background())
			tc.record(inv)
			if err := e.Flush(inv); err != nil {
				t.Fatal(err)
			}
			lines, err := emf.Lines(out.Bytes())
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			if tc.want == nil {
				if out.Len() != 0 {
					t.Fatalf("wrote %q, want nothing", out.String())
				}
				return
			}
			if len(lines) != 1 || bytes.Count(out.Bytes(), []byte("\n")) != 1 {
				t.Fatalf("got %d lines, want 1: %s", len(lines), out.String())
			}
			l := lines[0]
			if l.TimestampMillis != t0.UnixMilli() {
				t.Errorf("Timestamp %d, want %d", l.TimestampMillis, t0.UnixMilli())
			}
			if len(l.Metrics) != len(tc.want) {
				t.Errorf("metrics %v, want %v", l.Metrics, tc.want)
			}
			for name, v := range tc.want {
				ms := l.Metrics[name]
				if len(ms) == 0 || ms[0].Sum() != v || ms[0].Namespace != "jwtgate" ||
					ms[0].Dimensions["Stack"] != "prod-stack" || ms[0].Dimensions["Function"] != "login" {
					t.Errorf("%s = %+v, want %v in jwtgate with Stack, Function", name, ms, v)
				}
			}
			if lat := l.Metrics[metrics.StoreLatency]; tc.latency > 0 && (len(lat) != 1 || len(lat[0].Values) != tc.latency || lat[0].Unit != "Milliseconds") {
				t.Errorf("StoreLatency = %+v, want %d values in Milliseconds", lat, tc.latency)
			}
			if tc.reason != "" {
				denied := l.Metrics[metrics.AuthorizerDenied]
				if len(denied) != 2 || denied[1].Dimensions["Reason"] != tc.reason {
					t.Errorf("AuthorizerDenied = %+v, want a second set with Reason %s", denied, tc.reason)
				}
			}
		})
	}
}

// TestMiddleware: a handler counting through its request context gets one
// line per request, and recycled invocations carry nothing over.
func TestMiddleware(t *testing.T) {
	var out bytes.Buffer
	e := metrics.NewEmitter(&out, "s", "refresh")
	h := e.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/count" {
			metrics.Count(r.Context(), metrics.RefreshSucceeded)
		}
	}))
	for _, p := range []string{"/count", "/quiet", "/count"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", p, nil))
	}
	lines, err := emf.Lines(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || emf.Totals(lines)[metrics.RefreshSucceeded] != 2 {
		t.Fatalf("lines %+v, want 2 lines of RefreshSucceeded 1", lines)
	}
}

// TestNilSafe: without an emitter or an invocation, counting is a no-op.
func TestNilSafe(t *testing.T) {
	var e *metrics.Emitter
	ctx, inv := e.Start(context.Background())
	inv.Count(metrics.LoginSucceeded)
	inv.Denied("Expired")
	inv.Latency(time.Millisecond)
	metrics.Count(ctx, metrics.LoginSucceeded)
	if err := e.Flush(inv); err != nil {
		t.Fatal(err)
	}
}
