package devserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
)

// DemoUser is a seeded account, printed at start.
type DemoUser struct {
	Name, Password string
	Roles          []string
}

// DemoUsers returns the seed app's accounts. Their passwords are dev-only
// demo values: they exist only in `jwtgate dev`'s stores.
func DemoUsers() []DemoUser {
	return []DemoUser{
		{Name: "testuser", Password: "testpass", Roles: []string{"user"}},
		{Name: "admin", Password: "adminpass", Roles: []string{"admin", "user"}},
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
	// Invoker replaces in-process invocation when set (e.g. the emulator).
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
}

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
}

// New builds the gateway.
func New(ctx context.Context, o Options) (*Server, error) {
	cfg, err := config.Load(o.Getenv, config.Dev)
	if err != nil {
		return nil, err
	}
	api, err := gateway.ParseTemplate(o.Template)
	if err != nil {
		return nil, err
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
	}
	set, err := handlers.New(cfg, keys, *stores, o.Log, o.Clock, handlers.WithMetrics(s.Metrics.Emitter))
	if err != nil {
		return nil, err
	}
	inv := o.Invoker
	if inv == nil {
		functions := map[string]any{}
		for _, name := range []string{handlers.LoginFunction, handlers.RefreshFunction, handlers.LogoutFunction,
			handlers.PasswordFunction, handlers.ProtectedFunction, handlers.AuthorizerFunction, handlers.JwksFunction} {
			if functions[name], err = set.REST(name); err != nil {
				return nil, err
			}
		}
		for name, fn := range o.Functions {
			functions[name] = fn
		}
		inv = gateway.NewInProcess(functions)
	}
	s.Gateway = &gateway.Gateway{API: api, Invoker: inv, Stage: o.Stage, Fallback: o.Fallback, Log: o.Log, Clock: o.Clock}
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
		err = st.Add(ctx, users.User{Name: d.Name, PasswordHash: hash, Roles: d.Roles})
		if err != nil && !errors.Is(err, users.ErrExists) {
			return fmt.Errorf("devserver: seed %q: %w", d.Name, err)
		}
	}
	return nil
}
