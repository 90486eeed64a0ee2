package lambdaenv_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/jwtgate/jwtgate/shared/runtime/authorizer"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/lambdaenv"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
)

// rtSecret is a throwaway signing key of the right length.
const rtSecret = "lambdaenv-secret-0123456789abcdef-012345"

// TestAuthorizer runs the lean authorizer wiring (the one that keeps
// its bootstrap under 10 MB) against DynamoDB Local: configuration, key
// and table from the environment, decisions as the full wiring makes them.
func TestAuthorizer(t *testing.T) {
	srv := dynamolocal.Start(t)
	client := srv.Client(t)
	revTable, _ := srv.CreateTables(t, client)
	env := map[string]string{
		"JWT_SECRET_KEY": rtSecret, "REVOCATION_TABLE": revTable, "DYNAMODB_ENDPOINT": srv.URL, "LOG_LEVEL": "error",
	}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	h, err := lambdaenv.Authorizer(context.Background(), getenv)
	if err != nil {
		t.Fatal(err)
	}
	// Invoke it as the runtime does: the full event's JSON in, whatever
	// argument type the handler decodes it into.
	invoke := lambda.NewHandler(h)
	rest := func(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequestTypeRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
		var resp events.APIGatewayCustomAuthorizerResponse
		raw, err := json.Marshal(ev)
		if err != nil {
			return resp, err
		}
		out, err := invoke.Invoke(ctx, raw)
		if err != nil {
			return resp, err
		}
		return resp, json.Unmarshal(out, &resp)
	}
	ts, err := tokens.New(tokens.Options{Keys: []tokens.Key{{Secret: []byte(rtSecret)}}})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ts.IssuePair(tokens.Subject{Name: "testuser", Roles: []string{"user"}}, "sid-1", true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, cookie, effect, msg string
	}{
		{"valid cookie", "access_token_cookie=" + pair.Access.Token, "Allow", "<nil>"},
		{"refresh token", "access_token_cookie=" + pair.Refresh.Token, "Deny", "Only non-refresh tokens are allowed"},
		{"tampered", "access_token_cookie=" + pair.Access.Token + "x", "Deny", "Signature verification failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := rest(context.Background(), events.APIGatewayCustomAuthorizerRequestTypeRequest{
				Type: "REQUEST", MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:abc123/Prod/GET/protected",
				Resource: "/protected", Path: "/protected", HTTPMethod: "GET",
				MultiValueHeaders: map[string][]string{"Cookie": {tt.cookie}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if resp.PolicyDocument.Statement[0].Effect != tt.effect || fmt.Sprint(resp.Context["msg"]) != tt.msg {
				t.Errorf("got %s msg %v, want %s msg %q", resp.PolicyDocument.Statement[0].Effect, resp.Context["msg"], tt.effect, tt.msg)
			}
		})
	}
	t.Run("v2 payload", func(t *testing.T) {
		env["JWTGATE_PAYLOAD"] = "v2"
		defer delete(env, "JWTGATE_PAYLOAD")
		h, err := lambdaenv.Authorizer(context.Background(), getenv)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := h.(func(context.Context, events.APIGatewayV2CustomAuthorizerV2Request) (authorizer.HTTPResponse, error)); !ok {
			t.Fatalf("got %T, want the HTTP API authorizer", h)
		}
	})
}

// TestAWSConfig: the environment-only AWS configuration needs a region
// and credentials, except against a local endpoint.
func TestAWSConfig(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		endpoint string
		region   string
		key      string
		err      error
	}{
		{"lambda", map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}, "", "eu-west-1", "AKIA", nil},
		{"default region", map[string]string{"AWS_DEFAULT_REGION": "eu-north-1", "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"}, "", "eu-north-1", "AKIA", nil},
		{"no region", map[string]string{"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s"}, "", "", "", lambdaenv.ErrNoEnvRegion},
		{"no credentials", map[string]string{"AWS_REGION": "eu-west-1"}, "", "", "", lambdaenv.ErrNoEnvCredentials},
		{"local endpoint", map[string]string{}, "http://127.0.0.1:8000", "us-east-1", "dummy", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := lambdaenv.AWSConfig(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }, tt.endpoint)
			if tt.err != nil {
				if err != tt.err {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tt.region || creds.AccessKeyID != tt.key || creds.SessionToken != tt.env["AWS_SESSION_TOKEN"] {
				t.Errorf("got region %q key %q token %q", cfg.Region, creds.AccessKeyID, creds.SessionToken)
			}
		})
	}
}

// TestAuthorizerKeyPair: with an asymmetric JWT_ALGORITHM the authorizer's
// wiring reads only the public key set from JWT_PUBLIC_KEYS_TABLE with its
// DynamoDB client. JWT_SECRET_ARN names a secret no client here can reach
// (real AWS, no network, dummy credentials): the wiring succeeding proves it
// never calls Secrets Manager. Tokens of the private key are allowed, those
// of another key pair under the same kid refused.
func TestAuthorizerKeyPair(t *testing.T) {
	srv := dynamolocal.Start(t)
	client := srv.Client(t)
	revTable, _ := srv.CreateTables(t, client)
	pubTable := "public-keys-" + dynamolocal.RandomName()
	ctx := context.Background()
	if err := dynamostore.CreatePublicKeysTable(ctx, client, pubTable); err != nil {
		t.Fatal(err)
	}
	k, err := tokens.GenerateKey("EdDSA", "k1")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := secret.PublicSet([]tokens.Key{k})
	if err != nil {
		t.Fatal(err)
	}
	if err := dynamostore.NewPublicKeys(client, pubTable).Put(ctx, pub.JSON(), time.Now()); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"JWT_ALGORITHM": "EdDSA", "JWT_PUBLIC_KEYS_TABLE": pubTable,
		"JWT_SECRET_ARN":   "arn:aws:secretsmanager:eu-west-1:123456789012:secret:unreachable",
		"REVOCATION_TABLE": revTable, "DYNAMODB_ENDPOINT": srv.URL, "LOG_LEVEL": "error",
		// DynamoDB Local's first calls on a loaded machine can outlast the 1 s default.
		"JWTGATE_STORE_TIMEOUT": "10s",
	}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := config.Load(getenv, config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	d, err := lambdaenv.LoadVerifier(ctx, cfg, getenv)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Keys) != 1 || d.Keys[0].Private != nil || d.Config.Tokens.Reload == nil {
		t.Fatalf("verifier keys %+v (reload %v): want one public key, re-read", d.Keys, d.Config.Tokens.Reload != nil)
	}
	h, err := lambdaenv.Authorizer(ctx, getenv)
	if err != nil {
		t.Fatal(err)
	}
	invoke := lambda.NewHandler(h)
	other, _ := tokens.GenerateKey("EdDSA", "k1")
	for _, tt := range []struct {
		name   string
		key    tokens.Key
		effect string
		msg    string
	}{
		{"signed with the private key", k, "Allow", "<nil>"},
		{"another key pair, same kid", other, "Deny", "Signature verification failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			signer, err := tokens.New(tokens.Options{Algorithm: "EdDSA", Keys: []tokens.Key{tt.key}})
			if err != nil {
				t.Fatal(err)
			}
			iss, err := signer.Issue(tokens.Access, tokens.Subject{Name: "testuser"}, "sid-1", true)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(events.APIGatewayCustomAuthorizerRequestTypeRequest{
				Type: "REQUEST", MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:abc123/Prod/GET/protected",
				Resource: "/protected", Path: "/protected", HTTPMethod: "GET",
				MultiValueHeaders: map[string][]string{"Cookie": {"access_token_cookie=" + iss.Token}},
			})
			out, err := invoke.Invoke(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			var resp events.APIGatewayCustomAuthorizerResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.PolicyDocument.Statement[0].Effect != tt.effect || fmt.Sprint(resp.Context["msg"]) != tt.msg {
				t.Errorf("got %s msg %v, want %s msg %q", resp.PolicyDocument.Statement[0].Effect, resp.Context["msg"], tt.effect, tt.msg)
			}
		})
	}
}
