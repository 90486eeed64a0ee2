package secret

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jwtgate/jwtgate/shared/config"
	"github.com/jwtgate/jwtgate/shared/tokens"
)

// ErrNoSecret means neither JWT_SECRET_KEY nor JWT_SECRET_ARN gave a key.
var ErrNoSecret = errors.New("secret: no signing secret configured")

// SecretsAPI is the Secrets Manager call Keys makes.
type SecretsAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Keys returns the signing keys cfg names. api may be nil when
// JWT_SECRET_KEY is set.
func Keys(ctx context.Context, cfg config.Config, api SecretsAPI) ([]tokens.Key, error) {
	raw := cfg.SecretKey
	if raw == "" {
		if cfg.SecretARN == "" || api == nil {
			return nil, ErrNoSecret
		}
		out, err := api.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(cfg.SecretARN)})
		if err != nil {
			return nil, fmt.Errorf("secret: get %s: %w", cfg.SecretARN, err)
		}
		raw = aws.ToString(out.SecretString)
	}
	if err := config.CheckSecret([]byte(raw), cfg.Mode); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return []tokens.Key{{Secret: []byte(raw)}}, nil
}
