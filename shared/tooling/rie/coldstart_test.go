package rie_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/testkit/motoserver"
	"github.com/jwtgate/jwtgate/shared/tooling/rie"
)

// coldStartCase is one row of the report: a function, the one invoke each
// cold start serves (placeholders left unfilled: the token-reading
// functions deny quickly, which is the init path plus their cheapest
// request), and where its keys come from.
type coldStartCase struct {
	function, event string
	// keys labels the key source of the authorizer variants; env is what
	// they set over the pool's environment (filled in by TestColdStart).
	keys string
}

// label is the report's row name.
func (c coldStartCase) label() string {
	if c.keys == "" {
		return c.function
	}
	return c.function + " " + c.keys
}

// Key sources of the authorizer variants.
const (
	keysEnvHMAC = "HS256, JWT_SECRET_KEY"
	keysSMHMAC  = "HS256, Secrets Manager"
	keysEdDSA   = "EdDSA, public keys table"
	keysES256   = "ES256, public keys table"
	keysRS256   = "RS256, public keys table"
)

var coldStartEvents = []coldStartCase{
	{rie.HelloFunction, "", ""},
	{rie.SDKFloorFunction, "", ""},
	{handlers.LoginFunction, "login.json", ""},
	{handlers.RefreshFunction, "refresh.json", ""},
	{handlers.LogoutFunction, "logout.json", ""},
	{handlers.PasswordFunction, "password.json", ""},
	{handlers.ProtectedFunction, "protected.json", ""},
	{handlers.JwksFunction, "jwks.json", ""},
	// The authorizer with each key source: HMAC from the environment (what
	// every other row uses), HMAC from Secrets Manager (moto_server: the
	// client and one GetSecretValue), and each key pair algorithm reading
	// its public keys with the DynamoDB client (no Secrets Manager client).
	{handlers.AuthorizerFunction, "authorizer.json", keysEnvHMAC},
	{handlers.AuthorizerFunction, "authorizer.json", keysSMHMAC},
	{handlers.AuthorizerFunction, "authorizer.json", keysEdDSA},
	{handlers.AuthorizerFunction, "authorizer.json", keysES256},
	{handlers.AuthorizerFunction, "authorizer.json", keysRS256},
}

// TestColdStart measures, for every function and the two baselines (hello
// world, the SDK floor), the emulator's init duration and the bootstrap's
// peak RSS over N cold starts (JWTGATE_COLDSTART_N, default 5), and writes
// the medians and the ratios to both baselines as a Markdown table
// (JWTGATE_COLDSTART_REPORT, default in the temp dir). Each round gets fresh
// tables, so every sample serves the same request (a password change in one
// round would otherwise turn the next rounds' logins into failures and
// lockouts). Timing depends on the machine: nothing is asserted about it,
// only that every number was recorded.
func TestColdStart(t *testing.T) {
	n := 5
	if v, err := strconv.Atoi(os.Getenv("JWTGATE_COLDSTART_N")); err == nil && v > 0 {
		n = v
	}
	report := os.Getenv("JWTGATE_COLDSTART_REPORT")
	if report == "" {
		report = filepath.Join(os.TempDir(), "jwtgate-coldstart.md")
	}
	fns, err := rie.FromTemplate(templateWithHello(t), bootstraps)
	if err != nil {
		t.Fatal(err)
	}
	// Rounds are interleaved (each round starts every function once, the
	// baselines first), so load drift on a shared machine hits a function and
	// the baseline alike; the ratio reported is the median of the per-round
	// ratios (paired), beside the medians themselves.
	inits := make([][]time.Duration, len(coldStartEvents))
	rsss := make([][]uint64, len(coldStartEvents))
	ratios := make([][]float64, len(coldStartEvents))
	floorRatios := make([][]float64, len(coldStartEvents))
	payloads := make([][]byte, len(coldStartEvents))
	for j, c := range coldStartEvents {
		payloads[j] = []byte(`{}`)
		if c.event != "" {
			payloads[j] = readEvent(t, c.event)
		}
	}
	keyEnv := coldStartKeys(t)
	for i := 0; i < n; i++ {
		rev, us, _ := tables(t)
		for j, c := range coldStartEvents {
			env := rie.LocalEnv(db.URL, rev, us, testSecret)
			for k, v := range keyEnv[c.keys] {
				env[k] = v
			}
			// A new pool is a new instance: every sample is a cold start.
			pool, err := rie.NewPool(rie.Options{Emulator: emulator, Functions: fns, Env: env})
			if err != nil {
				t.Fatal(err)
			}
			_, err = pool.Invoke(context.Background(), c.function, payloads[j])
			_ = pool.Close()
			if err != nil {
				t.Fatalf("%s: %v", c.label(), err)
			}
			st := pool.Stats()
			if len(st) != 1 || st[0].Init <= 0 || st[0].PeakRSS == 0 {
				t.Fatalf("%s: stats not recorded: %+v", c.label(), st)
			}
			inits[j], rsss[j] = append(inits[j], st[0].Init), append(rsss[j], st[0].PeakRSS)
			ratios[j] = append(ratios[j], float64(st[0].Init)/float64(inits[0][i]))
			if j > 0 { // coldStartEvents[1] is the SDK floor, started just before
				floorRatios[j] = append(floorRatios[j], float64(st[0].Init)/float64(inits[1][i]))
			}
		}
	}
	helloRSS := median(rsss[0])
	var b strings.Builder
	fmt.Fprintf(&b, "Cold starts under aws-lambda-rie (%d interleaved rounds, GOARCH=%s, %s, load average %s)\n\n",
		n, goarch(), time.Now().UTC().Format("2006-01-02"), loadAverage())
	b.WriteString("| Function | Init median (ms) | Init min (ms) | x hello | x SDK floor | Peak RSS (MB) | x hello |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for j, c := range coldStartEvents {
		floor := "-"
		if j > 0 {
			floor = fmt.Sprintf("%.2f", median(floorRatios[j]))
		}
		fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.2f | %s | %.1f | %.2f |\n", c.label(),
			float64(median(inits[j]).Microseconds())/1000, float64(slices.Min(inits[j]).Microseconds())/1000,
			median(ratios[j]), floor, float64(median(rsss[j]))/(1<<20), float64(median(rsss[j]))/float64(helloRSS))
	}
	b.WriteString("\nx hello and x SDK floor are medians of per-round ratios (each round starts every function once).\n")
	b.WriteString("Rows without a key source read an HS256 key from JWT_SECRET_KEY.\n")
	t.Log("\n" + b.String())
	if err := os.MkdirAll(filepath.Dir(report), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(report, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// templateWithHello adds the baseline functions (no environment) to the
// template FromTemplate reads.
func templateWithHello(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var extra string
	for _, id := range []string{rie.HelloFunction, rie.SDKFloorFunction} {
		extra += "\n  " + id + ":\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n"
	}
	s := strings.Replace(string(b), "\nResources:\n", "\nResources:"+extra, 1)
	return []byte(s)
}

func median[T int64 | uint64 | float64 | time.Duration](xs []T) T {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// loadAverage is the 1-, 5- and 15-minute load of the machine, for the
// report: timings on a busy machine are read with it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func goarch() string { return runtime.GOARCH }

// coldStartKeys prepares the authorizer variants' key sources and returns
// each one's environment: the HMAC secret in moto_server's Secrets Manager,
// and for each key pair algorithm a public keys table on DynamoDB Local
// holding a published set (what `jwtgate keys rotate --public-keys-table`
// writes).
func coldStartKeys(t *testing.T) map[string]map[string]string {
	t.Helper()
	ctx := context.Background()
	moto := motoserver.Start(t)
	created, err := motoserver.SecretsManager(moto).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("coldstart-" + dynamolocal.RandomName()), SecretString: aws.String(testSecret)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{
		keysSMHMAC: {"JWT_SECRET_KEY": "", "JWT_SECRET_ARN": aws.ToString(created.ARN), "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto},
	}
	client := db.Client(t)
	for keys, alg := range map[string]string{keysEdDSA: "EdDSA", keysES256: "ES256", keysRS256: "RS256"} {
		k, err := tokens.GenerateKey(alg, "coldstart")
		if err != nil {
			t.Fatal(err)
		}
		pub, err := secret.PublicSet([]tokens.Key{k})
		if err != nil {
			t.Fatal(err)
		}
		table := "public-keys-" + dynamolocal.RandomName()
		if err := dynamostore.CreatePublicKeysTable(ctx, client, table); err != nil {
			t.Fatal(err)
		}
		if err := dynamostore.NewPublicKeys(client, table).Put(ctx, pub.JSON(), time.Now()); err != nil {
			t.Fatal(err)
		}
		out[keys] = map[string]string{"JWT_SECRET_KEY": "", "JWT_ALGORITHM": alg, "JWT_PUBLIC_KEYS_TABLE": table}
	}
	return out
}
