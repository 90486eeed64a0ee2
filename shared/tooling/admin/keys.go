package admin

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"

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
