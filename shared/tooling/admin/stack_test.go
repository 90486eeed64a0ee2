package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/testkit/motoserver"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
	"github.com/jwtgate/jwtgate/shared/tooling/awsclient"
)

// deployStack creates testdata/stack.yaml in moto's CloudFormation as stack
// name, with a secret made beforehand, and returns the stack's outputs.
func deployStack(t *testing.T, name string) map[string]string {
	t.Helper()
	ctx := context.Background()
	sm, err := secretsClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name + "-key"),
		SecretString: aws.String("generated-by-cloudformation-0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("testdata/stack.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := awsclient.NewCloudFormation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cf.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(string(body)),
		Parameters: []cftypes.Parameter{{ParameterKey: aws.String("SecretArn"), ParameterValue: sec.ARN}}}); err != nil {
		t.Fatal(err)
	}
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil || len(out.Stacks) != 1 {
		t.Fatalf("describe %s: %v", name, err)
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	return outputs
}

func secretsClient(ctx context.Context) (*secretsmanager.Client, error) {
	cf, err := awsclient.NewCloudFormation(ctx) // the same configuration: region, endpoint
	if err != nil {
		return nil, err
	}
	return secretsmanager.NewFromConfig(aws.Config{Region: cf.Options().Region, Credentials: cf.Options().Credentials,
		BaseEndpoint: cf.Options().BaseEndpoint}), nil
}

// awsEnv points the SDK's standard variables at moto (not parallel: the
// SDK reads the process environment).
func awsEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	base := map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_ENDPOINT_URL": "",
		"AWS_ENDPOINT_URL_DYNAMODB": "", "AWS_ENDPOINT_URL_CLOUDFORMATION": "", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "",
	}
	for k, v := range vars {
		base[k] = v
	}
	for k, v := range base {
		t.Setenv(k, v)
	}
}

// runCLI runs the CLI against AWS as the SDK's configuration finds it:
// no --endpoint, no DYNAMODB_ENDPOINT.
func runCLI(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := admin.Run(context.Background(), args, admin.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) string { return vars[k] },
		Now:    time.Now,
	})
	return result{code, out.String(), errOut.String()}
}

// TestStack resolves a deployed stack through CloudFormation (moto's) and
// works on the tables and the secret CloudFormation named, reached through
// the SDK's endpoint variables alone: AWS_ENDPOINT_URL for every service,
// or AWS_ENDPOINT_URL_<SERVICE> each.
func TestStack(t *testing.T) {
	moto := motoserver.Start(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
	}{
		{"AWS_ENDPOINT_URL", map[string]string{"AWS_ENDPOINT_URL": moto}},
		{"per service", map[string]string{
			"AWS_ENDPOINT_URL":                 "http://127.0.0.1:1", // unused when each service has its own
			"AWS_ENDPOINT_URL_CLOUDFORMATION":  moto,
			"AWS_ENDPOINT_URL_DYNAMODB":        moto,
			"AWS_ENDPOINT_URL_SECRETS_MANAGER": moto,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			awsEnv(t, tc.env)
			name := "jwtgate-" + strings.ReplaceAll(strings.ToLower(tc.name), " ", "-")
			outputs := deployStack(t, strings.ReplaceAll(name, "_", "-"))
			stack := strings.ReplaceAll(name, "_", "-")
			if !strings.HasPrefix(outputs["UsersTableName"], stack+"-UsersTable-") {
				t.Fatalf("outputs %v: want CloudFormation-generated table names", outputs)
			}
			// --stack, and JWTGATE_STACK in its stead.
			r := runCLI(t, nil, "correct horse battery\n", "user", "add", "alice", "--roles", "admin,user", "--password-stdin", "--stack", stack)
			if r.code != admin.ExitOK {
				t.Fatalf("user add --stack: exit %d %s", r.code, r.stderr)
			}
			r = runCLI(t, map[string]string{admin.EnvStack: stack}, "", "user", "list")
			if r.code != admin.ExitOK || !strings.Contains(r.stdout, "alice") || !strings.Contains(r.stdout, "admin,user") {
				t.Fatalf("user list with JWTGATE_STACK: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			// The user is in the stack's table, not in a default-named one.
			db, err := awsclient.NewDynamoDB(context.Background(), "")
			if err != nil {
				t.Fatal(err)
			}
			if n := countItems(t, db, outputs["UsersTableName"]); n != 1 {
				t.Errorf("%s holds %d items, want alice", outputs["UsersTableName"], n)
			}
			r = runCLI(t, nil, "", "revoke", "--user", "alice", "--stack", stack)
			if r.code != admin.ExitOK || countItems(t, db, outputs["RevocationTableName"]) != 1 {
				t.Errorf("revoke --stack: exit %d %s; want the cut-off in %s", r.code, r.stderr, outputs["RevocationTableName"])
			}
			// keys rotate --stack rotates the stack's secret.
			r = runCLI(t, nil, "", "keys", "rotate", "--stack", stack)
			if r.code != admin.ExitOK || !strings.Contains(r.stdout, outputs["JwtSecretArn"]) {
				t.Fatalf("keys rotate --stack: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			sm, _ := secretsClient(context.Background())
			got, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(outputs["JwtSecretArn"])})
			if err != nil {
				t.Fatal(err)
			}
			var set secret.KeySet
			if err := json.Unmarshal([]byte(aws.ToString(got.SecretString)), &set); err != nil || len(set.Keys) != 2 {
				t.Errorf("secret after rotate = %q (%v), want a key set of the new key and the generated one", aws.ToString(got.SecretString), err)
			}
		})
	}
}

func countItems(t *testing.T, db *dynamodb.Client, table string) int {
	t.Helper()
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("scan %s: %v", table, err)
	}
	return int(out.Count)
}

// TestStackErrors: the advice names the stack case.
func TestStackErrors(t *testing.T) {
	moto := motoserver.Start(t)
	awsEnv(t, map[string]string{"AWS_ENDPOINT_URL": moto})
	r := runCLI(t, nil, "", "user", "list", "--stack", "no-such-stack")
	if r.code != admin.ExitFailure || !strings.Contains(r.stderr, "stack not found: no-such-stack: check the name (samconfig.toml's stack_name), AWS_REGION and the profile") {
		t.Errorf("unknown stack: exit %d stderr %q", r.code, r.stderr)
	}
	outputs := deployStack(t, "jwtgate-gone")
	db, err := awsclient.NewDynamoDB(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(outputs["UsersTableName"])}); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, nil, "", "user", "list", "--stack", "jwtgate-gone")
	want := "table " + outputs["UsersTableName"] + " of stack jwtgate-gone does not exist: check that AWS_REGION and the profile are the stack's " +
		"(never `jwtgate tables create` for a deployed stack"
	if r.code != admin.ExitFailure || !strings.Contains(r.stderr, want) {
		t.Errorf("missing stack table: exit %d stderr %q, want %q", r.code, r.stderr, want)
	}
	r = runCLI(t, nil, "", "tables", "create", "--stack", "jwtgate-gone")
	if r.code != admin.ExitUsage || !strings.Contains(r.stderr, "a deployed stack has its tables already") {
		t.Errorf("tables create --stack: exit %d stderr %q", r.code, r.stderr)
	}
	// Without --stack, the missing-table advice points at it.
	r = runCLI(t, nil, "", "user", "list", "--users-table", "jwtgate-users")
	if r.code != admin.ExitFailure || !strings.Contains(r.stderr, "pass --stack NAME (or JWTGATE_STACK)") {
		t.Errorf("default table missing: exit %d stderr %q", r.code, r.stderr)
	}
}
