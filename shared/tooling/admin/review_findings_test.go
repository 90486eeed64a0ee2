package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/testkit/motoserver"
	"github.com/jwtgate/jwtgate/shared/tooling/admin"
	"github.com/jwtgate/jwtgate/shared/tooling/awsclient"
)

// keyPairStack is the part of template.yaml an EdDSA deployment's key
// commands touch: the secret (made by the test), the public keys table the
// verifiers read, and their outputs, named as template.yaml names them.
const keyPairStack = `
Parameters:
  SecretArn:
    Type: String
Resources:
  RevocationTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  UsersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: username, AttributeType: S}]
      KeySchema: [{AttributeName: username, KeyType: HASH}]
  PublicKeysTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
Outputs:
  RevocationTableName:
    Value: !Ref RevocationTable
  UsersTableName:
    Value: !Ref UsersTable
  JwtSecretArn:
    Value: !Ref SecretArn
  PublicKeysTableName:
    Value: !Ref PublicKeysTable
`

// TestReviewStackRetireRemovesPublicKey is the emergency removal of a
// compromised key pair (docs/keys.md: `keys rotate` then `keys retire
// --kid`) run the way docs/operations.md says to run the CLI on a deployed
// stack: with --stack (JWTGATE_STACK). The verifiers (authorizer, logout,
// JWKS) read the public keys table, not the secret, so the retired key
// must leave that table too; otherwise a token the attacker signs with the
// leaked private key keeps passing the authorizer forever.
func TestReviewStackRetireRemovesPublicKey(t *testing.T) {
	moto := motoserver.Start(t)
	awsEnv(t, map[string]string{"AWS_ENDPOINT_URL": moto})
	ctx := context.Background()
	const name = "jwtgate-review-keys"

	// The deployment's key pair, published once with the table named.
	leaked, err := secret.NewKeyPair("EdDSA", time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	raw := secret.KeySet{Keys: []secret.KeyEntry{leaked}}.JSON()
	sm, err := secretsClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name + "-key"), SecretString: aws.String(raw)})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := awsclient.NewCloudFormation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cf.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(keyPairStack),
		Parameters: []cftypes.Parameter{{ParameterKey: aws.String("SecretArn"), ParameterValue: sec.ARN}}}); err != nil {
		t.Fatal(err)
	}
	out, err := cf.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil || len(out.Stacks) != 1 {
		t.Fatalf("describe %s: %v", name, err)
	}
	var table string
	for _, o := range out.Stacks[0].Outputs {
		if aws.ToString(o.OutputKey) == "PublicKeysTableName" {
			table = aws.ToString(o.OutputValue)
		}
	}
	if r := runCLI(t, nil, "", "keys", "publish", "--secret-id", aws.ToString(sec.ARN), "--public-keys-table", table); r.code != admin.ExitOK {
		t.Fatalf("keys publish: exit %d %s", r.code, r.stderr)
	}

	// Emergency removal with the stack named, as docs/operations.md runs
	// every command.
	stack := map[string]string{admin.EnvStack: name}
	if r := runCLI(t, stack, "", "keys", "rotate", "--algorithm", "EdDSA"); r.code != admin.ExitOK {
		t.Fatalf("keys rotate --stack: exit %d %s", r.code, r.stderr)
	}
	r := runCLI(t, stack, "", "keys", "retire", "--kid", leaked.KID)
	if r.code != admin.ExitOK || !strings.Contains(r.stdout, "tokens it signed stop verifying") {
		t.Fatalf("keys retire --stack: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}

	// What the authorizer loads (lambdaenv.LoadVerifier: the public keys
	// table), and a token the attacker signs with the leaked private key.
	db, err := awsclient.NewDynamoDB(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	loader := secret.Loader{Config: config.Config{Mode: config.Lambda}, Public: dynamostore.NewPublicKeys(db, table)}
	pub, err := loader.LoadPublic(ctx)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := tokens.New(tokens.Options{Algorithm: "EdDSA", Keys: pub})
	if err != nil {
		t.Fatal(err)
	}
	leakedKeys, err := secret.Parse(raw, config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	forger, err := tokens.New(tokens.Options{Algorithm: "EdDSA", Keys: leakedKeys})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := forger.Issue(tokens.Access, tokens.Subject{Name: "mallory", Roles: []string{"admin"}, Generation: 1 << 40}, "forged-sid", true)
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range pub {
		kids = append(kids, k.ID)
	}
	_, err = verifier.Parse(forged.Token)
	if msg, _ := tokens.Message(err); msg != "Unknown signing key" {
		t.Errorf("after `keys rotate` and `keys retire --kid %s` with JWTGATE_STACK, the verifiers' public keys are %v and a token signed "+
			"with the retired key parses with %v (message %q), want \"Unknown signing key\": --stack does not name the PublicKeysTableName "+
			"output, so nothing was published", leaked.KID, kids, err, msg)
	}
}
