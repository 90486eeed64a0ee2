package devserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/runtime/throttle"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/tooling/devmetrics"
	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
	"github.com/jwtgate/jwtgate/shared/tooling/samtemplate"
)

// DemoUser is a seeded account, printed at start.
type DemoUser struct {
	Name, Password string
	Roles          []string
	// Claims are the user's own claims (users.User.Claims), as the
	// reference Flask app passes them in additional_claims.
	Claims map[string]string
}

// DemoUsers returns the seed app's accounts. Their passwords are dev-only
// demo values: they exist only in `jwtgate dev`'s stores.
func DemoUsers() []DemoUser {
	return []DemoUser{
		{Name: "testuser", Password: "testpass", Roles: []string{"user"}, Claims: map[string]string{"tenant": "acme"}},
		{Name: "admin", Password: "adminpass", Roles: []string{"admin", "user"}, Claims: map[string]string{"tenant": "jwtgate"}},
	}
}

// Options configure a dev server.
type Options struct {
	Template []byte
	Getenv   config.Getenv
	Stage    string
	Log      *slog.Logger
	Clock    func() time.Time
	// Stores replace the in-memory defaults when set.
	Stores *handlers.Stores
	// Invoker replaces in-process invocation of every function when set
	// (e.g. the emulator).
	Invoker gateway.Invoker
	// Functions adds in-process functions by logical ID, each a handler as
	// lambda.Start takes it, for routes of the template beyond jwtgate's
	// own (your function behind the authorizer); ignored with Invoker.
	Functions map[string]any
	// Fallback serves paths no route matches (the demo web app).
	Fallback http.Handler
	// MetricsLog, when set, gets a copy of every EMF line the functions
	// write (as their CloudWatch log would show it).
	MetricsLog io.Writer
	// TemplateDir is the directory the template's CodeUri values are
	// relative to; empty means the repository root above the working
	// directory (where the embedded template.yaml comes from).
	TemplateDir string
	// FunctionOutput receives the log lines of the functions that run
	// under the emulator, prefixed with their logical IDs; nil discards.
	FunctionOutput io.Writer
}

// FunctionInfo says how jwtgate dev runs one function of the template.
type FunctionInfo struct {
	ID string
	// How is e.g. "Go, in process", or the runtime and the emulator.
	How string
	// Err is why the function cannot run (wrapping rie.ErrCannotRun or
	// rie.ErrNotInstalled); its routes then answer 502, as a broken
	// function does behind API Gateway, and log ErrCannotRun with it.
	Err error
}

// ErrCannotRun is what invoking a function that cannot run returns.
var ErrCannotRun = errors.New("devserver: function cannot run locally")

// Server is an assembled dev gateway.
type Server struct {
	Gateway *gateway.Gateway
	Config  config.Config
	// RandomSecret is true when no JWT_SECRET_KEY was given: tokens then
	// die with the process.
	RandomSecret bool
	// Metrics sums the EMF lines the in-process functions write, as
	// CloudWatch would; it serves them at devmetrics.Path.
	Metrics *devmetrics.Tally
	// Functions say how each function of the template runs, sorted by
	// logical ID (empty when Options.Invoker runs them all).
	Functions []FunctionInfo

	closers []func()
}

// Close stops the emulators of the functions that run under one.
func (s *Server) Close() error {
	for _, c := range s.closers {
		c()
	}
	s.closers = nil
	return nil
}

// New builds the gateway.
func New(ctx context.Context, o Options) (*Server, error) {
	cfg, err := config.Load(o.Getenv, config.Dev)
	if err != nil {
		return nil, err
	}
	// The gateway reads the template with the parameter values the
	// environment stands for (JWTGATE_CORS_ORIGINS is CorsAllowOrigin,
	// JWT_TOKEN_LOCATION is TokenLocation, ...), so one set of settings
	// configures both the functions and what API Gateway would do in front
	// of them: preflights, identity sources, gateway response headers.
	params, err := samtemplate.ParametersFromEnv(o.Template, o.Getenv)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	api, err := samtemplate.ParseWith(o.Template, params)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Stage == "" {
		o.Stage = "dev"
	}
	s := &Server{Config: cfg, Metrics: devmetrics.New(o.MetricsLog)}
	var keys []tokens.Key
	if cfg.SecretKey != "" {
		if keys, err = secret.Parse(cfg.SecretKey, config.Dev); err != nil {
			return nil, err
		}
	} else if alg := cfg.Tokens.Algorithm; tokens.Asymmetric(alg) {
		// A fresh key pair per process, as the HMAC secret below.
		k, err := tokens.GenerateKey(alg, "dev-"+alg)
		if err != nil {
			return nil, fmt.Errorf("devserver: %w", err)
		}
		keys = []tokens.Key{k}
		s.RandomSecret = true
	} else {
		random := make([]byte, 32)
		if _, err := rand.Read(random); err != nil {
			return nil, fmt.Errorf("devserver: secret: %w", err)
		}
		keys = []tokens.Key{{ID: "dev", Secret: random}}
		s.RandomSecret = true
	}
	stores := o.Stores
	if stores == nil {
		mem := users.NewMemoryStore()
		if err := Seed(ctx, mem); err != nil {
			return nil, err
		}
		stores = &handlers.Stores{Users: mem, Revocations: revocation.NewMemoryStore(o.Clock),
			Throttle: throttle.NewMemoryStore(o.Clock)}
		if cfg.Tokens.MapLegacyIdentities {
			stores.Identities = mem
		}
	}
	set, err := handlers.New(cfg, keys, *stores, o.Log, o.Clock, handlers.WithMetrics(s.Metrics.Emitter))
	if err != nil {
		return nil, err
	}
	inv := o.Invoker
	if inv == nil {
		if inv, err = s.functions(ctx, api, set, o); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.Gateway = gateway.New(api, inv, gateway.Options{Stage: o.Stage, Fallback: o.Fallback, Log: o.Log, Clock: o.Clock})
	return s, nil
}

// Handler serves the gateway, and the metrics page at devmetrics.Path (a
// dev-only route: the deployed API has no such path).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(devmetrics.Path, s.Metrics)
	mux.Handle("/", s.Gateway)
	return mux
}

// functions builds the invoker of every function of the template:
// jwtgate's own Go handlers in process, every other function under the
// Lambda emulator as rie.Prepare runs it (your Go, Python or Node.js
// functions), and, for a function neither can run, its reason.
func (s *Server) functions(ctx context.Context, api *samtemplate.Template, set *handlers.Set, o Options) (gateway.Invoker, error) {
	r := &router{emulated: map[string]bool{}, cannot: map[string]error{}}
	inproc := map[string]any{}
	var others []string
	for id, fn := range o.Functions {
		inproc[id] = fn
	}
	for _, id := range api.FunctionIDs() {
		if _, given := inproc[id]; given {
			s.Functions = append(s.Functions, FunctionInfo{ID: id, How: "in process (Options.Functions)"})
			continue
		}
		if h, err := set.REST(id); err == nil {
			inproc[id] = h
			s.Functions = append(s.Functions, FunctionInfo{ID: id, How: "Go, in process"})
			continue
		}
		others = append(others, id)
	}
	r.inproc = gateway.NewInProcess(inproc)
	if len(others) == 0 {
		return r, nil
	}
	prepared, err := s.emulate(ctx, api, others, o)
	if err != nil {
		return nil, err
	}
	for _, id := range others {
		info := FunctionInfo{ID: id, How: prepared.Descriptions[id], Err: prepared.Unrunnable[id]}
		if info.Err != nil {
			r.cannot[id] = fmt.Errorf("%w: %s: %w", ErrCannotRun, id, info.Err)
		} else {
			r.emulated[id] = true
		}
		s.Functions = append(s.Functions, info)
	}
	slices.SortFunc(s.Functions, func(a, b FunctionInfo) int { return strings.Compare(a.ID, b.ID) })
	if len(prepared.Functions) == 0 {
		return r, nil
	}
	pool, err := rie.NewPool(rie.Options{Emulator: prepared.emulator, Functions: prepared.Functions, Output: o.FunctionOutput})
	if err != nil {
		return nil, err
	}
	s.closers = append(s.closers, func() { _ = pool.Close() })
	r.emulator = pool
	return r, nil
}

// prepared is rie.Prepare's result with the emulator that runs it.
type prepared struct {
	rie.Prepared
	emulator string
}

// emulate prepares the functions ids under the emulator; without an
// emulator installed every one of them is unrunnable, with that reason.
func (s *Server) emulate(ctx context.Context, api *samtemplate.Template, ids []string, o Options) (prepared, error) {
	dir := o.TemplateDir
	root, rootErr := rie.RepoRoot(".")
	if dir == "" {
		dir = root
		if rootErr != nil {
			dir = "."
		}
	}
	// The emulator: on PATH, or in .tools/bin of the repository around
	// the working directory or around the template (a copy of it may
	// live in a folder of its own).
	emu, err := rie.Find(root)
	if err != nil && o.TemplateDir != "" {
		if troot, terr := rie.RepoRoot(o.TemplateDir); terr == nil {
			if e, ferr := rie.Find(troot); ferr == nil {
				emu, err = e, nil
			}
		}
	}
	if err != nil {
		p := prepared{Prepared: rie.Prepared{Descriptions: map[string]string{}, Unrunnable: map[string]error{}}}
		for _, id := range ids {
			p.Descriptions[id] = api.Functions[id].Runtime + ", under the Lambda emulator"
			p.Unrunnable[id] = err
		}
		return p, nil
	}
	work, err := os.MkdirTemp("", "jwtgate-dev-")
	if err != nil {
		return prepared{}, fmt.Errorf("devserver: %w", err)
	}
	s.closers = append(s.closers, func() { _ = os.RemoveAll(work) })
	p, err := rie.Prepare(ctx, api, dir, work, ids)
	if err != nil {
		return prepared{}, fmt.Errorf("devserver: %w", err)
	}
	return prepared{Prepared: p, emulator: emu}, nil
}

// router sends each function to what runs it.
type router struct {
	inproc   *gateway.InProcess
	emulator gateway.Invoker
	emulated map[string]bool
	cannot   map[string]error
}

// Invoke implements gateway.Invoker.
func (r *router) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	switch {
	case r.emulated[function]:
		return r.emulator.Invoke(ctx, function, payload)
	case r.cannot[function] != nil:
		return nil, r.cannot[function]
	}
	return r.inproc.Invoke(ctx, function, payload)
}

// UserAdder is what Seed needs of a user store.
type UserAdder interface {
	Add(ctx context.Context, u users.User) error
}

// Seed adds the demo users (existing ones are left alone).
func Seed(ctx context.Context, st UserAdder) error {
	for _, d := range DemoUsers() {
		hash, err := password.HashDefault(d.Password)
		if err != nil {
			return err
		}
		err = st.Add(ctx, users.User{Name: d.Name, PasswordHash: hash, Roles: d.Roles, Claims: d.Claims})
		if err != nil && !errors.Is(err, users.ErrExists) {
			return fmt.Errorf("devserver: seed %q: %w", d.Name, err)
		}
	}
	return nil
}
