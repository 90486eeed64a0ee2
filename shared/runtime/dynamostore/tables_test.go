package dynamostore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/tooling/awsclient"
)

func TestCreateTablesIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := server.Client(t)
	rev, usr := server.CreateTables(t, c)
	// Again, on existing tables with TTL on: nothing to do, no error.
	if err := dynamostore.CreateTables(ctx, c, rev, usr); err != nil {
		t.Fatalf("second CreateTables: %v", err)
	}
	for _, table := range []string{rev, usr} {
		d, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		if d.Table.TableStatus != types.TableStatusActive {
			t.Errorf("%s: status %s", table, d.Table.TableStatus)
		}
		if bm := d.Table.BillingModeSummary; bm == nil || bm.BillingMode != types.BillingModePayPerRequest {
			t.Errorf("%s: billing %+v, want on-demand", table, bm)
		}
		ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
		if err != nil {
			t.Fatal(err)
		}
		if got := ttl.TimeToLiveDescription; got.TimeToLiveStatus != types.TimeToLiveStatusEnabled ||
			aws.ToString(got.AttributeName) != "expires_at" {
			t.Errorf("%s: TTL %s on %q, want ENABLED on expires_at", table, got.TimeToLiveStatus, aws.ToString(got.AttributeName))
		}
	}
}

func TestTableMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := server.Client(t)
	table := "missing-" + dynamolocal.RandomName()
	rev := dynamostore.NewRevocations(c, table)
	usr := dynamostore.NewUsers(c, table)
	now := time.Now()
	r := revocation.Record{Key: "jti#x", At: now, ExpiresAt: now.Add(time.Hour)}
	calls := map[string]func() error{
		"Lookup":   func() error { _, err := rev.Lookup(ctx, "jti#x"); return err },
		"Put":      func() error { return rev.Put(ctx, r) },
		"Consume":  func() error { _, _, err := rev.Consume(ctx, r); return err },
		"Get":      func() error { _, err := usr.Get(ctx, "a"); return err },
		"Add":      func() error { return usr.Add(ctx, users.User{Name: "a"}) },
		"Put user": func() error { return usr.Put(ctx, users.User{Name: "a"}) },
		"SetRoles": func() error { return usr.SetRoles(ctx, "a", nil) },
		"List":     func() error { _, err := usr.List(ctx); return err },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			if !errors.Is(err, dynamostore.ErrTableMissing) {
				t.Fatalf("error = %v, want ErrTableMissing", err)
			}
			var mt *dynamostore.MissingTableError
			if !errors.As(err, &mt) || mt.Table != table {
				t.Fatalf("error %v does not name table %q", err, table)
			}
		})
	}
}

// isolateAWSConfig points the SDK's configuration at nothing: no keys, no
// profile, no files, no instance metadata.
func isolateAWSConfig(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}

// Not parallel: these change the environment.
func TestNewClient(t *testing.T) {
	ctx := context.Background()
	t.Run("endpoint without credentials or region", func(t *testing.T) {
		isolateAWSConfig(t)
		c, err := awsclient.NewDynamoDB(ctx, server.URL)
		if err != nil {
			t.Fatal(err)
		}
		rev, usr := server.CreateTables(t, c)
		if _, err := dynamostore.NewUsers(c, usr).Get(ctx, "x"); !errors.Is(err, users.ErrNotFound) {
			t.Fatalf("Get = %v, want ErrNotFound", err)
		}
		if _, err := dynamostore.NewRevocations(c, rev).Lookup(ctx, "jti#x"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		isolateAWSConfig(t)
		t.Setenv("AWS_REGION", "eu-west-1")
		c, err := awsclient.NewDynamoDB(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		_, err = dynamostore.NewUsers(c, "t").Get(ctx, "x")
		if !errors.Is(err, awsclient.ErrNoCredentials) {
			t.Fatalf("Get = %v, want ErrNoCredentials", err)
		}
	})
	t.Run("endpoint keeps configured credentials", func(t *testing.T) {
		isolateAWSConfig(t)
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		c, err := awsclient.NewDynamoDB(ctx, server.URL)
		if err != nil {
			t.Fatal(err)
		}
		creds, err := c.Options().Credentials.Retrieve(ctx)
		if err != nil || creds.AccessKeyID != "AKIDEXAMPLE" {
			t.Fatalf("credentials = %v, %v", creds.AccessKeyID, err)
		}
		if got := c.Options().Region; got != "us-east-1" {
			t.Fatalf("region = %q, want us-east-1", got)
		}
	})
}

func TestNewClientNoRegion(t *testing.T) {
	isolateAWSConfig(t)
	if _, err := awsclient.NewDynamoDB(context.Background(), ""); !errors.Is(err, awsclient.ErrNoRegion) {
		t.Fatalf("NewClient = %v, want ErrNoRegion", err)
	}
}
