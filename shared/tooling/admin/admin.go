package admin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/users/username"
	"github.com/jwtgate/jwtgate/shared/tooling/awsclient"
)

// Exit codes of Run.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Client is what Run needs from a DynamoDB client; *dynamodb.Client has it.
type Client interface {
	dynamostore.ItemAPI
	dynamostore.TableAPI
}

// Env is Run's connection to the outside world.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads the settings the CLI shares with the functions
	// (config.LoadAdmin: REVOCATION_TABLE, USERS_TABLE, DYNAMODB_ENDPOINT,
	// JWT_REFRESH_TOKEN_EXPIRES, JWT_DECODE_LEEWAY), os.Getenv in main. The
	// AWS SDK itself still reads the process environment for credentials
	// and region.
	Getenv func(string) string
	// NewClient builds the DynamoDB client for endpoint ("" means AWS
	// itself); nil means awsclient.NewDynamoDB.
	NewClient func(ctx context.Context, endpoint string) (Client, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewSecrets builds the Secrets Manager client of `keys rotate`; nil
	// means one from the standard AWS configuration.
	NewSecrets func(ctx context.Context) (SecretsClient, error)
	// NewStackClient builds the CloudFormation client of --stack; nil
	// means awsclient.NewCloudFormation.
	NewStackClient func(ctx context.Context) (StackClient, error)

	// run is the state of one Run: the stack a command resolved, for
	// the advice on a missing table.
	run *runState
}

// runState is what one Run learns while a command runs.
type runState struct {
	stack string
}

// usageError is a malformed command line: exit code 2 with the usage text.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const usageText = `usage:
  jwtgate tables create [--revocation-table T] [--users-table T] [--endpoint URL]
  jwtgate user add NAME [--role R ...] [--roles R1,R2] [--password-stdin]
  jwtgate user passwd NAME [--password-stdin]
  jwtgate user disable NAME
  jwtgate user enable NAME
  jwtgate user roles NAME R1,R2
  jwtgate user claims NAME [--set K=V ...] [--unset K ...]   (none: prints them)
  jwtgate user list
  jwtgate user import --file F               (JSON lines or CSV; docs/migrating-from-flask.md)
  jwtgate revoke (--jti ID | --session SID | --user NAME)
  jwtgate keys generate [--algorithm A]
  jwtgate keys rotate KEYS [--algorithm A] [--keep N]
  jwtgate keys add KEYS --algorithm A        (key pairs: verifies, does not sign yet)
  jwtgate keys promote KEYS --kid K          (K signs from now on)
  jwtgate keys retire KEYS --kid K           (K stops verifying)
  jwtgate keys publish KEYS
  jwtgate keys import KEYS [--algorithm A] < key  (another app's key signs from now on: its
                                             HMAC key, or its PEM private key for A = a key pair)

KEYS is --secret-id ARN, --stack NAME or --file F, with --public-keys-table T (or
JWT_PUBLIC_KEYS_TABLE) to publish the public keys verifiers read; A is one of
HS256, HS384, HS512, EdDSA, ES256, RS256 (default HS256). See docs/keys.md.

Every command takes --stack NAME (or JWTGATE_STACK): the deployed stack's table
names (and, for keys rotate, its secret) from its outputs, in the region and
account of the standard AWS configuration. Without it, --revocation-table /
--users-table (or REVOCATION_TABLE / USERS_TABLE; defaults jwtgate-revocations /
jwtgate-users), and --endpoint URL (or DYNAMODB_ENDPOINT) for DynamoDB Local.
The SDK's AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> point the clients
elsewhere. Revocations and password changes
last JWT_REFRESH_TOKEN_EXPIRES (default 30 days) plus JWT_DECODE_LEEWAY, read as
the functions read them.
Passwords come from the terminal (asked twice) or the first line of stdin with
--password-stdin; they need at least 8 characters.
`

// Run runs one command (args without the program name) and returns the
// exit code. Messages go to env.Stdout, errors to env.Stderr.
func Run(ctx context.Context, args []string, env Env) int {
	env = env.withDefaults()
	err := dispatch(ctx, args, env)
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(env.Stdout, usageText)
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "jwtgate: %s\n\n%s", ue.msg, usageText)
		return ExitUsage
	default:
		fmt.Fprintf(env.Stderr, "jwtgate: %s\n", describe(err, env.run.stack))
		return ExitFailure
	}
}

func (env Env) withDefaults() Env {
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.NewClient == nil {
		env.NewClient = func(ctx context.Context, endpoint string) (Client, error) {
			return awsclient.NewDynamoDB(ctx, endpoint)
		}
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if env.NewSecrets == nil {
		env.NewSecrets = defaultSecrets
	}
	if env.NewStackClient == nil {
		env.NewStackClient = func(ctx context.Context) (StackClient, error) {
			return awsclient.NewCloudFormation(ctx)
		}
	}
	env.run = &runState{}
	return env
}

// describe turns the errors a user can act on into plain advice; stack is
// the stack the command read its table names from, if any.
func describe(err error, stack string) string {
	var mt *dynamostore.MissingTableError
	switch {
	case errors.As(err, &mt) && stack != "":
		return fmt.Sprintf("table %s of stack %s does not exist: check that AWS_REGION and the profile are the stack's "+
			"(never `jwtgate tables create` for a deployed stack: its functions read only the stack's own tables)", mt.Table, stack)
	case errors.As(err, &mt):
		return fmt.Sprintf("table %s does not exist: run `jwtgate tables create` (with the same --endpoint and table names) "+
			"for DynamoDB Local or tables of your own; for a stack deployed with sam deploy, pass --stack NAME "+
			"(or JWTGATE_STACK), which reads the table names CloudFormation gave it", mt.Table)
	case errors.Is(err, ErrStackNotFound):
		return err.Error() + ": check the name (samconfig.toml's stack_name), AWS_REGION and the profile"
	case errors.Is(err, awsclient.ErrNoCredentials):
		return "no AWS credentials: configure AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or a role), " +
			"or pass --endpoint / DYNAMODB_ENDPOINT for DynamoDB Local (" + err.Error() + ")"
	case errors.Is(err, awsclient.ErrNoRegion):
		return "no AWS region: set AWS_REGION, or pass --endpoint / DYNAMODB_ENDPOINT for DynamoDB Local"
	}
	return err.Error()
}

func dispatch(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usagef("no command")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "-h", "-help", "--help", "help":
		return flag.ErrHelp
	case "tables":
		if len(rest) == 0 || rest[0] != "create" {
			return usagef("tables: want `tables create`")
		}
		return tablesCreate(ctx, rest[1:], env)
	case "user":
		if len(rest) == 0 {
			return usagef("user: missing subcommand")
		}
		sub, subArgs := rest[0], rest[1:]
		switch sub {
		case "add":
			return userAdd(ctx, subArgs, env)
		case "passwd":
			return userPasswd(ctx, subArgs, env)
		case "disable":
			return userSetDisabled(ctx, subArgs, env, true)
		case "enable":
			return userSetDisabled(ctx, subArgs, env, false)
		case "roles":
			return userRoles(ctx, subArgs, env)
		case "claims":
			return userClaims(ctx, subArgs, env)
		case "list":
			return userList(ctx, subArgs, env)
		case "import":
			return userImport(ctx, subArgs, env)
		}
		return usagef("user: unknown subcommand %q", sub)
	case "revoke":
		return revoke(ctx, rest, env)
	case "keys":
		if len(rest) == 0 {
			return usagef("keys: missing subcommand")
		}
		switch rest[0] {
		case "generate":
			return keysGenerate(rest[1:], env)
		case "rotate":
			return keysRotate(ctx, rest[1:], env)
		case "add":
			return keysAdd(ctx, rest[1:], env)
		case "promote":
			return keysPromote(ctx, rest[1:], env)
		case "retire":
			return keysRetire(ctx, rest[1:], env)
		case "publish":
			return keysPublish(ctx, rest[1:], env)
		case "import":
			return keysImport(ctx, rest[1:], env)
		}
		return usagef("keys: unknown subcommand %q", rest[0])
	default:
		return usagef("unknown command %q", cmd)
	}
}

// common holds the settings every command has.
type common struct {
	endpoint, revocationTable, usersTable string
	// stack is --stack (JWTGATE_STACK); fs tells which flags were given.
	stack string
	fs    *flag.FlagSet
	// records builds revocations with the functions' lifetimes.
	records revocation.Lifetimes
	// cfgErr is a bad setting in the environment; a command that touches
	// the tables fails on it before doing anything.
	cfgErr error
}

// newFlags returns a flag set with the common flags, defaults taken from
// the environment through config.LoadAdmin: the functions' names, defaults
// and parsing.
func newFlags(name string, env Env) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // Run prints the usage itself
	cfg, err := config.LoadAdmin(func(k string) (string, bool) {
		v := env.Getenv(k)
		return v, v != ""
	})
	c := &common{records: cfg.Lifetimes, cfgErr: err, fs: fs}
	fs.StringVar(&c.stack, "stack", env.Getenv(EnvStack), "deployed stack whose outputs name the tables (and the secret)")
	fs.StringVar(&c.endpoint, "endpoint", cfg.DynamoDBEndpoint, "DynamoDB endpoint URL (DynamoDB Local)")
	fs.StringVar(&c.revocationTable, "revocation-table", cfg.RevocationTable, "revocation table")
	fs.StringVar(&c.usersTable, "users-table", cfg.UsersTable, "users table")
	return fs, c
}

// parseUser is parse for subcommands whose first argument is a username:
// it also normalises that name.
func parseUser(fs *flag.FlagSet, args []string, wantPositional int) (pos []string, name string, err error) {
	if pos, err = parse(fs, args, wantPositional); err != nil {
		return nil, "", err
	}
	if name, err = userName(pos[0]); err != nil {
		return nil, "", err
	}
	return pos, name, nil
}

// parse parses flags that may come before, between or after the
// positional arguments, and checks the count of the latter.
func parse(fs *flag.FlagSet, args []string, wantPositional int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if len(pos) != wantPositional {
		return nil, usagef("%s: want %d argument(s), got %d", fs.Name(), wantPositional, len(pos))
	}
	return pos, nil
}

// client builds the DynamoDB client, once the settings are known good.
func (c *common) client(ctx context.Context, env Env) (Client, error) {
	if c.cfgErr != nil {
		return nil, c.cfgErr
	}
	return env.NewClient(ctx, c.endpoint)
}

// resolve applies --stack: the table names come from the stack's outputs,
// unless a table flag names one itself. It returns the stack (zero without
// --stack).
func (c *common) resolve(ctx context.Context, env Env) (stack, error) {
	if c.stack == "" {
		return stack{}, nil
	}
	cf, err := env.NewStackClient(ctx)
	if err != nil {
		return stack{}, err
	}
	st, err := describeStack(ctx, cf, c.stack)
	if err != nil {
		return stack{}, err
	}
	set := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["revocation-table"] {
		c.revocationTable = st.revocationTable
	}
	if !set["users-table"] {
		c.usersTable = st.usersTable
	}
	env.run.stack = c.stack
	return st, nil
}

// stores builds the client and the two stores.
func (c *common) stores(ctx context.Context, env Env) (Client, *dynamostore.Users, *dynamostore.Revocations, error) {
	if _, err := c.resolve(ctx, env); err != nil {
		return nil, nil, nil, err
	}
	client, err := c.client(ctx, env)
	if err != nil {
		return nil, nil, nil, err
	}
	return client, dynamostore.NewUsers(client, c.usersTable),
		dynamostore.NewRevocations(client, c.revocationTable, dynamostore.WithClock(env.Now)), nil
}

// userName normalises a username argument; an invalid one is a usage error.
func userName(arg string) (string, error) {
	n, err := username.Normalize(arg)
	if err != nil {
		return "", usagef("invalid username %q: no spaces or control characters, at most %d bytes", arg, username.MaxLen)
	}
	return n, nil
}

// endSessions ends every session of name: it raises the user's generation
// and writes the cut-off of every lower one. The generation, not the
// clock, decides, so a racing login that verified the old password is cut
// too, and a slow clock on this machine cannot move the cut-off backwards.
func (c *common) endSessions(ctx context.Context, env Env, us *dynamostore.Users, rev *dynamostore.Revocations, name string) error {
	gen, err := us.NewGeneration(ctx, name)
	if err != nil {
		return err
	}
	return rev.Put(ctx, c.records.UserCutOff(name, gen, env.Now()))
}

// hashNew reads a new password, checks the policy and hashes it.
func hashNew(env Env, fromStdin bool) (string, error) {
	pw, err := readPassword(env, fromStdin)
	if err != nil {
		return "", err
	}
	if err := password.CheckPolicy(pw); err != nil {
		return "", err
	}
	return password.HashDefault(pw)
}
