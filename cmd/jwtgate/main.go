// Command jwtgate runs jwtgate locally (`jwtgate dev`) and administers its
// DynamoDB tables, users and sessions.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/logging"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
	"github.com/jwtgate/jwtgate/shared/tooling/devmetrics"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
	"github.com/jwtgate/jwtgate/shared/tooling/webapp"
)

const usage = `usage: jwtgate <command> [flags]

commands:
  dev              run the API locally on the template's routes (default 127.0.0.1:3000, or $PORT)
  tables create    create the DynamoDB tables (idempotent, TTL on)
  user ...         add | passwd | disable | enable | roles | list
  revoke ...       --jti ID | --session SID | --user NAME
  keys ...         generate | rotate (--secret-id ARN | --file F): signing keys

Run "jwtgate <command> -h" for a command's flags; "jwtgate --version" prints the version.
Exit codes: 0 success, 1 failure, 2 usage error.
`

// usageError is a malformed dev command line: exit code 2. printed means
// the flag package has already said it, with the flags.
type usageError struct {
	err     error
	printed bool
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "dev":
		err := dev(ctx, args[1:], stdout, stderr)
		var ue *usageError
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			if !ue.printed {
				fmt.Fprintln(stderr, "jwtgate dev:", err)
			}
			return 2
		}
		fmt.Fprintln(stderr, "jwtgate dev:", err)
		return 1
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, "jwtgate", version())
		return 0
	case "tables", "user", "revoke", "keys":
		return admin.Run(ctx, args, admin.Env{Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv})
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "jwtgate: unknown command %q\n%s", args[0], usage)
	return 2
}

// version is the module version of an installed binary (go install
// ...@v1.2.3), else the VCS revision the binary was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, modified := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return "(devel)"
	}
	if modified {
		rev += "+modified"
	}
	return "(devel) " + rev
}

func dev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defaultAddr := "127.0.0.1:3000"
	if p := os.Getenv("PORT"); p != "" {
		defaultAddr = net.JoinHostPort("127.0.0.1", p)
	}
	addr := fs.String("addr", defaultAddr, "listen address (default port: $PORT, else 3000)")
	tmpl := fs.String("template", "", "SAM template to serve (default: the embedded template.yaml)")
	endpoint := fs.String("dynamodb-endpoint", "", "serve on DynamoDB tables at this endpoint (created when absent) instead of in-memory stores")
	invoke := fs.String("invoke", "inprocess", `how functions run: "inprocess", or "rie" (built bootstraps under the Lambda runtime emulator; needs --dynamodb-endpoint)`)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err: err, printed: true}
	}
	if fs.NArg() > 0 {
		return &usageError{err: fmt.Errorf("unexpected argument %q (dev takes only flags; see jwtgate dev -h)", fs.Arg(0))}
	}
	src, templateDir := []byte(jwtgate.Template), ""
	if *tmpl != "" {
		b, err := os.ReadFile(*tmpl)
		if err != nil {
			return err
		}
		src, templateDir = b, filepath.Dir(*tmpl)
	}
	log := logging.New(stderr, os.Getenv("LOG_LEVEL"))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The demo web app answers the paths no route matches, like a static
	// site deployed beside the API.
	getenv, err := devserver.TemplateEnv(src, os.LookupEnv)
	if err != nil {
		return err
	}
	opts := devserver.Options{Template: src, TemplateDir: templateDir, Getenv: getenv, Log: log,
		Fallback: webapp.Handler(), FunctionOutput: stderr}
	var emulated []devserver.FunctionInfo
	switch *invoke {
	case "inprocess":
	case "rie":
		pool, getenv, infos, closePool, err := emulatorInvoker(ctx, src, templateDir, *endpoint, getenv, stderr)
		if err != nil {
			return err
		}
		defer closePool()
		opts.Invoker, opts.Getenv, emulated = pool, getenv, infos
	default:
		return &usageError{err: fmt.Errorf("--invoke %q: want inprocess or rie", *invoke)}
	}
	storeDesc, seeded := "in-memory stores", true
	if *endpoint != "" {
		stores, fresh, err := devserver.DynamoStores(ctx, *endpoint, opts.Getenv)
		if err != nil {
			return err
		}
		opts.Stores, seeded = stores, fresh
		storeDesc = "DynamoDB at " + *endpoint
	}
	if *invoke == "rie" {
		storeDesc += ", functions under the Lambda runtime emulator"
	}
	srv, err := devserver.New(ctx, opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "jwtgate dev: http://%s (stage %q, %s); demo web app at http://%s/\n", ln.Addr(), srv.Gateway.Stage(), storeDesc, ln.Addr())
	if seeded {
		for _, u := range devserver.DemoUsers() {
			fmt.Fprintf(stdout, "  demo user %-9s password %-10s roles %v\n", u.Name, u.Password, u.Roles)
		}
	} else {
		fmt.Fprintln(stdout, "  users: the existing users table (demo users are seeded only into an empty one)")
	}
	fmt.Fprintf(stdout, "  metrics: http://%s%s (the EMF counts CloudWatch would get; ?format=text)\n", ln.Addr(), devmetrics.Path)
	if srv.RandomSecret {
		fmt.Fprintln(stdout, "  signing secret: random per process (set JWT_SECRET_KEY to keep tokens across restarts)")
	} else if err := config.CheckSecret([]byte(srv.Config.SecretKey), config.Lambda); err != nil {
		fmt.Fprintf(stdout, "  warning: JWT_SECRET_KEY is accepted in dev mode only: deployed functions refuse it (%v)\n", err)
	}
	if srv.Config.Cookies.Secure {
		fmt.Fprintln(stdout, "  cookies: Secure (JWT_COOKIE_SECURE=true): browsers send them over https, or to http://localhost only")
	} else {
		fmt.Fprintln(stdout, "  cookies: not Secure, for plain http (dev mode only; deployed functions default to Secure)")
	}
	// The migration settings change what every request may carry: a
	// developer following docs/migrating-from-flask.md sees them took.
	switch until := srv.Config.Tokens.LegacyUntil; {
	case until.IsZero():
	case time.Now().Before(until):
		fmt.Fprintf(stdout, "  migration: flask-jwt-extended's tokens (no sid) accepted until %s (JWTGATE_LEGACY_TOKENS_UNTIL)\n", until.UTC().Format(time.RFC3339))
	default:
		fmt.Fprintf(stdout, "  migration: the window closed at %s: flask-jwt-extended's tokens get 401 (JWTGATE_LEGACY_TOKENS_UNTIL)\n", until.UTC().Format(time.RFC3339))
	}
	if srv.Config.Tokens.MapLegacyIdentities {
		fmt.Fprintln(stdout, "  migration: a flask token's identity is mapped to the user imported with it (JWTGATE_LEGACY_IDENTITIES=imported)")
	}
	if cost := srv.Config.LegacyHashCost; cost != "" {
		fmt.Fprintf(stdout, "  migration: every login also does one %s verification, real or dummy (JWTGATE_LEGACY_HASH_COST)\n", cost)
	}
	if len(srv.Gateway.API().Routes) == 0 {
		fmt.Fprintln(stdout, "  warning: the template has no Api routes (jwtgate dev serves AWS::Serverless::Api events; an HttpApi template is not served)")
	}
	functions := srv.Functions
	if emulated != nil {
		functions = emulated
	}
	for _, f := range functions {
		if f.Err != nil {
			fmt.Fprintf(stdout, "  function %-20s CANNOT RUN (its routes answer 502): %v\n", f.ID, f.Err)
			continue
		}
		fmt.Fprintf(stdout, "  function %-20s %s\n", f.ID, f.How)
	}
	// The gateway answers CORS preflights itself, from the template's Cors
	// (as API Gateway does); the functions add the headers to their answers.
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(shutdown)
}
