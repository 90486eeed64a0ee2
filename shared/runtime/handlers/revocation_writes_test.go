package handlers_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/testkit/servers"
)

// keyRecorder is SDK middleware that records the partition key of every
// write to the revocation table: what IAM's dynamodb:LeadingKeys sees.
type keyRecorder struct {
	mu   sync.Mutex
	keys []string
}

func (k *keyRecorder) register(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("jwtgateRecordKeys",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				k.record(in.Parameters)
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

func (k *keyRecorder) record(params any) {
	var table string
	var items []map[string]types.AttributeValue
	switch in := params.(type) {
	case *dynamodb.PutItemInput:
		table, items = aws.ToString(in.TableName), []map[string]types.AttributeValue{in.Item}
	case *dynamodb.UpdateItemInput:
		table, items = aws.ToString(in.TableName), []map[string]types.AttributeValue{in.Key}
	case *dynamodb.DeleteItemInput:
		table, items = aws.ToString(in.TableName), []map[string]types.AttributeValue{in.Key}
	case *dynamodb.BatchWriteItemInput:
		for t, reqs := range in.RequestItems {
			for _, r := range reqs {
				table = t
				if r.PutRequest != nil {
					items = append(items, r.PutRequest.Item)
				}
				if r.DeleteRequest != nil {
					items = append(items, r.DeleteRequest.Key)
				}
			}
		}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				table, items = aws.ToString(it.Put.TableName), append(items, it.Put.Item)
			case it.Update != nil:
				table, items = aws.ToString(it.Update.TableName), append(items, it.Update.Key)
			case it.Delete != nil:
				table, items = aws.ToString(it.Delete.TableName), append(items, it.Delete.Key)
			}
		}
	}
	if !strings.HasPrefix(table, "revocations-") {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, item := range items {
		pk, _ := item["pk"].(*types.AttributeValueMemberS)
		if pk == nil {
			k.keys = append(k.keys, "<no string pk>")
			continue
		}
		k.keys = append(k.keys, pk.Value)
	}
}

func (k *keyRecorder) take() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := k.keys
	k.keys = nil
	return out
}

// TestRevocationWrites runs every path of the session functions that
// writes to the revocation table, on DynamoDB Local, and checks each key
// written against handlers.RevocationWritePrefixes, which the templates
// grant as dynamodb:LeadingKeys (template_test.go): so the IAM limit of
// issue 12 item 11 is the one the code needs, no wider and no narrower.
func TestRevocationWrites(t *testing.T) {
	rec := &keyRecorder{}
	// A grace of 0 makes the second use of a refresh token theft at once; the
	// legacy window lets the functions meet flask-minted tokens.
	env := newRTEnvWith(t, map[string]string{"JWTGATE_REFRESH_REUSE_GRACE": "0",
		"JWTGATE_LEGACY_TOKENS_UNTIL": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)}, rec.register)
	rec.take() // seeding
	allowed := handlers.RevocationWritePrefixes()
	used := map[string][]string{} // function: the granted prefixes its paths wrote
	check := func(what, function string) {
		t.Helper()
		keys := rec.take()
		if len(keys) == 0 {
			t.Errorf("%s: no revocation write recorded", what)
		}
		for _, key := range keys {
			i := slices.IndexFunc(allowed[function], func(p string) bool { return strings.HasPrefix(key, p) })
			if i < 0 {
				t.Errorf("%s: %s wrote revocation key %q, outside its grant %q", what, function, key, allowed[function])
				continue
			}
			used[function] = append(used[function], allowed[function][i])
		}
	}
	var resp events.APIGatewayProxyResponse
	login := func(pass string) map[string]string {
		t.Helper()
		env.invoke(t, handlers.LoginFunction, rtProxy("POST", "/login", nil, nil, "", `{"username":"testuser","password":"`+pass+`"}`), &resp)
		return rtJar(t, resp)
	}

	login("wrong")
	wantStatus(t, "failed login", resp, 401, `{"msg":"Bad username or password"}`)
	check("failed login (user and IP counters)", handlers.LoginFunction)
	jar := login("testpass")
	wantStatus(t, "login", resp, 200, `{"login":true}`)
	check("login after a failure (user counter reset)", handlers.LoginFunction)

	oldRefresh := map[string]string{"refresh_token_cookie": jar["refresh_token_cookie"]}
	env.invoke(t, handlers.RefreshFunction, rtProxy("POST", "/refresh", jar, []string{"refresh_token_cookie"}, jar["csrf_refresh_token"], ""), &resp)
	wantStatus(t, "refresh", resp, 200, `{"refresh":true}`)
	check("refresh (consumed token)", handlers.RefreshFunction)
	env.invoke(t, handlers.RefreshFunction, rtProxy("POST", "/refresh", oldRefresh, []string{"refresh_token_cookie"}, jar["csrf_refresh_token"], ""), &resp)
	wantStatus(t, "refresh token reused", resp, 401, `{"msg":"Token has been revoked"}`)
	check("refresh token reused (theft: the session)", handlers.RefreshFunction)

	jar = login("testpass")
	rec.take()
	env.invoke(t, handlers.LogoutFunction, rtProxy("POST", "/logout", jar, []string{"access_token_cookie", "refresh_token_cookie"}, jar["csrf_access_token"], ""), &resp)
	wantStatus(t, "logout", resp, 200, `{"logout":true}`)
	check("logout", handlers.LogoutFunction)
	flask := flaskJar(t, "testuser")
	env.invoke(t, handlers.LogoutFunction, rtProxy("POST", "/logout", flask, []string{"access_token_cookie", "refresh_token_cookie"}, flask["csrf_access_token"], ""), &resp)
	wantStatus(t, "logout of a flask session", resp, 200, `{"logout":true}`)
	check("logout of a flask session (no sid: its tokens by jti)", handlers.LogoutFunction)
	flask = flaskJar(t, "testuser")
	env.invoke(t, handlers.RefreshFunction, rtProxy("POST", "/refresh", flask, []string{"refresh_token_cookie"}, flask["csrf_refresh_token"], ""), &resp)
	wantStatus(t, "trade of a flask refresh token", resp, 200, `{"refresh":true}`)
	rec.take()
	env.invoke(t, handlers.LogoutFunction, rtProxy("POST", "/logout", flask, []string{"access_token_cookie", "refresh_token_cookie"}, flask["csrf_access_token"], ""), &resp)
	wantStatus(t, "logout with the flask cookies from before their trade", resp, 200, `{"logout":true}`)
	check("logout with the flask cookies from before their trade (the access token by jti, the session bought)", handlers.LogoutFunction)

	jar = login("testpass")
	rec.take()
	ar := authorizeFor(t, env, jar)
	env.invoke(t, handlers.PasswordFunction, withAuthorizer(rtProxy("POST", "/password", jar,
		[]string{"access_token_cookie"}, jar["csrf_access_token"], `{"old_password":"testpass","new_password":"a much longer passphrase 42"}`), ar), &resp)
	wantStatus(t, "password", resp, 200, `{"password_changed":true}`)
	check("password change (cut-off, old session, the user's attempt counter)", handlers.PasswordFunction)

	// Every granted prefix is written by some path: a grant no path needs
	// is wider than least privilege.
	for function, prefixes := range allowed {
		for _, p := range prefixes {
			if !slices.Contains(used[function], p) {
				t.Errorf("%s is granted writes on %q, which none of its paths wrote (wrote %q)", function, p, used[function])
			}
		}
	}
}

// flaskJar is the cookies the real flask-jwt-extended 4.4.4 sets when name
// logs in, signed with the functions' key (the legacy window's tokens).
func flaskJar(t *testing.T, name string) map[string]string {
	t.Helper()
	return servers.MintFlask(t, servers.Mint{Secret: rtSecret, Identity: name})
}

// authorizeFor runs the authorizer on jar's access cookie and returns its Allow.
func authorizeFor(t *testing.T, env rtEnv, jar map[string]string) events.APIGatewayCustomAuthorizerResponse {
	t.Helper()
	cookie := "access_token_cookie=" + jar["access_token_cookie"]
	ev := events.APIGatewayCustomAuthorizerRequestTypeRequest{
		Type: "REQUEST", MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:abc123/Prod/POST/password",
		Resource: "/password", Path: "/password", HTTPMethod: "POST",
		Headers:           map[string]string{"Cookie": cookie, "X-CSRF-TOKEN": jar["csrf_access_token"]},
		MultiValueHeaders: map[string][]string{"Cookie": {cookie}, "X-CSRF-TOKEN": {jar["csrf_access_token"]}},
	}
	var ar events.APIGatewayCustomAuthorizerResponse
	env.invoke(t, handlers.AuthorizerFunction, ev, &ar)
	if len(ar.PolicyDocument.Statement) != 1 || ar.PolicyDocument.Statement[0].Effect != "Allow" {
		t.Fatalf("authorizer: %+v, want Allow", ar)
	}
	return ar
}
