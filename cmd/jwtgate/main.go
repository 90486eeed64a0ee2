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
	"syscall"
	"time"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/cors"
	"github.com/jwtgate/jwtgate/shared/runtime/logging"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
	"github.com/jwtgate/jwtgate/shared/tooling/devmetrics"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
	"github.com/jwtgate/jwtgate/shared/tooling/webapp"
)

const usage = `usage: jwtgate <command> [flags]

commands:
  dev              run the API locally on the template's routes (default 127.0.0.1:3000)
  tables create    create the DynamoDB tables (idempotent, TTL on)
  user ...         add | passwd | disable | enable | roles | list
  revoke ...       --jti ID | --session SID | --user NAME
  keys ...         generate | rotate (--secret-id ARN | --file F): signing keys

Run "jwtgate <command> -h" for a command's flags.
`

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
		if err := dev(ctx, args[1:], stdout, stderr); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			fmt.Fprintln(stderr, "jwtgate dev:", err)
			return 1
		}
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

func dev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:3000", "listen address")
	tmpl := fs.String("template", "", "SAM template to serve (default: the embedded template.yaml)")
	endpoint := fs.String("dynamodb-endpoint", "", "serve on DynamoDB tables at this endpoint (created when absent) instead of in-memory stores")
	invoke := fs.String("invoke", "inprocess", `how functions run: "inprocess", or "rie" (built bootstraps under the Lambda runtime emulator; needs --dynamodb-endpoint)`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	src := []byte(jwtgate.Template)
	if *tmpl != "" {
		b, err := os.ReadFile(*tmpl)
		if err != nil {
			return err
		}
		src = b
	}
	log := logging.New(stderr, os.Getenv("LOG_LEVEL"))
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The demo web app answers the paths no route matches, like a static
	// site deployed beside the API.
	opts := devserver.Options{Template: src, Getenv: os.LookupEnv, Log: log, Fallback: webapp.Handler()}
	switch *invoke {
	case "inprocess":
	case "rie":
		pool, getenv, closePool, err := emulatorInvoker(ctx, *endpoint, os.LookupEnv, stderr)
		if err != nil {
			return err
		}
		defer closePool()
		opts.Invoker, opts.Getenv = pool, getenv
	default:
		return fmt.Errorf("--invoke %q: want inprocess or rie", *invoke)
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
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "jwtgate dev: http://%s (stage %q, %s); demo web app at http://%s/\n", ln.Addr(), srv.Gateway.Stage, storeDesc, ln.Addr())
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
	}
	fmt.Fprintln(stdout, "  cookies: Secure", srv.Config.Cookies.Secure, "- dev mode only; production defaults to Secure")
	// API Gateway answers CORS preflights itself (the template's Cors
	// settings); the local gateway has no OPTIONS routes, so it wraps all.
	hs := &http.Server{Handler: cors.Middleware(srv.Config.CORS, srv.Handler()), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
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
