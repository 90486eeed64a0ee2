package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
)

// rtSecret is a throwaway 32-byte HS256 key.
const rtSecret = "roundtrip-secret-0123456789abcdef-012345"

// opCounter is SDK middleware that records every DynamoDB operation (one
// per API call, before retries) as "Operation table".
type opCounter struct {
	mu  sync.Mutex
	ops []string
}

// register adds the counter to a client's middleware stack.
func (c *opCounter) register(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("jwtgateCountOps",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.mu.Lock()
				c.ops = append(c.ops, awsmiddleware.GetOperationName(ctx)+" "+tableOf(in.Parameters))
				c.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

// take returns the operations recorded since the last take, sorted.
func (c *opCounter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.ops
	c.ops = nil
	slices.Sort(out)
	return out
}

// tableOf names the table an operation's input addresses, as "users" or
// "revocations" (the random suffix dropped).
func tableOf(params any) string {
	var name string
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		name = aws.ToString(in.TableName)
	case *dynamodb.PutItemInput:
		name = aws.ToString(in.TableName)
	case *dynamodb.UpdateItemInput:
		name = aws.ToString(in.TableName)
	case *dynamodb.BatchGetItemInput:
		var names []string
		for t := range in.RequestItems {
			short, _, _ := strings.Cut(t, "-")
			names = append(names, short)
		}
		slices.Sort(names)
		return strings.Join(names, "+")
	}
	short, _, _ := strings.Cut(name, "-")
	return short
}

// rtEnv is one handler set over DynamoDB Local, with the counter on its
// client and a user "testuser" whose hash has password.Default's cost.
type rtEnv struct {
	set     *handlers.Set
	counter *opCounter
}

func newRTEnv(t *testing.T) rtEnv { t.Helper(); return newRTEnvConfig(t, nil, nil) }

// newRTEnvConfig is newRTEnv with edit applied to the functions' config
// and clock (nil: time.Now) for the handlers and stores.
func newRTEnvConfig(t *testing.T, edit func(*config.Config), clock func() time.Time) rtEnv {
	t.Helper()
	return buildRTEnv(t, nil, edit, clock)
}

// newRTEnvWith is newRTEnv with more environment variables and more
// client options (SDK middleware).
func newRTEnvWith(t *testing.T, vars map[string]string, opts ...func(*dynamodb.Options)) rtEnv {
	t.Helper()
	return buildRTEnv(t, vars, nil, nil, opts...)
}

// newRTEnvClock is newRTEnvWith with clock (nil: time.Now) for the
// handlers and stores.
func newRTEnvClock(t *testing.T, vars map[string]string, clock func() time.Time, opts ...func(*dynamodb.Options)) rtEnv {
	t.Helper()
	return buildRTEnv(t, vars, nil, clock, opts...)
}

// buildRTEnv is newRTEnv with environment variables vars, then edit applied
// to the config, clock for the handlers and stores, and client options opts.
func buildRTEnv(t *testing.T, vars map[string]string, edit func(*config.Config), clock func() time.Time, opts ...func(*dynamodb.Options)) rtEnv {
	t.Helper()
	srv := dynamolocal.Start(t)
	counter := &opCounter{}
	client := srv.Client(t, append([]func(*dynamodb.Options){counter.register}, opts...)...)
	revTable, usersTable := srv.CreateTables(t, client)
	hash, err := password.HashDefault("testpass")
	if err != nil {
		t.Fatal(err)
	}
	us := dynamostore.NewUsers(client, usersTable)
	if err := us.Add(context.Background(), users.User{Name: "testuser", PasswordHash: hash, Roles: []string{"user"}}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"JWT_SECRET_KEY": rtSecret}
	for k, v := range vars {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}, config.Lambda)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RevocationTable, cfg.UsersTable = revTable, usersTable
	set, err := handlers.New(cfg, []tokens.Key{{Secret: []byte(rtSecret)}},
		handlers.DynamoStores(client, cfg, clock), slog.New(slog.DiscardHandler), clock)
	if err != nil {
		t.Fatal(err)
	}
	counter.take() // table creation and seeding are not requests
	return rtEnv{set: set, counter: counter}
}

// invoke runs function id as the Lambda runtime does (JSON in, JSON out)
// and returns the operations it made.
func (e rtEnv) invoke(t *testing.T, id string, ev, resp any) []string {
	t.Helper()
	fn, err := e.set.REST(id)
	if err != nil {
		t.Fatal(err)
	}
	h := lambda.NewHandler(fn)
	in, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(context.Background(), in)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	if err := json.Unmarshal(out, resp); err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return e.counter.take()
}

// rtProxy is a REST proxy event for method path with a Cookie header built
// from jar's cookies named in names, X-CSRF-TOKEN csrf and a JSON body.
func rtProxy(method, path string, jar map[string]string, names []string, csrf, body string) events.APIGatewayProxyRequest {
	h := map[string]string{"Content-Type": "application/json", "Host": "abc123.execute-api.eu-west-1.amazonaws.com"}
	var parts []string
	for _, n := range names {
		parts = append(parts, n+"="+jar[n])
	}
	if len(parts) > 0 {
		h["Cookie"] = strings.Join(parts, "; ")
	}
	if csrf != "" {
		h["X-CSRF-TOKEN"] = csrf
	}
	mv := map[string][]string{}
	for k, v := range h {
		mv[k] = []string{v}
	}
	return events.APIGatewayProxyRequest{
		Resource: path, Path: path, HTTPMethod: method, Headers: h, MultiValueHeaders: mv, Body: body,
		RequestContext: events.APIGatewayProxyRequestContext{
			Stage: "Prod", HTTPMethod: method, ResourcePath: path, Path: "/Prod" + path, RequestID: "rt",
			Identity: events.APIGatewayRequestIdentity{SourceIP: "198.51.100.7"},
		},
	}
}

// rtJar reads the Set-Cookie headers of a proxy response.
func rtJar(t *testing.T, resp events.APIGatewayProxyResponse) map[string]string {
	t.Helper()
	jar := map[string]string{}
	for _, line := range resp.MultiValueHeaders["Set-Cookie"] {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatal(err)
		}
		jar[c.Name] = c.Value
	}
	return jar
}

func wantStatus(t *testing.T, what string, resp events.APIGatewayProxyResponse, status int, body string) {
	t.Helper()
	if resp.StatusCode != status || resp.Body != body {
		t.Fatalf("%s: got %d %s, want %d %s", what, resp.StatusCode, resp.Body, status, body)
	}
}

func wantOps(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: DynamoDB operations %q, want %q", what, got, want)
	}
}

// TestDynamoDBRoundTrips pins the DynamoDB calls each function makes per
// request against DynamoDB Local: they are the latency and the cost of a
// request. Login 3 on a failure (reserving an attempt on the user's and
// the IP's counters, one after the other, then the user), 5 on a success
// (plus resetting the user's counter and releasing the IP's), authorizer 1 (BatchGetItem of the
// token, session and user keys), protected 0, refresh 2 (one BatchGetItem
// over both tables for the session and user records and the user's roles
// and disabled flag, then the conditional Consume), logout 1
// PutItem per session, password 6 (reserving an attempt on the user's
// counter, GetItem, UpdateItem, two PutItem, resetting the counter).
func TestDynamoDBRoundTrips(t *testing.T) {
	env := newRTEnv(t)
	var resp events.APIGatewayProxyResponse

	// A failed login reserves an attempt on the user and IP counters, then
	// reads the user: the reservation was the failure's count.
	ops := env.invoke(t, handlers.LoginFunction,
		rtProxy("POST", "/login", nil, nil, "", `{"username":"testuser","password":"wrong"}`), &resp)
	wantStatus(t, "failed login", resp, 401, `{"msg":"Bad username or password"}`)
	wantOps(t, "failed login", ops, "GetItem users", "UpdateItem revocations", "UpdateItem revocations")
	// A good login resets the user's counter and releases the IP's.
	ops = env.invoke(t, handlers.LoginFunction,
		rtProxy("POST", "/login", nil, nil, "", `{"username":"testuser","password":"testpass"}`), &resp)
	wantStatus(t, "login", resp, 200, `{"login":true}`)
	wantOps(t, "login", ops, "UpdateItem revocations", "UpdateItem revocations", "GetItem users",
		"PutItem revocations", "UpdateItem revocations")
	jar := rtJar(t, resp)

	authorize := func(what string, wantEffect, wantMsg string) events.APIGatewayCustomAuthorizerResponse {
		t.Helper()
		ev := events.APIGatewayCustomAuthorizerRequestTypeRequest{
			Type: "REQUEST", MethodArn: "arn:aws:execute-api:eu-west-1:123456789012:abc123/Prod/GET/protected",
			Resource: "/protected", Path: "/protected", HTTPMethod: "GET",
			Headers:           map[string]string{"Cookie": "access_token_cookie=" + jar["access_token_cookie"]},
			MultiValueHeaders: map[string][]string{"Cookie": {"access_token_cookie=" + jar["access_token_cookie"]}},
		}
		var ar events.APIGatewayCustomAuthorizerResponse
		ops := env.invoke(t, handlers.AuthorizerFunction, ev, &ar)
		wantOps(t, what, ops, "BatchGetItem revocations")
		if len(ar.PolicyDocument.Statement) != 1 || ar.PolicyDocument.Statement[0].Effect != wantEffect || fmt.Sprint(ar.Context["msg"]) != wantMsg {
			t.Fatalf("%s: got %+v, want %s msg %q", what, ar, wantEffect, wantMsg)
		}
		return ar
	}
	ar := authorize("authorizer", "Allow", "<nil>")

	ops = env.invoke(t, handlers.ProtectedFunction, withAuthorizer(rtProxy("GET", "/protected", jar, nil, "", ""), ar), &resp)
	wantStatus(t, "protected", resp, 200, resp.Body)
	wantOps(t, "protected", ops)

	ops = env.invoke(t, handlers.RefreshFunction,
		rtProxy("POST", "/refresh", jar, []string{"refresh_token_cookie"}, jar["csrf_refresh_token"], ""), &resp)
	wantStatus(t, "refresh", resp, 200, `{"refresh":true}`)
	wantOps(t, "refresh", ops, "BatchGetItem revocations+users", "PutItem revocations")
	for k, v := range rtJar(t, resp) {
		jar[k] = v
	}

	ops = env.invoke(t, handlers.LogoutFunction,
		rtProxy("POST", "/logout", jar, []string{"access_token_cookie", "refresh_token_cookie"}, jar["csrf_access_token"], ""), &resp)
	wantStatus(t, "logout", resp, 200, `{"logout":true}`)
	wantOps(t, "logout", ops, "PutItem revocations")
	authorize("authorizer after logout", "Deny", "Token has been revoked")

	// A fresh login for the password change (it needs a fresh token).
	env.invoke(t, handlers.LoginFunction,
		rtProxy("POST", "/login", nil, nil, "", `{"username":"testuser","password":"testpass"}`), &resp)
	jar = rtJar(t, resp)
	ar = authorize("authorizer before password change", "Allow", "<nil>")
	ops = env.invoke(t, handlers.PasswordFunction, withAuthorizer(rtProxy("POST", "/password", jar,
		[]string{"access_token_cookie"}, jar["csrf_access_token"], `{"old_password":"testpass","new_password":"a much longer passphrase 42"}`), ar), &resp)
	wantStatus(t, "password", resp, 200, `{"password_changed":true}`)
	wantOps(t, "password", ops, "UpdateItem revocations", "GetItem users", "UpdateItem users",
		"PutItem revocations", "PutItem revocations", "PutItem revocations")
}

// withAuthorizer puts an Allow's principal and context where API Gateway
// puts them for the function behind the authorizer.
func withAuthorizer(ev events.APIGatewayProxyRequest, ar events.APIGatewayCustomAuthorizerResponse) events.APIGatewayProxyRequest {
	ev.RequestContext.Authorizer = map[string]any{"principalId": ar.PrincipalID}
	for k, v := range ar.Context {
		ev.RequestContext.Authorizer[k] = v
	}
	return ev
}
