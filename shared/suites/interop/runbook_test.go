package interop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/jwks"
	"github.com/jwtgate/jwtgate/shared/runtime/lambdaenv"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/testkit/motoserver"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
)

// container is one warm Lambda container's token service, built by the
// functions' own wiring (lambdaenv) on the test's clock.
func container(t *testing.T, getenv config.Getenv, verifier bool, clock func() time.Time) *tokens.Service {
	t.Helper()
	cfg, err := config.Load(getenv, config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	load := lambdaenv.Load
	if verifier {
		load = lambdaenv.LoadVerifier
	}
	d, err := load(context.Background(), cfg, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if d.Config.Tokens.Reload == nil {
		t.Fatal("no Reload: the container would never see a rotation or removal")
	}
	for _, k := range d.Keys {
		if verifier && (k.Private != nil || len(k.Secret) > 0) {
			t.Fatalf("verifier got private key %q", k.ID)
		}
	}
	opts := d.Config.Tokens
	opts.Keys, opts.Clock = d.Keys, clock
	s, err := tokens.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRotationRunbook plays docs/keys.md's rotation of a key pair as an
// operator would, with `jwtgate keys` against Secrets Manager (moto) and the
// public keys table (DynamoDB Local), and warm containers built by the
// functions' wiring: a signer (login/refresh) reading the secret and a
// verifier (authorizer) reading only the public keys. At every step every
// live session keeps working; a retired key stops verifying within
// tokens.DefaultRefreshEvery, without a redeploy or a new container.
func TestRotationRunbook(t *testing.T) {
	ctx := context.Background()
	motoURL := motoserver.Start(t)
	db := dynamolocal.Start(t)
	client := db.Client(t)
	table := "public-keys-" + dynamolocal.RandomName()
	if err := dynamostore.CreatePublicKeysTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	sm := motoserver.SecretsManager(motoURL)
	// What the template creates: a generated plain HMAC secret.
	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("jwtgate-" + dynamolocal.RandomName()),
		SecretString: aws.String("generated-by-cloudformation-0123456789abcdefghijklmnopqrstuvwxyzAB")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)

	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	advance := func(d time.Duration) { now = now.Add(d) }
	const refreshTTL = time.Hour
	env := map[string]string{
		"JWT_ALGORITHM": "EdDSA", "JWT_SECRET_ARN": arn, "JWT_PUBLIC_KEYS_TABLE": table,
		"JWT_REFRESH_TOKEN_EXPIRES": fmt.Sprint(int(refreshTTL.Seconds())),
		"DYNAMODB_ENDPOINT":         db.URL, "AWS_ENDPOINT_URL_SECRETS_MANAGER": motoURL, "LOG_LEVEL": "error",
	}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	jwtgate := func(args ...string) string {
		t.Helper()
		advance(time.Second) // kids name the second they were made
		var stdout, stderr bytes.Buffer
		code := admin.Run(ctx, append(args, "--secret-id", arn, "--public-keys-table", table, "--endpoint", db.URL), admin.Env{
			Stdout: &stdout, Stderr: &stderr, Now: clock,
			NewSecrets: func(context.Context) (admin.SecretsClient, error) { return sm, nil },
			NewClient:  func(context.Context, string) (admin.Client, error) { return client, nil },
		})
		if code != admin.ExitOK {
			t.Fatalf("jwtgate %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
		}
		return stdout.String()
	}
	kidOf := func(tok string) string {
		t.Helper()
		parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
		if err != nil {
			t.Fatal(err)
		}
		kid, _ := parsed.Header["kid"].(string)
		return kid
	}
	published := func(s *tokens.Service) []string {
		t.Helper()
		keys, err := s.PublicKeys()
		if err != nil {
			t.Fatal(err)
		}
		set, err := jwks.EncodeSet(keys)
		if err != nil {
			t.Fatal(err)
		}
		var kids []string
		for _, k := range set.Keys {
			kids = append(kids, k.Kid)
		}
		return kids
	}
	verifies := func(s *tokens.Service, what string, toks ...tokens.Issued) {
		t.Helper()
		for _, tok := range toks {
			if _, err := s.Parse(tok.Token); err != nil {
				t.Fatalf("%s: token of %s (kid %s) refused: %v", what, tok.Claims.Subject, kidOf(tok.Token), err)
			}
		}
	}

	// 0. The first key pair replaces the generated HMAC secret (before any
	// user logs in: an HMAC session would not survive the change).
	out := jwtgate("keys", "rotate", "--algorithm", "EdDSA")
	if !strings.Contains(out, "dropped key") || !strings.Contains(out, "published 1 public keys") {
		t.Fatalf("first rotate: %s", out)
	}
	signer := container(t, getenv, false, clock)
	verifier := container(t, getenv, true, clock)
	keyA := published(verifier)
	if len(keyA) != 1 {
		t.Fatalf("published %v, want one key", keyA)
	}
	alice, err := signer.IssuePair(tokens.Subject{Name: "alice"}, "sid-alice", true)
	if err != nil {
		t.Fatal(err)
	}
	verifies(verifier, "start", alice.Access, alice.Refresh)

	// 1. Generate and publish: key B verifies everywhere, A still signs.
	out = jwtgate("keys", "add", "--algorithm", "EdDSA")
	advance(tokens.DefaultRefreshEvery)
	keyAB := published(verifier)
	if len(keyAB) != 2 || keyAB[0] != keyA[0] {
		t.Fatalf("after keys add: JWKS %v, want %s and the new key (%s)", keyAB, keyA[0], out)
	}
	keyB := keyAB[1]
	bob, err := signer.IssuePair(tokens.Subject{Name: "bob"}, "sid-bob", true)
	if err != nil || kidOf(bob.Access.Token) != keyA[0] {
		t.Fatalf("after keys add the signer signs with %s (%v), want still %s", kidOf(bob.Access.Token), err, keyA[0])
	}
	verifies(verifier, "after add", alice.Access, alice.Refresh, bob.Access)

	// 2. Wait until every cache has B: the JWKS's max-age and the
	// verifiers' refresh.
	advance(jwks.MaxAge*time.Second + tokens.DefaultRefreshEvery)

	// 3. Switch signing: B signs within one refresh period.
	jwtgate("keys", "promote", "--kid", keyB)
	advance(tokens.DefaultRefreshEvery)
	alice2, err := signer.IssuePair(tokens.Subject{Name: "alice"}, "sid-alice", false) // alice refreshes
	if err != nil || kidOf(alice2.Refresh.Token) != keyB {
		t.Fatalf("after promote the signer signs with %s (%v), want %s", kidOf(alice2.Refresh.Token), err, keyB)
	}
	verifies(verifier, "after promote", alice2.Access, alice2.Refresh, bob.Refresh)
	verifies(signer, "after promote (refresh reads its own tokens)", bob.Refresh)

	// 4. Retire A once its last token has expired (refresh lifetime plus
	// leeway after the switch); active users refreshed onto B meanwhile.
	advance(refreshTTL - time.Minute)
	alice3, err := signer.IssuePair(tokens.Subject{Name: "alice"}, "sid-alice", false)
	if err != nil {
		t.Fatal(err)
	}
	verifies(verifier, "before retire", alice2.Refresh, alice3.Access, alice3.Refresh)
	advance(2 * time.Minute) // every A token has now expired
	if code := admin.Run(ctx, []string{"keys", "retire", "--kid", keyB, "--secret-id", arn}, admin.Env{
		NewSecrets: func(context.Context) (admin.SecretsClient, error) { return sm, nil }}); code != admin.ExitFailure {
		t.Errorf("retiring the signing key: exit %d, want %d", code, admin.ExitFailure)
	}
	jwtgate("keys", "retire", "--kid", keyA[0])
	advance(tokens.DefaultRefreshEvery)
	if got := published(verifier); !slices.Equal(got, []string{keyB}) {
		t.Errorf("after retire: JWKS %v, want [%s]", got, keyB)
	}
	verifies(verifier, "after retire: nobody logged out", alice3.Access, alice3.Refresh)
	verifies(signer, "after retire", alice3.Refresh)

	// Emergency removal (issue 12 item 12): B is found compromised. A new key
	// C is rotated in and B retired at once: a token B signed a moment ago
	// still passes for at most one refresh period, then fails everywhere.
	jwtgate("keys", "rotate", "--algorithm", "EdDSA")
	live, err := signer.Issue(tokens.Access, tokens.Subject{Name: "mallory"}, "sid-m", true)
	if err != nil || kidOf(live.Token) != keyB {
		t.Fatalf("signer has not re-read yet: kid %s, %v", kidOf(live.Token), err)
	}
	jwtgate("keys", "retire", "--kid", keyB)
	advance(tokens.DefaultRefreshEvery - 10*time.Second)
	verifies(verifier, "within the stated bound", live)
	advance(10 * time.Second)
	for name, s := range map[string]*tokens.Service{"verifier": verifier, "signer": signer} {
		_, err := s.Parse(live.Token)
		if msg, _ := tokens.Message(err); !errors.Is(err, tokens.ErrUnknownKey) || msg != "Unknown signing key" {
			t.Errorf("%s: removed key after the bound: %v (%q), want Unknown signing key", name, err, msg)
		}
	}
}
