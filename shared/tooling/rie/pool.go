package rie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
)

// Pool errors.
var (
	// ErrClosed is returned by Invoke after Close.
	ErrClosed = errors.New("rie: pool closed")
	// ErrUnknownFunction means the pool has no bootstrap for a logical ID.
	ErrUnknownFunction = errors.New("rie: unknown function")
	// ErrTimeout means the function ran past its Lambda timeout (the
	// emulator answers 200 with a text body).
	ErrTimeout = errors.New("rie: function timed out")
	// ErrCrashed means the emulator answered 502: the function panicked,
	// exited or failed its init.
	ErrCrashed = errors.New("rie: function crashed")
)

// Defaults of Options and Function.
const (
	DefaultMaxInstances = 4
	DefaultTimeout      = 3 * time.Second // Lambda's default function timeout
	DefaultMemoryMB     = 128             // Lambda's default memory size
)

// Function is one function as the pool runs it.
type Function struct {
	// Bootstrap is the program the emulator starts: the built binary
	// (Build's dir/bootstrap), or an interpreter (see Prepare).
	Bootstrap string
	// Args follow Bootstrap on the emulator's command line (an
	// interpreter's runtime loop and the handler).
	Args []string
	// Dir is the working directory (Lambda's /var/task); empty means
	// Bootstrap's directory.
	Dir string
	// Handler is _HANDLER; empty means "bootstrap", the provided runtimes'.
	Handler string
	// Env is the environment the template gives the function
	// (samtemplate.Function.Env).
	Env map[string]string
	// Timeout is the Lambda timeout; zero means DefaultTimeout.
	Timeout time.Duration
	// MemoryMB only sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE (the emulator
	// enforces no limit); zero means DefaultMemoryMB.
	MemoryMB int
}

// Options configure a Pool.
type Options struct {
	// Emulator is the aws-lambda-rie binary (see Find).
	Emulator  string
	Functions map[string]Function
	// Env overrides every function's template environment: JWT_SECRET_KEY,
	// DYNAMODB_ENDPOINT, table names, dummy credentials (see LocalEnv).
	Env map[string]string
	// MaxInstances bounds the emulators per function (concurrent invokes of
	// one function); zero means DefaultMaxInstances.
	MaxInstances int
	// Output receives the emulators' and the functions' log lines, each
	// prefixed with the logical ID; nil discards them.
	Output io.Writer
}

// Stats describe one emulator instance, alive or stopped.
type Stats struct {
	Function string
	// Init is the emulator's INIT REPORT duration: the runtime's start-up
	// up to its first /next call (zero until the first invoke).
	Init time.Duration
	// PeakRSS is the bootstrap process's VmHWM in bytes.
	PeakRSS uint64
	Invokes int
}

// Pool invokes functions in emulator instances: an idle instance when one
// is free, else a new one, up to MaxInstances per function, else it waits.
// It satisfies gateway.Invoker.
type Pool struct {
	opts   Options
	client *http.Client

	mu      sync.Mutex
	closed  bool
	pools   map[string]*functionPool
	all     []*instance
	stopped []Stats
}

type functionPool struct {
	idle  chan *instance
	slots chan struct{} // one token per running instance
}

// NewPool checks the options; no emulator starts before the first invoke
// (Lambda's cold start is on demand too).
func NewPool(o Options) (*Pool, error) {
	if o.Emulator == "" {
		return nil, fmt.Errorf("rie: no emulator: %w", ErrNotInstalled)
	}
	if o.MaxInstances <= 0 {
		o.MaxInstances = DefaultMaxInstances
	}
	p := &Pool{opts: o, pools: map[string]*functionPool{},
		client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}
	for name, fn := range o.Functions {
		if fn.Bootstrap == "" {
			return nil, fmt.Errorf("rie: %s: no bootstrap", name)
		}
		p.pools[name] = &functionPool{idle: make(chan *instance, o.MaxInstances), slots: make(chan struct{}, o.MaxInstances)}
	}
	return p, nil
}

var _ gateway.Invoker = (*Pool)(nil)

// Invoke runs function with payload in an instance of its own. A returned
// error of the function is a *gateway.FunctionError; a crash, a timeout
// or an emulator failure is another error, and that instance is discarded.
func (p *Pool) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	p.mu.Lock()
	fp, ok := p.pools[function]
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownFunction, function)
	}
	inst, err := p.acquire(ctx, function, fp)
	if err != nil {
		return nil, err
	}
	out, reusable, err := inst.invoke(ctx, p.client, payload, p.timeout(function))
	if !reusable {
		p.discard(fp, inst)
		if err != nil && !errors.As(err, new(*gateway.FunctionError)) {
			err = fmt.Errorf("%w\nemulator output:\n%s", err, inst.output())
		}
		return out, err
	}
	p.release(fp, inst)
	return out, err
}

func (p *Pool) timeout(function string) time.Duration {
	if t := p.opts.Functions[function].Timeout; t > 0 {
		return t
	}
	return DefaultTimeout
}

func (p *Pool) acquire(ctx context.Context, function string, fp *functionPool) (*instance, error) {
	select {
	case inst := <-fp.idle:
		return inst, nil
	default:
	}
	select {
	case inst := <-fp.idle:
		return inst, nil
	case fp.slots <- struct{}{}:
		inst, err := start(ctx, p.opts.Emulator, function, p.opts.Functions[function], p.env(function), p.opts.Output)
		if err != nil {
			<-fp.slots
			return nil, err
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed {
			inst.stop()
			<-fp.slots
			return nil, ErrClosed
		}
		p.all = append(p.all, inst)
		return inst, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("rie: wait for an instance of %s: %w", function, ctx.Err())
	}
}

func (p *Pool) release(fp *functionPool, inst *instance) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		p.discard(fp, inst)
		return
	}
	fp.idle <- inst // never blocks: at most MaxInstances exist
}

func (p *Pool) discard(fp *functionPool, inst *instance) {
	inst.stop()
	p.mu.Lock()
	for k, i := range p.all {
		if i == inst {
			p.all = append(p.all[:k], p.all[k+1:]...)
			p.stopped = append(p.stopped, inst.stats())
			break
		}
	}
	p.mu.Unlock()
	<-fp.slots
}

// env is the function's whole environment: the emulator passes its own to
// the runtime, so it is built from scratch as Lambda builds it (no host
// variables such as HOME, AWS_PROFILE or AWS_CA_BUNDLE leak in), then the
// template's variables, then the overrides.
func (p *Pool) env(function string) []string {
	fn := p.opts.Functions[function]
	timeout := p.timeout(function)
	mem := fn.MemoryMB
	if mem <= 0 {
		mem = DefaultMemoryMB
	}
	m := map[string]string{
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
		"LANG":                            "en_US.UTF-8",
		"TZ":                              ":UTC",
		"_HANDLER":                        "bootstrap",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + function,
		"AWS_LAMBDA_LOG_STREAM_NAME":      "local",
		"AWS_REGION":                      gateway.Region,
		"AWS_DEFAULT_REGION":              gateway.Region,
		"AWS_LAMBDA_FUNCTION_NAME":        function,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(mem),
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     strconv.Itoa(int((timeout + time.Second - 1) / time.Second)),
	}
	if fn.Handler != "" {
		m["_HANDLER"] = fn.Handler
	}
	for k, v := range fn.Env {
		m[k] = v
	}
	for k, v := range p.opts.Env {
		m[k] = v
	}
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Stats lists every instance the pool has run, stopped ones included.
func (p *Pool) Stats() []Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]Stats(nil), p.stopped...)
	for _, i := range p.all {
		out = append(out, i.stats())
	}
	return out
}

// Close stops every instance; Invoke fails with ErrClosed afterwards.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	all := p.all
	p.all = nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, i := range all {
		wg.Add(1)
		go func() { defer wg.Done(); i.stop() }()
	}
	wg.Wait()
	p.mu.Lock()
	for _, i := range all {
		p.stopped = append(p.stopped, i.stats())
	}
	p.mu.Unlock()
	return nil
}

// classify maps the emulator's reply: 200 is the result, unless it is the
// runtime API's error shape (a *gateway.FunctionError) or the timeout text;
// anything else is a failure of the instance.
func classify(function string, status int, body []byte) ([]byte, bool, error) {
	switch {
	case status == http.StatusOK && bytes.HasPrefix(body, []byte("Task timed out")):
		return nil, false, fmt.Errorf("%w: %s: %s", ErrTimeout, function, body)
	case status == http.StatusOK:
		if fe := functionError(body); fe != nil {
			return nil, true, fe
		}
		return body, true, nil
	case status == http.StatusBadGateway:
		return nil, false, fmt.Errorf("%w: %s: %s", ErrCrashed, function, bytes.TrimSpace(body))
	default:
		return nil, false, fmt.Errorf("rie: invoke %s: emulator answered %d: %s", function, status, bytes.TrimSpace(body))
	}
}

// functionError recognises {"errorMessage","errorType"[,"stackTrace"]}, the
// only shape aws-lambda-go gives a returned error (Python's runtime adds
// "requestId").
func functionError(body []byte) *gateway.FunctionError {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	msg, okM := m["errorMessage"]
	typ, okT := m["errorType"]
	if !okM || !okT {
		return nil
	}
	for k := range m {
		if k != "errorMessage" && k != "errorType" && k != "stackTrace" && k != "requestId" {
			return nil
		}
	}
	fe := &gateway.FunctionError{}
	if json.Unmarshal(msg, &fe.Message) != nil || json.Unmarshal(typ, &fe.Type) != nil {
		return nil
	}
	return fe
}
