package metrics

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every jwtgate metric.
const Namespace = "jwtgate"

// The metrics jwtgate reports. The template's alarms and dashboard name
// them too (TestTemplateMetrics pins that they match Names).
const (
	LoginSucceeded    = "LoginSucceeded"
	LoginFailed       = "LoginFailed"    // wrong password, unknown or disabled user
	LoginLockedOut    = "LoginLockedOut" // refused by the failed-login throttle (429)
	RefreshSucceeded  = "RefreshSucceeded"
	RefreshRefused    = "RefreshRefused" // a 401 of /refresh, theft included
	TheftDetected     = "TheftDetected"  // a refresh token reused after its grace: session revoked
	LogoutSucceeded   = "LogoutSucceeded"
	PasswordChanged   = "PasswordChanged"
	PasswordRefused   = "PasswordRefused"
	AuthorizerAllowed = "AuthorizerAllowed"
	AuthorizerDenied  = "AuthorizerDenied" // also per Reason, in a second dimension set
	AuthorizerFailed  = "AuthorizerFailed" // no decision (store down): API Gateway answers 500
	StoreFailed       = "StoreFailed"      // a session function failed closed on its store (503)
	StoreLatency      = "StoreLatency"     // milliseconds per DynamoDB call
)

// names lists every count metric, in the order lines carry them. It is
// never written to.
var names = [...]string{LoginSucceeded, LoginFailed, LoginLockedOut, RefreshSucceeded, RefreshRefused,
	TheftDetected, LogoutSucceeded, PasswordChanged, PasswordRefused, AuthorizerAllowed, AuthorizerDenied,
	AuthorizerFailed, StoreFailed}

// Names returns every count metric's name, then StoreLatency.
func Names() []string { return append(names[:len(names):len(names)], StoreLatency) }

// maxLatencies is how many store latencies one line carries: EMF allows
// 100 values per metric; a jwtgate invocation makes at most five calls.
const maxLatencies = 100

// Invocation collects the metrics of one invocation. A nil *Invocation
// records nothing, so code runs the same with metrics off (unit tests).
type Invocation struct {
	counts    [len(names)]float64
	reason    string
	latencies []float64
}

// Count adds one to the count metric name.
func (inv *Invocation) Count(name string) {
	if inv == nil {
		return
	}
	for i, n := range names {
		if n == name {
			inv.counts[i]++
			return
		}
	}
}

// Denied counts an authorizer denial for reason (one of the authorizer's
// reason names: a small fixed set, so the dimension stays cheap).
func (inv *Invocation) Denied(reason string) {
	if inv == nil {
		return
	}
	inv.Count(AuthorizerDenied)
	inv.reason = reason
}

// Latency records one store call's duration.
func (inv *Invocation) Latency(d time.Duration) {
	if inv == nil || len(inv.latencies) >= maxLatencies {
		return
	}
	inv.latencies = append(inv.latencies, float64(d.Microseconds())/1000)
}

type ctxKey struct{}

// NewContext returns ctx carrying inv, where FromContext finds it.
func NewContext(ctx context.Context, inv *Invocation) context.Context {
	return context.WithValue(ctx, ctxKey{}, inv)
}

// FromContext returns the invocation ctx carries, or nil.
func FromContext(ctx context.Context) *Invocation {
	inv, _ := ctx.Value(ctxKey{}).(*Invocation)
	return inv
}

// Count adds one to name in ctx's invocation, if any.
func Count(ctx context.Context, name string) { FromContext(ctx).Count(name) }

// Latency records a store call's duration in ctx's invocation, if any: the
// callback of dynamostore.Observed.
func Latency(ctx context.Context, d time.Duration) { FromContext(ctx).Latency(d) }

// Emitter writes one CloudWatch Embedded Metric Format line per invocation
// that recorded anything: a JSON log line that CloudWatch Logs turns into
// metrics, so there is no API call, no latency and no IAM permission.
// The dimensions are Stack and Function (and Reason for denials), so two
// stacks in one account keep their metrics apart.
type Emitter struct {
	mu    sync.Mutex
	w     io.Writer
	clock func() time.Time
	dims  string // `"Stack":"...","Function":"..."`, quoted once
	buf   []byte
	pool  sync.Pool
}

// Option changes a default of NewEmitter.
type Option func(*Emitter)

// WithClock stamps lines with clock's time; time.Now by default.
func WithClock(clock func() time.Time) Option {
	return func(e *Emitter) {
		if clock != nil {
			e.clock = clock
		}
	}
}

// NewEmitter returns an Emitter writing to w (stdout in Lambda: CloudWatch
// Logs reads EMF from any line of the function's log) for function of
// stack.
func NewEmitter(w io.Writer, stack, function string, opts ...Option) *Emitter {
	e := &Emitter{w: w, clock: time.Now}
	for _, o := range opts {
		o(e)
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	e.dims = `"Stack":` + q(stack) + `,"Function":` + q(function)
	e.pool.New = func() any { return new(Invocation) }
	return e
}

// Start returns ctx carrying a fresh invocation for the code to count in.
// A nil Emitter returns ctx and a nil invocation.
func (e *Emitter) Start(ctx context.Context) (context.Context, *Invocation) {
	if e == nil {
		return ctx, nil
	}
	inv := e.pool.Get().(*Invocation)
	return NewContext(ctx, inv), inv
}

// Flush writes inv's line, when it recorded anything, and recycles inv:
// the caller must not use it afterwards.
func (e *Emitter) Flush(inv *Invocation) error {
	if e == nil || inv == nil {
		return nil
	}
	defer func() {
		*inv = Invocation{latencies: inv.latencies[:0]}
		e.pool.Put(inv)
	}()
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.line(e.buf[:0], inv)
	e.buf = b[:0]
	if b == nil {
		return nil
	}
	_, err := e.w.Write(b)
	return err
}

// line appends inv's EMF line to b, or returns nil when inv is empty.
//
// The line is assembled by hand: its shape is fixed and its strings are
// this package's constants and the JSON-quoted dimension values, so this
// is encoding/json's output without a map, its sort and its reflection on
// the authorizer's every invocation.
func (e *Emitter) line(b []byte, inv *Invocation) []byte {
	var metricsList []int
	var stack [len(names)]int
	metricsList = stack[:0]
	for i, v := range inv.counts {
		if v != 0 {
			metricsList = append(metricsList, i)
		}
	}
	if len(metricsList) == 0 && len(inv.latencies) == 0 {
		return nil
	}
	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, e.clock().UnixMilli(), 10)
	b = append(b, `,"CloudWatchMetrics":[{"Namespace":"`+Namespace+`","Dimensions":[["Stack","Function"]],"Metrics":[`...)
	first := true
	for _, i := range metricsList {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `{"Name":"`...)
		b = append(b, names[i]...)
		b = append(b, `","Unit":"Count"}`...)
	}
	if len(inv.latencies) > 0 {
		if !first {
			b = append(b, ',')
		}
		b = append(b, `{"Name":"`+StoreLatency+`","Unit":"Milliseconds"}`...)
	}
	b = append(b, `]}`...)
	if inv.reason != "" {
		b = append(b, `,{"Namespace":"`+Namespace+`","Dimensions":[["Stack","Function","Reason"]],"Metrics":[{"Name":"`+AuthorizerDenied+`","Unit":"Count"}]}`...)
	}
	b = append(b, `]},`...)
	b = append(b, e.dims...)
	if inv.reason != "" {
		b = append(b, `,"Reason":`...)
		b = strconv.AppendQuote(b, inv.reason)
	}
	for _, i := range metricsList {
		b = append(b, `,"`...)
		b = append(b, names[i]...)
		b = append(b, `":`...)
		b = strconv.AppendFloat(b, inv.counts[i], 'f', -1, 64)
	}
	if len(inv.latencies) > 0 {
		b = append(b, `,"`+StoreLatency+`":[`...)
		for i, v := range inv.latencies {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, v, 'f', -1, 64)
		}
		b = append(b, ']')
	}
	return append(b, '}', '\n')
}

// Middleware runs h with an invocation in its request's context and writes
// the invocation's line when h returns.
func (e *Emitter) Middleware(h http.Handler) http.Handler {
	if e == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, inv := e.Start(r.Context())
		defer func() { _ = e.Flush(inv) }()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
