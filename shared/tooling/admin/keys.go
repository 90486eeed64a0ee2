package admin

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/jwtgate/jwtgate/shared/runtime/secret"
)

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

// keysGenerate prints a new key set of one key: a value for JWT_SECRET_KEY
// or a Secrets Manager secret.
func keysGenerate(args []string, env Env) error {
	fs := flag.NewFlagSet("keys generate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	k, err := secret.NewKey(env.Now())
	if err != nil {
		return err
	}
	return writeKeySet(env.Stdout, secret.KeySet{Keys: []secret.KeyEntry{k}})
}

// keysRotate puts a new signing key in front of the key set in Secrets
// Manager (--secret-id) or a file (--file), keeping the previous keys for
// verification so nobody is logged out. Running functions pick the new key
// up the first time they see a token that names it.
func keysRotate(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("keys rotate", env)
	secretID := fs.String("secret-id", "", "Secrets Manager secret (ARN or name) holding the keys")
	file := fs.String("file", "", "file holding the keys (for JWT_SECRET_KEY)")
	keep := fs.Int("keep", 2, "keys to keep in all (the new one included, at least 2)")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *secretID == "" && *file == "" && c.stack != "" {
		st, err := c.resolve(ctx, env)
		if err != nil {
			return err
		}
		*secretID = st.arn
	}
	if (*secretID == "") == (*file == "") {
		return usagef("keys rotate: want exactly one of --secret-id, --stack or --file")
	}
	next, err := secret.NewKey(env.Now())
	if err != nil {
		return err
	}
	if *file != "" {
		raw, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		set, err := secret.Rotate(string(raw), next, *keep)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(set)
		if err := os.WriteFile(*file, append(b, '\n'), 0o600); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "rotated %s: new signing key %s, %d keys kept\n", *file, next.KID, len(set.Keys))
		return nil
	}
	sm, err := env.NewSecrets(ctx)
	if err != nil {
		return err
	}
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: secretID})
	if err != nil {
		return fmt.Errorf("read secret %s: %w", *secretID, err)
	}
	set, err := secret.Rotate(aws.ToString(out.SecretString), next, *keep)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(set)
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: secretID, SecretString: aws.String(string(b))}); err != nil {
		return fmt.Errorf("write secret %s: %w", *secretID, err)
	}
	fmt.Fprintf(env.Stdout, "rotated %s: new signing key %s, %d keys kept\n", *secretID, next.KID, len(set.Keys))
	return nil
}

func writeKeySet(w io.Writer, set secret.KeySet) error {
	b, err := json.Marshal(set)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
