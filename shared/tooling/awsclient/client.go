package awsclient

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Errors of NewDynamoDB's configuration.
var (
	// ErrNoCredentials means the AWS SDK found no credentials to sign with.
	ErrNoCredentials = errors.New("awsclient: no AWS credentials")
	// ErrNoRegion means no AWS region is configured and no endpoint given.
	ErrNoRegion = errors.New("awsclient: no AWS region configured")
)

// localRegion is the region used with a custom endpoint when none is
// configured; DynamoDB Local accepts any.
const localRegion = "us-east-1"

// NewDynamoDB builds a DynamoDB client from the standard AWS configuration
// (environment, shared files, role). With endpoint set (DynamoDB Local, say)
// it talks to that URL instead, falls back to region us-east-1, and, when no
// credentials are configured, signs with static dummy ones: DynamoDB Local
// needs a signature but checks no secret.
//
// Without an endpoint a missing region is ErrNoRegion. Nothing is fetched
// here: credentials are resolved on the first call, and a failure to find
// any surfaces as ErrNoCredentials.
func NewDynamoDB(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	var opts []func(*config.LoadOptions) error
	if endpoint != "" && !credentialsConfigured() {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider("dummy", "dummy", "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("awsclient: load AWS config: %w", err)
	}
	if cfg.Region == "" {
		if endpoint == "" {
			return nil, fmt.Errorf("awsclient: set AWS_REGION or a profile's region: %w", ErrNoRegion)
		}
		cfg.Region = localRegion
	}
	cfg.Credentials = aws.NewCredentialsCache(markMissing{cfg.Credentials})
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			// DynamoDB Local's error replies carry no CRC32 header, and the
			// SDK would warn about every one of them.
			o.DisableValidateResponseChecksum = true
		}
	}), nil
}

// credentialsConfigured is a cheap guess (no network) at whether the default
// chain could find credentials: keys or a profile in the environment, a web
// identity or container role, or a shared credentials or config file.
func credentialsConfigured() bool {
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		if os.Getenv(v) != "" {
			return true
		}
	}
	files := []struct{ env, def string }{
		{"AWS_SHARED_CREDENTIALS_FILE", config.DefaultSharedCredentialsFilename()},
		{"AWS_CONFIG_FILE", config.DefaultSharedConfigFilename()},
	}
	for _, f := range files {
		path := f.def
		if v := os.Getenv(f.env); v != "" {
			path = v
		}
		if _, err := os.Stat(path); err == nil {
			return true
		}
	}
	return false
}

// markMissing tags every failure to retrieve credentials with
// ErrNoCredentials; the SDK wraps it with %w all the way up to the caller.
type markMissing struct{ p aws.CredentialsProvider }

// Retrieve implements aws.CredentialsProvider.
func (m markMissing) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if m.p == nil {
		return aws.Credentials{}, ErrNoCredentials
	}
	c, err := m.p.Retrieve(ctx)
	if err != nil {
		return c, fmt.Errorf("%w: %w", ErrNoCredentials, err)
	}
	return c, nil
}

// NewCloudFormation builds a CloudFormation client from the standard AWS
// configuration, for reading a deployed stack's outputs. Like every client
// of the SDK's default configuration it honours AWS_ENDPOINT_URL and
// AWS_ENDPOINT_URL_CLOUDFORMATION (moto_server in the tests).
func NewCloudFormation(ctx context.Context) (*cloudformation.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("awsclient: load AWS config: %w", err)
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("awsclient: set AWS_REGION or a profile's region: %w", ErrNoRegion)
	}
	cfg.Credentials = aws.NewCredentialsCache(markMissing{cfg.Credentials})
	return cloudformation.NewFromConfig(cfg), nil
}
