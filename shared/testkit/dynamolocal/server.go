package dynamolocal

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/throttle"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/testkit/capture"
	"github.com/jwtgate/jwtgate/shared/testkit/provision"
)

// ErrNotInstalled means the DynamoDB Local jar or java is missing.
var ErrNotInstalled = errors.New("dynamolocal: DynamoDB Local is not installed")

// DirEnv names the environment variable that overrides where the jar is.
const DirEnv = "DYNAMODB_LOCAL_DIR"

// Start-up limits: the JVM listens in about 3 s with the flags below.
const (
	startTimeout = 60 * time.Second
	pollEvery    = 50 * time.Millisecond
	launchTries  = 3 // a free port can be taken between probe and bind
)

// Server is one running DynamoDB Local process.
type Server struct {
	// URL is the endpoint, http://127.0.0.1:<port>.
	URL string

	cmd    *exec.Cmd
	done   chan struct{}   // closed when the process has exited
	output *capture.Buffer // its stdout and stderr, for error messages
	once   sync.Once
}

// Launch starts DynamoDB Local and returns once it answers HTTP. The caller
// must Close it.
func Launch(ctx context.Context) (*Server, error) {
	dir, err := jarDir(ctx)
	if err != nil {
		return nil, err
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, fmt.Errorf("%w: java not found (%v); %s", ErrNotInstalled, err, javaHint)
	}
	for try := 1; ; try++ {
		s, err := launch(ctx, java, dir)
		if err == nil || try == launchTries || ctx.Err() != nil {
			return s, err
		}
	}
}

func launch(ctx context.Context, java, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	// Fast JVM start (C1 only, serial GC); -sharedDb so every access key and
	// region sees the same database.
	cmd := exec.Command(java,
		"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
		"-Djava.library.path="+filepath.Join(dir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(dir, "DynamoDBLocal.jar"),
		"-inMemory", "-sharedDb", "-port", strconv.Itoa(port))
	cmd.Dir = dir
	out := &capture.Buffer{Limit: 64 << 10} // DynamoDB Local is chatty
	cmd.Stdout, cmd.Stderr = out, out
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: start java: %v; %s", ErrNotInstalled, err, javaHint)
	}
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, done: make(chan struct{}), output: out}
	go func() { _ = cmd.Wait(); close(s.done) }()
	if err := s.waitReady(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.warmUp(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// waitReady polls until the server answers any HTTP request.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	hc := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
		if err != nil {
			return fmt.Errorf("dynamolocal: %w", err)
		}
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("dynamolocal: DynamoDB Local exited during start-up: %s\n%s", s.cmd.ProcessState, s.output.String())
		case <-ctx.Done():
			return fmt.Errorf("dynamolocal: DynamoDB Local did not answer at %s: %w\n%s", s.URL, ctx.Err(), s.output.String())
		case <-time.After(pollEvery):
		}
	}
}

// warmUp runs every kind of request the stores make once, through the
// stores themselves, on tables it then drops. A fresh JVM serves each kind
// the first time 20 to 50 times slower than the next (class loading, C1
// compilation): half a second and more on a loaded machine, past the
// stores' 1 s call bound, which a test's first request would otherwise
// trip over.
func (s *Server) warmUp(ctx context.Context) error {
	c := s.client()
	suffix := RandomName()
	revTable, usersTable := "warmup-revocations-"+suffix, "warmup-users-"+suffix
	if err := dynamostore.CreateTables(ctx, c, revTable, usersTable); err != nil {
		return fmt.Errorf("dynamolocal: warm up: %w", err)
	}
	rev, thr, us := dynamostore.NewRevocations(c, revTable), dynamostore.NewThrottle(c, revTable), dynamostore.NewUsers(c, usersTable)
	now := time.Now()
	life := revocation.Lifetimes{RefreshTTL: time.Minute}
	rec := life.Consumed("warmup", now.Add(time.Minute), now)
	steps := []func() error{
		func() error { return us.Add(ctx, users.User{Name: "warmup", PasswordHash: "-"}) },
		func() error { _, err := us.Get(ctx, "warmup"); return err },
		func() error { _, err := us.SetPassword(ctx, "warmup", "-", now); return err },
		func() error { _, err := us.NewGeneration(ctx, "warmup"); return err },
		func() error { _, err := us.List(ctx); return err },
		func() error {
			_, err := thr.Reserve(ctx, "warmup", throttle.NewPolicy(5, time.Minute), now, now.Add(time.Minute))
			return err
		},
		func() error { return thr.Release(ctx, "warmup") },
		func() error { return thr.Reset(ctx, "warmup") },
		func() error { _, _, err := rev.Consume(ctx, rec); return err },
		func() error { return rev.Put(ctx, life.Session("warmup", now)) },
		func() error { return rev.Put(ctx, life.UserCutOff("warmup", 1, now)) },
		func() error { _, err := rev.Lookup(ctx, rec.Key, "warmup-2"); return err },
		func() error {
			_, _, err := dynamostore.NewRefreshReads(rev, us).ReadForRefresh(ctx, "warmup", rec.Key)
			return err
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("dynamolocal: warm up, step %d: %w", i+1, err)
		}
	}
	for _, name := range []string{revTable, usersTable} {
		if _, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)}); err != nil {
			return fmt.Errorf("dynamolocal: warm up: drop %s: %w", name, err)
		}
	}
	return nil
}

// Close stops the server. It is safe to call more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
}

// Start launches a server for t alone and stops it when t ends. It fails t
// when the server cannot start.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := Launch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Main launches one server for a whole test binary, stores it in *srv, runs
// the tests and stops the server; its result is the exit code for os.Exit.
// A server that cannot start fails the binary (exit 1) with the reason.
func Main(m *testing.M, srv **Server) int {
	s, err := Launch(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		return 1
	}
	defer s.Close()
	*srv = s
	return m.Run()
}

// Client returns a client for the server, signed with dummy credentials in
// us-east-1 and independent of the caller's AWS configuration. optFns
// adjust it (add middleware, say).
func (s *Server) Client(t testing.TB, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	t.Helper()
	return s.client(optFns...)
}

func (s *Server) client(optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:                          "us-east-1",
		BaseEndpoint:                    aws.String(s.URL),
		Credentials:                     credentials.NewStaticCredentialsProvider("dummy", "dummy", ""),
		DisableValidateResponseChecksum: true,
	}, optFns...)
}

// CreateTables creates a revocation table and a users table with fresh
// random names through dynamostore.CreateTables, failing t on error, and
// returns the names.
func (s *Server) CreateTables(t testing.TB, client dynamostore.TableAPI) (revocationTable, usersTable string) {
	t.Helper()
	suffix := RandomName()
	revocationTable, usersTable = "revocations-"+suffix, "users-"+suffix
	if err := dynamostore.CreateTables(context.Background(), client, revocationTable, usersTable); err != nil {
		t.Fatalf("create tables: %v", err)
	}
	return revocationTable, usersTable
}

// RandomName returns 16 random hex characters, for unique table names.
func RandomName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// InstallTarget is the make target that installs DynamoDB Local; Launch
// runs it (see package provision) when the jar is missing.
const InstallTarget = "tools-dynamodb"

// javaHint says how to get the one part `make tools-dynamodb` does not
// install.
const javaHint = "DynamoDB Local needs Java 17: apt-get install -y openjdk-17-jre-headless"

// jarDir finds the directory holding DynamoDBLocal.jar: $DYNAMODB_LOCAL_DIR,
// or the repository's .tools/dynamodb-local, where `make tools-dynamodb`
// installs it. A missing jar is installed with that target (which honours
// $DYNAMODB_LOCAL_DIR too), as `make test` would.
func jarDir(ctx context.Context) (string, error) {
	root, rootErr := provision.RepoRoot(".")
	dir := os.Getenv(DirEnv)
	if dir == "" {
		if rootErr != nil {
			return "", fmt.Errorf("%w: %w", ErrNotInstalled, rootErr)
		}
		dir = filepath.Join(root, ".tools", "dynamodb-local")
	}
	jar := filepath.Join(dir, "DynamoDBLocal.jar")
	check := func() error {
		if _, err := os.Stat(jar); err != nil {
			return fmt.Errorf("no DynamoDBLocal.jar in %s", dir)
		}
		return nil
	}
	err := check()
	if err == nil {
		return dir, nil
	}
	if rootErr != nil {
		return "", fmt.Errorf("%w: %w, and no repository to run make %s in: %w", ErrNotInstalled, err, InstallTarget, rootErr)
	}
	if err := provision.Ensure(ctx, root, provision.Tool{Target: InstallTarget, Check: check}); err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotInstalled, err)
	}
	return dir, nil
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("dynamolocal: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
