package authorizer_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/shared/runtime/authorizer"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/logging"
	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// benchSecret is a throwaway 32-byte HS256 key.
const benchSecret = "bench-secret-0123456789abcdef-0123456789"

// benchFixture is one authorizer wired as handlers.New wires it (Lambda-mode
// configuration, in-memory revocation store, JSON logger), a valid session
// and the REST REQUEST event of testdata/rest-request.json carrying its
// cookies.
type benchFixture struct {
	authz *authorizer.Authorizer
	plain *authorizer.Authorizer // authz without metrics
	ts    *tokens.Service
	pair  tokens.Pair
	event events.APIGatewayCustomAuthorizerRequestTypeRequest
	slim  authorizer.RESTEvent // the same event as the function decodes it
	raw   []byte               // the event as the Lambda runtime hands it over
	// verify is the authorizer's key: the HMAC secret, or the public key.
	verify tokens.Key
}

func newBenchFixture(tb testing.TB, logOut io.Writer, envKV ...string) benchFixture {
	tb.Helper()
	env := map[string]string{"JWT_SECRET_KEY": benchSecret}
	for i := 0; i+1 < len(envKV); i += 2 {
		env[envKV[i]] = envKV[i+1]
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, config.Lambda)
	if err != nil {
		tb.Fatal(err)
	}
	topts := cfg.Tokens
	topts.Keys = []tokens.Key{{Secret: []byte(benchSecret)}}
	signing := topts.Keys
	if alg := cfg.Tokens.Algorithm; tokens.Asymmetric(alg) {
		// The authorizer holds the public key only, as
		// lambdaenv.LoadVerifier gives it; the session is signed with the
		// private key.
		k, err := tokens.GenerateKey(alg, "bench")
		if err != nil {
			tb.Fatal(err)
		}
		topts.Keys, signing = []tokens.Key{k.PublicOnly()}, []tokens.Key{k}
	}
	ts, err := tokens.New(topts)
	if err != nil {
		tb.Fatal(err)
	}
	sopts := topts
	sopts.Keys = signing
	signer, err := tokens.New(sopts)
	if err != nil {
		tb.Fatal(err)
	}
	// As lambdaenv wires it: a logger and an EMF line per decision (both
	// to logOut, io.Discard here, so the syscall of a real write is not
	// timed for either).
	revs := revocation.NewMemoryStore(nil)
	a := authorizer.New(cfg, ts, revs, authorizer.WithLogger(logging.New(logOut, cfg.LogLevel)),
		authorizer.WithMetrics(metrics.NewEmitter(logOut, "bench", "authorizer")))
	plain := authorizer.New(cfg, ts, revs, authorizer.WithLogger(logging.New(logOut, cfg.LogLevel)))
	sub := tokens.Subject{Name: "testuser", Roles: []string{"user"}}
	if env["JWTGATE_USER_CLAIMS"] != "" {
		// A user with own claims, one of them passed on (DecideUserClaims).
		sub.Claims = map[string]string{"tenant": "acme", "plan": "pro"}
	}
	pair, err := signer.IssuePair(sub, ts.NewID(), true)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl, err := os.ReadFile("testdata/rest-request.json")
	if err != nil {
		tb.Fatal(err)
	}
	raw := []byte(strings.NewReplacer(
		"${ACCESS_TOKEN}", pair.Access.Token, "${ACCESS_CSRF}", pair.Access.Claims.CSRF,
		"${REFRESH_TOKEN}", pair.Refresh.Token, "${REFRESH_CSRF}", pair.Refresh.Claims.CSRF,
	).Replace(string(tmpl)))
	var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		tb.Fatal(err)
	}
	var slim authorizer.RESTEvent
	if err := json.Unmarshal(raw, &slim); err != nil {
		tb.Fatal(err)
	}
	return benchFixture{authz: a, plain: plain, ts: ts, pair: pair, event: ev, slim: slim, raw: raw, verify: topts.Keys[0]}
}

// benchCheckAllow fails tb unless resp is an Allow of testuser with its context.
func benchCheckAllow(tb testing.TB, resp events.APIGatewayCustomAuthorizerResponse, err error) {
	tb.Helper()
	checkAllow(tb, resp.PrincipalID, resp.PolicyDocument, resp.Context["sub"], resp, err)
}

// benchCheckAllowSlim is benchCheckAllow for the function's own response type.
func benchCheckAllowSlim(tb testing.TB, resp authorizer.RESTResponse, err error) {
	tb.Helper()
	checkAllow(tb, resp.PrincipalID, resp.PolicyDocument, resp.Context.Subject, resp, err)
}

func checkAllow(tb testing.TB, principal string, p events.APIGatewayCustomAuthorizerPolicy, sub, resp any, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	if principal != "testuser" || len(p.Statement) != 1 || p.Statement[0].Effect != "Allow" || sub != "testuser" {
		tb.Fatalf("want Allow for testuser, got %+v", resp)
	}
}

// TestBenchFixtureAllows keeps the benchmarks honest: the event they time
// is allowed, through the struct and through the JSON path.
func TestBenchFixtureAllows(t *testing.T) {
	f := newBenchFixture(t, io.Discard)
	t.Run("struct", func(t *testing.T) {
		resp, err := f.authz.RESTSlim(context.Background(), f.slim)
		benchCheckAllowSlim(t, resp, err)
	})
	t.Run("events types", func(t *testing.T) {
		resp, err := f.authz.REST(context.Background(), f.event)
		benchCheckAllow(t, resp, err)
	})
	t.Run("json", func(t *testing.T) {
		out, err := lambda.NewHandler(f.authz.REST).Invoke(context.Background(), f.raw)
		if err != nil {
			t.Fatal(err)
		}
		var resp events.APIGatewayCustomAuthorizerResponse
		err = json.Unmarshal(out, &resp)
		benchCheckAllow(t, resp, err)
	})
}

// BenchmarkDecide is one authorizer decision on a valid cookie as the
// function makes it: the REST event struct in (authorizer.RESTEvent, what
// the function decodes), the response struct out, with the revocation
// lookup in memory and the logger at the default level (info: an allow is
// not logged, see Authorizer.record).
func BenchmarkDecide(b *testing.B) {
	f := newBenchFixture(b, io.Discard)
	ctx := context.Background()
	benchDecisions(b, func() (authorizer.RESTResponse, error) { return f.authz.RESTSlim(ctx, f.slim) }, benchCheckAllowSlim)
}

// BenchmarkDecideNoMetrics is Decide without its EMF line: the line's
// price is the difference.
func BenchmarkDecideNoMetrics(b *testing.B) {
	f := newBenchFixture(b, io.Discard)
	ctx := context.Background()
	benchDecisions(b, func() (authorizer.RESTResponse, error) { return f.plain.RESTSlim(ctx, f.slim) }, benchCheckAllowSlim)
}

// BenchmarkDecideEventsTypes is the same decision through REST, which takes
// and returns aws-lambda-go's types: the adapter's copies on top.
func BenchmarkDecideEventsTypes(b *testing.B) {
	f := newBenchFixture(b, io.Discard)
	ctx := context.Background()
	benchDecisions(b, func() (events.APIGatewayCustomAuthorizerResponse, error) { return f.authz.REST(ctx, f.event) }, benchCheckAllow)
}

// BenchmarkDecideLogged is Decide with LOG_LEVEL=debug, so that every
// allow formats its JSON log line (to io.Discard): the price of that line.
func BenchmarkDecideLogged(b *testing.B) {
	f := newBenchFixture(b, io.Discard, "LOG_LEVEL", "debug")
	ctx := context.Background()
	benchDecisions(b, func() (authorizer.RESTResponse, error) { return f.authz.RESTSlim(ctx, f.slim) }, benchCheckAllowSlim)
}

// BenchmarkDecideUserClaims is Decide with JWTGATE_USER_CLAIMS=tenant on
// a token of a user with two own claims: the price of the extra decode of
// the named claims and of the context's claims value. Without the setting
// Decide decodes none (BenchmarkDecide's token carries none either).
func BenchmarkDecideUserClaims(b *testing.B) {
	f := newBenchFixture(b, io.Discard, "JWTGATE_USER_CLAIMS", "tenant")
	ctx := context.Background()
	benchDecisions(b, func() (authorizer.RESTResponse, error) { return f.authz.RESTSlim(ctx, f.slim) },
		func(tb testing.TB, resp authorizer.RESTResponse, err error) {
			tb.Helper()
			benchCheckAllowSlim(tb, resp, err)
			if resp.Context.Claims != `{"tenant":"acme"}` {
				tb.Fatalf("context claims %q, want tenant only", resp.Context.Claims)
			}
		})
}

// benchDecisions times call, after and before checking its answer.
func benchDecisions[R any](b *testing.B, call func() (R, error), check func(testing.TB, R, error)) {
	resp, err := call()
	check(b, resp, err)
	b.ReportAllocs()
	done := cpuPerOp(b)
	for b.Loop() {
		resp, err = call()
	}
	done()
	check(b, resp, err)
}

// BenchmarkBaselineParseWithClaims is golang-jwt verifying the same token
// with the same key into the same claims type: the floor under Decide.
func BenchmarkBaselineParseWithClaims(b *testing.B) { benchBaseline(b, "HS256") }

// Decide and its ParseWithClaims floor per key pair algorithm: the
// authorizer holding only the public key.
func BenchmarkDecideEdDSA(b *testing.B)                  { benchDecideAlg(b, "EdDSA") }
func BenchmarkDecideES256(b *testing.B)                  { benchDecideAlg(b, "ES256") }
func BenchmarkDecideRS256(b *testing.B)                  { benchDecideAlg(b, "RS256") }
func BenchmarkBaselineParseWithClaimsEdDSA(b *testing.B) { benchBaseline(b, "EdDSA") }
func BenchmarkBaselineParseWithClaimsES256(b *testing.B) { benchBaseline(b, "ES256") }
func BenchmarkBaselineParseWithClaimsRS256(b *testing.B) { benchBaseline(b, "RS256") }

func benchDecideAlg(b *testing.B, alg string) {
	f := newBenchFixture(b, io.Discard, "JWT_ALGORITHM", alg)
	ctx := context.Background()
	benchDecisions(b, func() (authorizer.RESTResponse, error) { return f.authz.RESTSlim(ctx, f.slim) }, benchCheckAllowSlim)
}

func benchBaseline(b *testing.B, alg string) {
	f := newBenchFixture(b, io.Discard, "JWT_ALGORITHM", alg)
	p := jwt.NewParser(jwt.WithValidMethods([]string{alg}))
	// As a caller of golang-jwt writes it: the key converted to any per call.
	keyFunc := func(*jwt.Token) (any, error) { return f.verify.Public, nil }
	if !tokens.Asymmetric(alg) {
		key := f.verify.Secret
		keyFunc = func(*jwt.Token) (any, error) { return key, nil }
	}
	b.ReportAllocs()
	var c tokens.Claims
	done := cpuPerOp(b)
	for b.Loop() {
		c = tokens.Claims{}
		if _, err := p.ParseWithClaims(f.pair.Access.Token, &c, keyFunc); err != nil {
			b.Fatal(err)
		}
	}
	done()
	if c.Subject != "testuser" {
		b.Fatalf("parsed %+v", c)
	}
}

// BenchmarkInvokeJSON is the authorizer as the Lambda runtime calls it:
// event JSON bytes in, response JSON bytes out.
func BenchmarkInvokeJSON(b *testing.B) {
	f := newBenchFixture(b, io.Discard)
	benchInvoke(b, lambda.NewHandler(f.authz.REST), f.raw)
}

// BenchmarkInvokeJSONNoop is the runtime's JSON work alone: the same event
// decoded into the same type and a typical Allow response (built once)
// encoded, with no decision in between.
func BenchmarkInvokeJSONNoop(b *testing.B) {
	f := newBenchFixture(b, io.Discard)
	ctx := context.Background()
	canned, err := f.authz.REST(ctx, f.event)
	benchCheckAllow(b, canned, err)
	h := lambda.NewHandler(func(_ context.Context, _ events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
		return canned, nil
	})
	benchInvoke(b, h, f.raw)
}

// benchInvoke times h on the event JSON raw, as the Lambda runtime calls it.
func benchInvoke(b *testing.B, h lambda.Handler, raw []byte) {
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	done := cpuPerOp(b)
	for b.Loop() {
		if _, err := h.Invoke(ctx, raw); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

// cpuPerOp reports, when the returned func is called after the loop, the
// process CPU time (user + system, GC workers included) per iteration as
// cpu-ns/op. On a shared machine ns/op also counts the time the benchmark
// waited for a CPU; cpu-ns/op does not, so ratios stay comparable.
func cpuPerOp(b *testing.B) func() {
	start := processCPU(b)
	return func() {
		b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTokensParse is tokens.Service.Parse on the same token: the
// library call plus jwtgate's key selection and claim checks, to split
// Decide's overhead between verification and the rest.
func BenchmarkTokensParse(b *testing.B) {
	f := newBenchFixture(b, io.Discard)
	b.ReportAllocs()
	done := cpuPerOp(b)
	for b.Loop() {
		if _, err := f.ts.Parse(f.pair.Access.Token); err != nil {
			b.Fatal(err)
		}
	}
	done()
}

// BenchmarkInvokeJSONSlim is the invoke path the Lambda function runs:
// the event decoded into authorizer.RESTEvent (the rest is skipped).
func BenchmarkInvokeJSONSlim(b *testing.B) {
	f := newBenchFixture(b, io.Discard)
	h := lambda.NewHandler(f.authz.RESTSlim)
	ctx := context.Background()
	out, err := h.Invoke(ctx, f.raw)
	if err != nil {
		b.Fatal(err)
	}
	var resp events.APIGatewayCustomAuthorizerResponse
	err = json.Unmarshal(out, &resp)
	benchCheckAllow(b, resp, err)
	benchInvoke(b, h, f.raw)
}

// BenchmarkInvokeJSONSlimNoop is the runtime's JSON work of the slim path
// alone: the event decoded into authorizer.RESTEvent and a typical Allow
// (built once) encoded, with no decision in between.
func BenchmarkInvokeJSONSlimNoop(b *testing.B) {
	f := newBenchFixture(b, io.Discard)
	ctx := context.Background()
	canned, err := f.authz.RESTSlim(ctx, f.slim)
	benchCheckAllowSlim(b, canned, err)
	h := lambda.NewHandler(func(context.Context, authorizer.RESTEvent) (authorizer.RESTResponse, error) {
		return canned, nil
	})
	benchInvoke(b, h, f.raw)
}
