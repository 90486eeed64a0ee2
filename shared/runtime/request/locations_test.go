package request_test

import (
	"errors"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/request"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// TestFindInQueryAndJSON: flask-jwt-extended 4.4.4's query_string and json
// locations, messages as the installed library answers them (read with its
// test client): a missing query parameter falls through, a value without
// the prefix is refused at once (422 in flask), JSON needs a JSON content
// type and a non-empty string under the key (the refresh key for refresh
// tokens), and several locations are named in flask's "Missing JWT in A or
// B (...)".
func TestFindInQueryAndJSON(t *testing.T) {
	base := request.Locations{HeaderName: "Authorization", HeaderType: "Bearer", QueryName: "jwt",
		JSONKey: "access_token", RefreshJSONKey: "refresh_token"}
	with := func(order ...string) request.Locations {
		l := base
		l.Order = order
		for _, o := range order {
			switch o {
			case request.LocCookies:
				l.Cookies = true
			case request.LocHeaders:
				l.Headers = true
			case request.LocQuery:
				l.Query = true
			case request.LocJSON:
				l.JSON = true
			}
		}
		return l
	}
	prefixed := with(request.LocQuery)
	prefixed.QueryPrefix = "Bearer "
	jsonCT := hdr("Content-Type", "application/json")
	tests := []struct {
		name    string
		loc     request.Locations
		in      request.Input
		refresh bool
		token   string
		msg     string
		badQS   bool
		kind    error // the refusal's sentinel when not ErrNoToken or ErrBadQuery
	}{
		{name: "query", loc: with(request.LocQuery), in: request.Input{Headers: hdr(), Query: map[string]string{"jwt": "tok"}}, token: "tok"},
		{name: "query missing", loc: with(request.LocQuery), in: request.Input{Headers: hdr()}, msg: "Missing 'jwt' query paramater"},
		{name: "query empty", loc: with(request.LocQuery), in: request.Input{Headers: hdr(), Query: map[string]string{"jwt": ""}}, msg: "Missing 'jwt' query paramater"},
		{name: "query prefix", loc: prefixed, in: request.Input{Headers: hdr(), Query: map[string]string{"jwt": "Bearer tok"}}, token: "tok"},
		{name: "query without prefix", loc: prefixed, in: request.Input{Headers: hdr(), Query: map[string]string{"jwt": "tok"}}, badQS: true,
			msg: "Invalid value for query parameter 'jwt'. Expected the value to start with 'Bearer '"},
		{name: "bad query does not fall through", loc: func() request.Locations {
			l := with(request.LocQuery, request.LocHeaders)
			l.QueryPrefix = "B"
			return l
		}(),
			in:    request.Input{Headers: hdr("Authorization", "Bearer good"), Query: map[string]string{"jwt": "x"}},
			badQS: true, msg: "Invalid value for query parameter 'jwt'. Expected the value to start with 'B'"},
		{name: "json access", loc: with(request.LocJSON), in: request.Input{Headers: jsonCT, Body: []byte(`{"access_token":"tok"}`)}, token: "tok"},
		{name: "json refresh key", loc: with(request.LocJSON), refresh: true, in: request.Input{Headers: jsonCT, Body: []byte(`{"refresh_token":"r"}`)}, token: "r"},
		{name: "json access key on refresh", loc: with(request.LocJSON), refresh: true, in: request.Input{Headers: jsonCT, Body: []byte(`{"access_token":"a"}`)},
			msg: `Missing "refresh_token" key in json data.`},
		{name: "json +json type", loc: with(request.LocJSON), in: request.Input{Headers: hdr("Content-Type", "application/vnd.api+json; charset=utf-8"), Body: []byte(`{"access_token":"tok"}`)}, token: "tok"},
		{name: "json wrong type", loc: with(request.LocJSON), in: request.Input{Headers: hdr("Content-Type", "text/plain"), Body: []byte(`{"access_token":"tok"}`)},
			msg: "Invalid content-type. Must be application/json."},
		{name: "json no body (an authorizer)", loc: with(request.LocJSON), in: request.Input{Headers: jsonCT}, msg: `Missing "access_token" key in json data.`},
		{name: "json malformed", loc: with(request.LocJSON), in: request.Input{Headers: jsonCT, Body: []byte(`{bad`)}, msg: `Missing "access_token" key in json data.`},
		// flask hands any truthy value to PyJWT, which refuses a non-string
		// at once (no fall-through); falsy values are "missing".
		{name: "json number", loc: with(request.LocJSON, request.LocHeaders), in: request.Input{Headers: hdr("Content-Type", "application/json", "Authorization", "Bearer h"), Body: []byte(`{"access_token":1}`)},
			kind: request.ErrBadJSONToken, msg: "Invalid token type. Token must be a <class 'bytes'>"},
		{name: "json true", loc: with(request.LocJSON), in: request.Input{Headers: jsonCT, Body: []byte(`{"access_token":true}`)},
			kind: request.ErrBadJSONToken, msg: "Invalid token type. Token must be a <class 'bytes'>"},
		{name: "json list", loc: with(request.LocJSON), in: request.Input{Headers: jsonCT, Body: []byte(`{"access_token":["t"]}`)},
			kind: request.ErrBadJSONToken, msg: "Invalid token type. Token must be a <class 'bytes'>"},
		{name: "json object", loc: with(request.LocJSON), in: request.Input{Headers: jsonCT, Body: []byte(`{"access_token":{"a":1}}`)},
			kind: request.ErrBadJSONToken, msg: "Invalid token type. Token must be a <class 'bytes'>"},
		{name: "json zero", loc: with(request.LocJSON), in: request.Input{Headers: jsonCT, Body: []byte(`{"access_token":0}`)}, msg: `Missing "access_token" key in json data.`},
		{name: "json false", loc: with(request.LocJSON), in: request.Input{Headers: jsonCT, Body: []byte(`{"access_token":false}`)}, msg: `Missing "access_token" key in json data.`},
		{name: "json empty list", loc: with(request.LocJSON), in: request.Input{Headers: jsonCT, Body: []byte(`{"access_token":[]}`)}, msg: `Missing "access_token" key in json data.`},
		{name: "json empty string", loc: with(request.LocJSON), in: request.Input{Headers: jsonCT, Body: []byte(`{"access_token":""}`)}, msg: `Missing "access_token" key in json data.`},
		{name: "json null falls through", loc: with(request.LocJSON, request.LocHeaders), in: request.Input{Headers: hdr("Content-Type", "application/json", "Authorization", "Bearer h"), Body: []byte(`{"access_token":null}`)}, token: "h"},
		{name: "order: query before headers", loc: with(request.LocQuery, request.LocHeaders),
			in: request.Input{Headers: hdr("Authorization", "Bearer h"), Query: map[string]string{"jwt": "q"}}, token: "q"},
		{name: "falls through to headers", loc: with(request.LocQuery, request.LocHeaders),
			in: request.Input{Headers: hdr("Authorization", "Bearer h")}, token: "h"},
		{name: "several missing", loc: with(request.LocHeaders, request.LocQuery), in: request.Input{Headers: hdr()},
			msg: "Missing JWT in headers or query_string (Missing Authorization Header; Missing 'jwt' query paramater)"},
		{name: "three missing", loc: with(request.LocCookies, request.LocHeaders, request.LocJSON), in: request.Input{Headers: hdr()},
			msg: `Missing JWT in cookies, headers or json (Missing cookie "access_token_cookie"; Missing Authorization Header; Invalid content-type. Must be application/json.)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := tt.loc.FindIn(tt.in, "access_token_cookie", tt.refresh)
			if tt.msg != "" {
				msg, _ := tokens.Message(err)
				if msg != tt.msg {
					t.Fatalf("FindIn = %+v, %v; want message %q", f, err, tt.msg)
				}
				want := request.ErrNoToken
				if tt.badQS {
					want = request.ErrBadQuery
				}
				if tt.kind != nil {
					want = tt.kind
				}
				if !errors.Is(err, want) {
					t.Errorf("error %v is not %v", err, want)
				}
				return
			}
			if err != nil || f.Token != tt.token || f.FromCookie {
				t.Fatalf("FindIn = %+v, %v; want %q, not from a cookie (never CSRF-checked)", f, err, tt.token)
			}
		})
	}
}
