package session_test

import (
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
)

// TestRefreshQueryStringFirstValue: with the query_string location a
// repeated parameter is read as flask's request.args.get reads it, the
// first value (API Gateway's single-value map holds the last; the proxy
// adapter builds the URL from the multi-value map, in order).
func TestRefreshQueryStringFirstValue(t *testing.T) {
	h := newHarnessEnv(t, map[string]string{"JWT_TOKEN_LOCATION": "query_string"})
	jar := h.login()
	refresh := jar["refresh_token_cookie"]
	for _, tc := range []struct {
		name   string
		values []string
		status int
		body   string
	}{
		{"garbage first", []string{"garbage", refresh}, 401, `{"msg":"Not enough segments"}`},
		{"empty first", []string{"", refresh}, 401, `{"msg":"Missing 'jwt' query paramater"}`},
		{"valid first", []string{refresh, "garbage"}, 200, `{"refresh":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := withSession(event(t, "refresh.json"), nil, nil, "")
			ev.QueryStringParameters = map[string]string{"jwt": tc.values[len(tc.values)-1]}
			ev.MultiValueQueryStringParameters = map[string][]string{"jwt": tc.values}
			wantReply(t, h.invoke(handlers.RefreshFunction, ev), tc.status, tc.body)
		})
	}
}

// TestRefreshJSONTokenNotString: a JSON-body token that is not a string
// but is truthy (5, true, a list, an object) is refused at once with
// PyJWT's words, as flask hands it to PyJWT; a falsy one (0, false, "",
// null, []) is "missing" and the lookup goes on.
func TestRefreshJSONTokenNotString(t *testing.T) {
	h := newHarnessEnv(t, map[string]string{"JWT_TOKEN_LOCATION": "headers,json"})
	const invalid = `{"msg":"Invalid token type. Token must be a \u003cclass 'bytes'\u003e"}` // Go's encoder escapes < and >
	const missing = `{"msg":"Missing JWT in headers or json (Missing Authorization Header; Missing \"refresh_token\" key in json data.)"}`
	for _, tc := range []struct{ value, body string }{
		{"5", invalid}, {"true", invalid}, {`["t"]`, invalid}, {`{"a":1}`, invalid},
		{"0", missing}, {"false", missing}, {`""`, missing}, {"null", missing}, {"[]", missing},
	} {
		t.Run(tc.value, func(t *testing.T) {
			ev := withSession(event(t, "refresh.json"), nil, nil, "")
			setHeader(&ev, "Content-Type", "application/json")
			ev.Body = `{"refresh_token":` + tc.value + `}`
			wantReply(t, h.invoke(handlers.RefreshFunction, ev), 401, tc.body)
		})
	}
}
