package authorizer_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/request"
)

// TestRepeatedQueryParameter: with the query_string location, a repeated
// parameter is read as flask's request.args.get reads it, the first value.
// API Gateway's queryStringParameters keep the last one (REST) or join
// them with "," (HTTP API); the multi-value map and the raw query string
// keep the order.
func TestRepeatedQueryParameter(t *testing.T) {
	e := newAZ(t)
	e.cfg.Locations = request.Locations{Query: true, QueryName: "jwt", Order: []string{request.LocQuery}}
	e.rebuild(slog.New(slog.DiscardHandler))
	good := e.issue(t, "testuser", "user").Access.Token
	tests := []struct {
		name   string
		values []string
		allow  bool
		msg    string
	}{
		{name: "one value", values: []string{good}, allow: true},
		{name: "valid first", values: []string{good, "garbage"}, allow: true},
		{name: "garbage first", values: []string{"garbage", good}, msg: "Not enough segments"},
		{name: "empty first", values: []string{"", good}, msg: "Missing 'jwt' query paramater"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" (REST)", func(t *testing.T) {
			ev := withAccess(azEvent(t, "get_protected.json"), "", "")
			ev.QueryStringParameters = map[string]string{"jwt": tt.values[len(tt.values)-1], "a": "1"}
			ev.MultiValueQueryStringParameters = map[string][]string{"jwt": tt.values, "a": {"1"}}
			resp, err := e.authz.REST(context.Background(), ev)
			if tt.allow {
				if err != nil || resp.PolicyDocument.Statement[0].Effect != "Allow" {
					t.Fatalf("REST = %+v, %v; want Allow", resp, err)
				}
				return
			}
			wantDenied(t, resp, err, ev, tt.msg)
		})
		t.Run(tt.name+" (HTTP API)", func(t *testing.T) {
			ev := azV2(t, "")
			raw, joined := "a=1", ""
			for i, v := range tt.values {
				raw += "&jwt=" + v
				if i > 0 {
					joined += ","
				}
				joined += v
			}
			ev.RawQueryString = raw
			ev.QueryStringParameters = map[string]string{"jwt": joined, "a": "1"}
			resp, err := e.authz.HTTP(context.Background(), ev)
			if err != nil || resp.IsAuthorized != tt.allow || (!tt.allow && resp.Context.Msg != tt.msg) {
				t.Fatalf("HTTP = %+v, %v; want authorized %v, msg %q", resp, err, tt.allow, tt.msg)
			}
		})
	}
}
