package devserver_test

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/testkit/capture"
	"github.com/jwtgate/jwtgate/shared/testkit/dynamolocal"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
)

// revocationFault is how revocationFaults breaks the revocation table.
type revocationFault int32

const (
	noFault revocationFault = iota
	// winnerUnread: a refused conditional write comes back without the
	// record it lost to (an endpoint without ALL_OLD), and the read of
	// that record (BatchGetItem) fails.
	winnerUnread
	// conditionalWriteFails: every conditional write that asks for the
	// record it may lose to (Consume) fails.
	conditionalWriteFails
	// sessionWriteFails: every write of a sid# record fails.
	sessionWriteFails
)

// revocationFaults is the revocation table's client on DynamoDB Local,
// failing as fault says (an InternalServerError, wrapped as the SDK wraps
// every service error).
type revocationFaults struct {
	dynamostore.ItemAPI
	fault atomic.Int32
}

func (f *revocationFaults) is(m revocationFault) bool { return revocationFault(f.fault.Load()) == m }

func internalError(op string) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op,
		Err: &types.InternalServerError{Message: aws.String("injected: revocation table failing")}}
}

func (f *revocationFaults) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	pk, _ := in.Item["pk"].(*types.AttributeValueMemberS)
	switch {
	case f.is(conditionalWriteFails) && in.ReturnValuesOnConditionCheckFailure == types.ReturnValuesOnConditionCheckFailureAllOld:
		return nil, internalError("PutItem")
	case f.is(sessionWriteFails) && pk != nil && strings.HasPrefix(pk.Value, revocation.SessionKey("")):
		return nil, internalError("PutItem")
	}
	out, err := f.ItemAPI.PutItem(ctx, in, o...)
	var ccf *types.ConditionalCheckFailedException
	if f.is(winnerUnread) && err != nil && errors.As(err, &ccf) {
		ccf.Item = nil
	}
	return out, err
}

func (f *revocationFaults) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if f.is(winnerUnread) {
		return nil, internalError("BatchGetItem")
	}
	return f.ItemAPI.BatchGetItem(ctx, in, o...)
}

// TestDynamoDBLegacyLogoutAfterTrade: on DynamoDB Local, a session the
// real flask-jwt-extended opened is traded at /refresh for a jwtgate
// session; a /logout with the flask cookies from before the trade (a stale
// tab, a stolen copy) ends that jwtgate session, its access and refresh
// tokens both. When the revocation table fails on the way (the record of
// the trade unreadable, the conditional write refused, the session's
// record unwritable) logout fails closed: 503, the cookies kept, the
// reason logged, the session untouched; the retry ends it.
func TestDynamoDBLegacyLogoutAfterTrade(t *testing.T) {
	ddb := dynamolocal.Start(t)
	tests := []struct {
		name  string
		fault revocationFault
		// why is what the fail-closed log line must name as the cause.
		why string
	}{
		{"no fault", noFault, ""},
		{"the trade's record cannot be read", winnerUnread, "look up 1 keys: operation error DynamoDB: BatchGetItem"},
		{"the conditional write fails", conditionalWriteFails, "consume \\\"jti#"},
		{"the bought session cannot be revoked", sessionWriteFails, "revoke session "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			env := map[string]string{
				"JWT_SECRET_KEY":              testSecret,
				"REVOCATION_TABLE":            "revocations-" + dynamolocal.RandomName(),
				"USERS_TABLE":                 "users-" + dynamolocal.RandomName(),
				"AWS_REGION":                  "us-east-1",
				"JWTGATE_LEGACY_TOKENS_UNTIL": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
			}
			getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			stores, _, err := devserver.DynamoStores(ctx, ddb.URL, getenv)
			if err != nil {
				t.Fatal(err)
			}
			faults := &revocationFaults{ItemAPI: ddb.Client(t)}
			stores.Revocations = dynamostore.NewRevocations(faults, env["REVOCATION_TABLE"])
			logs := &capture.Buffer{}
			srv, err := devserver.New(ctx, devserver.Options{Template: []byte(jwtgate.Template), Getenv: getenv,
				Stores: stores, Log: slog.New(slog.NewJSONHandler(logs, nil)), Clock: time.Now})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(srv.Gateway)
			defer ts.Close()
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("gateway log:\n%s", logs)
				}
			})

			stale := flaskSession(t, "testuser")
			r := dynDo(t, ts.URL, "POST", "/refresh", maps.Clone(stale), "csrf_refresh_token", nil)
			r.want(t, 200, `{"refresh":true}`)
			bought := maps.Clone(stale)
			bought.update(r.res)
			dynDo(t, ts.URL, "GET", "/protected", bought, "", nil).want(t, 200, `{"logged_in_as":"testuser"}`)

			if tt.fault != noFault {
				faults.fault.Store(int32(tt.fault))
				r := dynDo(t, ts.URL, "POST", "/logout", stale, "csrf_access_token", nil)
				faults.fault.Store(int32(noFault))
				r.want(t, 503, `{"msg":"Logout failed: the session could not be revoked, try again"}`)
				if sc := r.res.Header.Values("Set-Cookie"); len(sc) != 0 {
					t.Errorf("a failed logout changed cookies: %q", sc)
				}
				logged := logs.String()
				if !strings.Contains(logged, `"msg":"logout failed closed"`) || !strings.Contains(logged, `"reason":"revocation store"`) ||
					!strings.Contains(logged, tt.why) || !strings.Contains(logged, "injected: revocation table failing") {
					t.Errorf("the log does not say logout failed closed on the revocation store (%s):\n%s", tt.why, logged)
				}
				// Nothing claimed: the bought session goes on.
				dynDo(t, ts.URL, "GET", "/protected", bought, "", nil).want(t, 200, `{"logged_in_as":"testuser"}`)
			}

			r = dynDo(t, ts.URL, "POST", "/logout", stale, "csrf_access_token", nil)
			r.want(t, 200, `{"logout":true}`)
			if got := len(r.res.Header.Values("Set-Cookie")); got != 4 {
				t.Errorf("logout set %d cookies, want the 4 cleared", got)
			}
			if !strings.Contains(logs.String(), `"revoked_sid"`) {
				t.Errorf("the logout's log line does not name the bought session:\n%s", logs)
			}
			dynDo(t, ts.URL, "GET", "/protected", bought, "", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
			dynDo(t, ts.URL, "POST", "/refresh", bought, "csrf_refresh_token", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
			dynDo(t, ts.URL, "GET", "/protected", stale, "", nil).want(t, 401, `{"msg":"Token has been revoked"}`)
		})
	}
}
