package admin

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// EnvPublicKeysTable names the public keys table (the template's
// PublicKeysTable output), as the functions read it.
const EnvPublicKeysTable = "JWT_PUBLIC_KEYS_TABLE"

// SecretsClient is what `jwtgate keys rotate --secret-id` needs of Secrets
// Manager.
type SecretsClient interface {
	secret.SecretsAPI
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

func defaultSecrets(ctx context.Context) (SecretsClient, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return secretsmanager.NewFromConfig(cfg), nil
}

// newKey makes the next key: an HMAC secret for HS*, a key pair otherwise.
func newKey(alg string, env Env) (secret.KeyEntry, error) {
	if err := tokens.CheckAlgorithm(alg); err != nil {
		return secret.KeyEntry{}, usagef("--algorithm: %v", err)
	}
	if tokens.Asymmetric(alg) {
		return secret.NewKeyPair(alg, env.Now())
	}
	return secret.NewKey(env.Now())
}

// keysGenerate prints a new key set of one key: a value for JWT_SECRET_KEY
// or a Secrets Manager secret.
func keysGenerate(args []string, env Env) error {
	fs := flag.NewFlagSet("keys generate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	alg := fs.String("algorithm", tokens.DefaultAlgorithm, "JWT_ALGORITHM the key is for")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	k, err := newKey(*alg, env)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.Stdout, secret.KeySet{Keys: []secret.KeyEntry{k}}.JSON())
	return err
}

// keySource is where a key set lives: a Secrets Manager secret or a file,
// and optionally the public keys table it is published to.
type keySource struct {
	secretID, file, stack, publicTable, endpoint string
	sm                                           SecretsClient
	// missingOK reads a --file that does not exist as an empty set, for
	// the command that can start one (keys import).
	missingOK bool
}

func keyFlags(name string, env Env) (*flag.FlagSet, *keySource) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	ks := &keySource{}
	fs.StringVar(&ks.secretID, "secret-id", "", "Secrets Manager secret (ARN or name) holding the keys")
	fs.StringVar(&ks.file, "file", "", "file holding the keys (for JWT_SECRET_KEY)")
	fs.StringVar(&ks.stack, "stack", env.Getenv(EnvStack), "deployed stack whose outputs name the secret")
	fs.StringVar(&ks.publicTable, "public-keys-table", env.Getenv(EnvPublicKeysTable), "DynamoDB table verifiers read the public keys from")
	fs.StringVar(&ks.endpoint, "endpoint", env.Getenv("DYNAMODB_ENDPOINT"), "DynamoDB endpoint URL (DynamoDB Local)")
	return fs, ks
}

func (ks *keySource) name() string {
	if ks.file != "" {
		return ks.file
	}
	return ks.secretID
}

func (ks *keySource) read(ctx context.Context, env Env) (string, error) {
	if ks.secretID == "" && ks.file == "" && ks.stack != "" {
		cf, err := env.NewStackClient(ctx)
		if err != nil {
			return "", err
		}
		st, err := describeStack(ctx, cf, ks.stack)
		if err != nil {
			return "", err
		}
		ks.secretID = st.arn
		// The verifiers read the public keys table, not the secret: a key
		// rotated or retired in the secret alone would sign tokens nobody
		// verifies, or keep verifying after its removal.
		if ks.publicTable == "" {
			ks.publicTable = st.publicKeysTable
		}
	}
	if (ks.secretID == "") == (ks.file == "") {
		return "", usagef("want exactly one of --secret-id, --stack or --file")
	}
	if ks.file != "" {
		raw, err := os.ReadFile(ks.file)
		if ks.missingOK && errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		return string(raw), err
	}
	sm, err := env.NewSecrets(ctx)
	if err != nil {
		return "", err
	}
	ks.sm = sm
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(ks.secretID)})
	if err != nil {
		return "", fmt.Errorf("read secret %s: %w", ks.secretID, err)
	}
	return aws.ToString(out.SecretString), nil
}

// write stores set, then publishes its public half when a public keys
// table is named. The secret is written first: a verifier that reads the
// new public set before a signer reads the new secret only knows one key
// more than it needs.
func (ks *keySource) write(ctx context.Context, env Env, set secret.KeySet) error {
	if ks.file != "" {
		if err := os.WriteFile(ks.file, []byte(set.JSON()+"\n"), 0o600); err != nil {
			return err
		}
	} else if _, err := ks.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(ks.secretID), SecretString: aws.String(set.JSON())}); err != nil {
		return fmt.Errorf("write secret %s: %w", ks.secretID, err)
	}
	return ks.publish(ctx, env, set)
}

func (ks *keySource) publish(ctx context.Context, env Env, set secret.KeySet) error {
	keys, err := secret.Parse(set.JSON(), config.Lambda)
	if err != nil {
		return err
	}
	if ks.publicTable == "" {
		for _, k := range keys {
			if tokens.Asymmetric(k.Algorithm) {
				// Verifiers of a key pair read the public keys table, not the
				// secret: without it they keep every key this change dropped.
				fmt.Fprintln(env.Stderr, "jwtgate: warning: key pairs but no public keys table (--public-keys-table, --stack or "+
					EnvPublicKeysTable+"): verifiers still hold the previous public keys until `jwtgate keys publish` runs")
				break
			}
		}
		return nil
	}
	pub, err := secret.PublicSet(keys)
	if err != nil {
		return err
	}
	client, err := env.NewClient(ctx, ks.endpoint)
	if err != nil {
		return err
	}
	if err := dynamostore.NewPublicKeys(client, ks.publicTable).Put(ctx, pub.JSON(), env.Now()); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "published %d public keys to %s\n", len(pub.Keys), ks.publicTable)
	return nil
}

// sameFamily keeps the keys of next's algorithm: a set mixes no HMAC
// secret with key pairs, since verifiers of a key pair never hold the
// secret. Moving from HS* to a key pair therefore ends the HMAC sessions.
func sameFamily(set secret.KeySet, next secret.KeyEntry, env Env) secret.KeySet {
	out := secret.KeySet{Keys: []secret.KeyEntry{}}
	for _, e := range set.Keys {
		if e.Alg == next.Alg {
			out.Keys = append(out.Keys, e)
		} else {
			fmt.Fprintf(env.Stdout, "dropped key %s (%s): tokens it signed stop verifying\n", e.KID, cmp.Or(e.Alg, "HMAC"))
		}
	}
	return out
}

// keysRotate puts a new signing key in front of the key set in Secrets
// Manager (--secret-id) or a file (--file), keeping the previous keys for
// verification so nobody is logged out. Running functions pick the new key
// up within tokens.DefaultRefreshEvery, or the first time they see a token
// that names it.
func keysRotate(ctx context.Context, args []string, env Env) error {
	fs, ks := keyFlags("keys rotate", env)
	keep := fs.Int("keep", 2, "keys to keep in all (the new one included, at least 2)")
	alg := fs.String("algorithm", tokens.DefaultAlgorithm, "JWT_ALGORITHM of the new key")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	next, err := newKey(*alg, env)
	if err != nil {
		return err
	}
	raw, err := ks.read(ctx, env)
	if err != nil {
		return err
	}
	set, err := secret.Rotate(raw, next, *keep)
	if err != nil {
		return err
	}
	// --keep drops the oldest keys, and the sessions they signed end: say
	// which, or an operator who needed one (after a migration the set
	// holds the imported key and the stack's own) learns it from users
	// logged out.
	if before, err := secret.Parse(raw, config.Lambda); err == nil {
		for _, k := range before {
			if !slices.ContainsFunc(set.Keys, func(e secret.KeyEntry) bool { return e.KID == k.ID }) {
				fmt.Fprintf(env.Stdout, "dropped key %s (--keep %d): tokens it signed stop verifying\n", k.ID, *keep)
			}
		}
	}
	set = sameFamily(set, next, env)
	if err := ks.write(ctx, env, set); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "rotated %s: new signing key %s, %d keys kept\n", ks.name(), next.KID, len(set.Keys))
	return nil
}

// keysAdd adds a new key pair that verifies but does not sign yet, and
// publishes it: step 1 of the runbook, so every verifier (and every JWKS
// cache) knows the key before a token names it.
func keysAdd(ctx context.Context, args []string, env Env) error {
	fs, ks := keyFlags("keys add", env)
	alg := fs.String("algorithm", "", "JWT_ALGORITHM of the new key (EdDSA, ES256, RS256)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if !tokens.Asymmetric(*alg) {
		return usagef("keys add: --algorithm must be an asymmetric algorithm (EdDSA, ES256, RS256); for HMAC use keys rotate")
	}
	next, err := newKey(*alg, env)
	if err != nil {
		return err
	}
	raw, err := ks.read(ctx, env)
	if err != nil {
		return err
	}
	set, err := secret.Add(raw, next)
	if err != nil {
		return err
	}
	if err := ks.write(ctx, env, set); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "added %s to %s: verifies now, signs after `keys promote --kid %s`\n", next.KID, ks.name(), next.KID)
	return nil
}

// keysPromote makes --kid the signing key (runbook step 2).
func keysPromote(ctx context.Context, args []string, env Env) error {
	return keysEdit(ctx, "keys promote", args, env, secret.Promote, "signs from now on")
}

// keysRetire removes --kid (runbook step 3; also the emergency removal of
// a compromised key, effective within tokens.DefaultRefreshEvery).
func keysRetire(ctx context.Context, args []string, env Env) error {
	return keysEdit(ctx, "keys retire", args, env, secret.Retire, "removed: tokens it signed stop verifying")
}

func keysEdit(ctx context.Context, name string, args []string, env Env, edit func(raw, kid string) (secret.KeySet, error), done string) error {
	fs, ks := keyFlags(name, env)
	kid := fs.String("kid", "", "key id")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *kid == "" {
		return usagef("%s: --kid is required", name)
	}
	raw, err := ks.read(ctx, env)
	if err != nil {
		return err
	}
	set, err := edit(raw, *kid)
	if err != nil {
		return err
	}
	if err := ks.write(ctx, env, set); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %s %s\n", ks.name(), *kid, done)
	return nil
}

// keysPublish writes the public half of the key set to the public keys
// table (after a deploy, or to repair it).
func keysPublish(ctx context.Context, args []string, env Env) error {
	fs, ks := keyFlags("keys publish", env)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	raw, err := ks.read(ctx, env) // names the table too, with --stack
	if err != nil {
		return err
	}
	if ks.publicTable == "" {
		return usagef("keys publish: --public-keys-table (or %s, or --stack) is required", EnvPublicKeysTable)
	}
	keys, err := secret.Parse(raw, config.Lambda)
	if err != nil {
		return err
	}
	set := secret.KeySet{}
	for _, k := range keys {
		e, err := secret.Entry(k)
		if err != nil {
			return err
		}
		set.Keys = append(set.Keys, e)
	}
	return ks.publish(ctx, env, set)
}

// maxImportedKey bounds what keys import reads from stdin: an HMAC key is
// a short string; more is a wrong file piped in. maxImportedPEM is the
// same for a PEM private key (an RSA 8192-bit key is about 6.4 KB).
const (
	maxImportedKey = 4096
	maxImportedPEM = 16 << 10
)

// keysImport puts the key another app signs with in front of the key set,
// so that during a migration both apps sign with it and verify each
// other's tokens, and the keys already in the set still verify: the HMAC
// key (the Flask app's JWT_SECRET_KEY) for HS*, the PEM private key (its
// JWT_PRIVATE_KEY) for EdDSA, ES256 and RS256. The key is read from stdin,
// never from the command line, where process lists and shell history would
// keep it. Rotating away from it afterwards is `keys rotate`, then `keys
// retire --kid` once the tokens it signed have expired.
func keysImport(ctx context.Context, args []string, env Env) error {
	fl, ks := keyFlags("keys import", env)
	alg := fl.String("algorithm", tokens.DefaultAlgorithm, "JWT_ALGORITHM the other app signs with (HS256, HS384, HS512; EdDSA, ES256, RS256 with its PEM private key)")
	if _, err := parse(fl, args, 0); err != nil {
		return err
	}
	if err := tokens.CheckAlgorithm(*alg); err != nil {
		return usagef("--algorithm: %v", err)
	}
	pair := tokens.Asymmetric(*alg)
	limit := maxImportedKey
	if pair {
		limit = maxImportedPEM
	}
	key, err := readImported(env.Stdin, limit, !pair)
	if err != nil {
		return err
	}
	ks.missingOK = true
	raw, err := ks.read(ctx, env)
	if err != nil {
		return err
	}
	var set secret.KeySet
	if pair {
		if set, err = secret.ImportKeyPair(raw, *alg, key); err == nil {
			// The set signs with one algorithm: keys of another one (the
			// stack's generated HMAC secret) go, as in a rotation.
			set = sameFamily(set, set.Keys[0], env)
		}
	} else {
		set, err = secret.Import(raw, key)
	}
	if err != nil {
		return err
	}
	if err := ks.write(ctx, env, set); err != nil {
		return err
	}
	kid := set.Keys[0].KID
	verify := fmt.Sprintf("%d keys verify", len(set.Keys))
	if len(set.Keys) == 1 {
		verify = "it alone verifies"
	}
	fmt.Fprintf(env.Stdout, "imported key %s into %s: it signs from now on, %s\n", kid, ks.name(), verify)
	rotate := "jwtgate keys rotate"
	if *alg != tokens.DefaultAlgorithm {
		fmt.Fprintf(env.Stdout, "set JWT_ALGORITHM=%s on every function (template: JwtAlgorithm=%s), as the other app has it\n", *alg, *alg)
		// Without it a rotation makes an HS256 key and drops this one.
		rotate += " --algorithm " + *alg
	}
	fmt.Fprintf(env.Stdout, "to move away from it later: `%s`, then, once the tokens it signed have expired, `jwtgate keys retire --kid %s`\n", rotate, kid)
	return nil
}

// readImported reads one key of at most limit bytes from r, without the
// line ending a shell or an editor adds; any other byte is part of the
// key, as it is for the app that signs with it. oneLine refuses a key of
// several lines (an HMAC key; a PEM key has several).
func readImported(r io.Reader, limit int, oneLine bool) (string, error) {
	if r == nil {
		r = bytes.NewReader(nil)
	}
	raw, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return "", fmt.Errorf("keys import: read stdin: %w", err)
	}
	if len(raw) > limit {
		return "", usagef("keys import: stdin holds more than %d bytes; want the key alone", limit)
	}
	raw = bytes.TrimSuffix(raw, []byte("\n"))
	raw = bytes.TrimSuffix(raw, []byte("\r"))
	if len(raw) == 0 {
		return "", usagef("keys import: no key on stdin (it is read from there, never from the command line): e.g. `jwtgate keys import --file keys.json < flask-secret`")
	}
	if oneLine && bytes.ContainsAny(raw, "\n") {
		return "", usagef("keys import: stdin holds several lines; want the key alone")
	}
	return string(raw), nil
}
