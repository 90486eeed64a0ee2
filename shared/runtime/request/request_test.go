package request_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/request"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// hdr builds http.Header from name/value pairs (names canonicalised).
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestFind(t *testing.T) {
	cookiesOnly := request.Locations{Cookies: true, HeaderName: "Authorization", HeaderType: "Bearer"}
	headersOnly := request.Locations{Headers: true, HeaderName: "Authorization", HeaderType: "Bearer"}
	both := request.Locations{Cookies: true, Headers: true, HeaderName: "Authorization", HeaderType: "Bearer"}
	headersFirst := both
	headersFirst.Order = []string{request.LocHeaders, request.LocCookies}
	custom := request.Locations{Headers: true, HeaderName: "X-Auth", HeaderType: "JWT"}
	const (
		missingType = "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'"
		badHeader   = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"
	)
	noToken, bad := request.ErrNoToken, request.ErrBadHeader
	tests := []struct {
		name       string
		h          request.Headers
		loc        request.Locations
		token      string
		fromCookie bool
		kind       error
		msg        string
	}{
		{"cookie", hdr("Cookie", "access_token_cookie=tok1"), cookiesOnly, "tok1", true, nil, ""},
		{"cookie among others", hdr("Cookie", "theme=dark; access_token_cookie=tok1; csrf_access_token=c"), cookiesOnly, "tok1", true, nil, ""},
		{"cookie in a second Cookie line", hdr("Cookie", "a=1", "Cookie", "access_token_cookie=tok2"), cookiesOnly, "tok2", true, nil, ""},
		// Two values in one header: net/http's server parsing returns the
		// first, and so does Find; flask (werkzeug) also keeps the first.
		{"two values, first wins", hdr("Cookie", "access_token_cookie=first; access_token_cookie=second"), cookiesOnly, "first", true, nil, ""},
		{"missing cookie", hdr("Cookie", "refresh_token_cookie=r"), cookiesOnly, "", false, noToken, `Missing cookie "access_token_cookie"`},
		{"empty cookie", hdr("Cookie", "access_token_cookie="), cookiesOnly, "", false, noToken, `Missing cookie "access_token_cookie"`},
		{"no Cookie header", hdr(), cookiesOnly, "", false, noToken, `Missing cookie "access_token_cookie"`},
		// The header forms of flask-jwt-extended 4.7's tests/test_headers.py.
		{"bearer", hdr("Authorization", "Bearer tok3"), headersOnly, "tok3", false, nil, ""},
		{"missing header", hdr(), headersOnly, "", false, noToken, "Missing Authorization Header"},
		{"empty header", hdr("Authorization", ""), headersOnly, "", false, noToken, "Missing Authorization Header"},
		{"only commas and spaces", hdr("Authorization", " , ,"), headersOnly, "", false, noToken, missingType},
		{"only a comma", hdr("Authorization", ","), headersOnly, "", false, noToken, "Missing Authorization Header"},
		{"other type", hdr("Authorization", "Basic abc"), headersOnly, "", false, noToken, missingType},
		{"type in lower case", hdr("Authorization", "bearer tok"), headersOnly, "", false, noToken, missingType},
		{"token without type", hdr("Authorization", "tok"), headersOnly, "", false, noToken, missingType},
		{"type without token", hdr("Authorization", "Bearer"), headersOnly, "", false, bad, badHeader},
		{"extra part", hdr("Authorization", "Bearer a b"), headersOnly, "", false, bad, badHeader},
		{"other then ours", hdr("Authorization", "Basic abc, Bearer tok"), headersOnly, "tok", false, nil, ""},
		{"ours then other", hdr("Authorization", "Bearer tok,Basic abc"), headersOnly, "tok", false, nil, ""},
		{"trailing comma", hdr("Authorization", "Bearer tok,"), headersOnly, "tok", false, nil, ""},
		{"leading comma", hdr("Authorization", ", Bearer tok"), headersOnly, "tok", false, nil, ""},
		{"empty entry", hdr("Authorization", "Bearer tok,,Basic x"), headersOnly, "tok", false, nil, ""},
		{"two of ours", hdr("Authorization", "Bearer a, Bearer b"), headersOnly, "", false, noToken, missingType},
		{"tab", hdr("Authorization", "Bearer\ttok"), headersOnly, "tok", false, nil, ""},
		{"two spaces", hdr("Authorization", "Bearer  tok"), headersOnly, "tok", false, nil, ""},
		{"two header lines", hdr("Authorization", "Basic abc", "Authorization", "Bearer tok"), headersOnly, "tok", false, nil, ""},
		{"custom name and type", hdr("X-Auth", "JWT tok"), custom, "tok", false, nil, ""},
		{"custom type missing", hdr("X-Auth", "Bearer tok"), custom, "", false, noToken,
			"Missing 'JWT' type in 'X-Auth' header. Expected 'X-Auth: JWT <JWT>'"},
		// tests/test_multiple_token_locations.py: order, fall-through, message.
		{"both: cookie first", hdr("Cookie", "access_token_cookie=c1", "Authorization", "Bearer h1"), both, "c1", true, nil, ""},
		{"both: falls through to header", hdr("Authorization", "Bearer h1"), both, "h1", false, nil, ""},
		{"both missing", hdr(), both, "", false, noToken,
			`Missing JWT in cookies or headers (Missing cookie "access_token_cookie"; Missing Authorization Header)`},
		{"headers first: header wins", hdr("Cookie", "access_token_cookie=c1", "Authorization", "Bearer h1"), headersFirst, "h1", false, nil, ""},
		{"headers first: other type falls through", hdr("Cookie", "access_token_cookie=c1", "Authorization", "Basic x"), headersFirst, "c1", true, nil, ""},
		{"headers first: bad header stops", hdr("Cookie", "access_token_cookie=c1", "Authorization", "Bearer a b"), headersFirst, "", false, bad, badHeader},
		{"headers first: both missing", hdr(), headersFirst, "", false, noToken,
			`Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "access_token_cookie")`},
		{"event headers, lower case", request.EventHeaders{Single: map[string]string{"cookie": "access_token_cookie=ev"}}, cookiesOnly, "ev", true, nil, ""},
		{"event headers, multi wins", request.EventHeaders{
			Single: map[string]string{"Cookie": "access_token_cookie=single"},
			Multi:  map[string][]string{"COOKIE": {"access_token_cookie=multi"}},
		}, cookiesOnly, "multi", true, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := request.Find(tc.h, "access_token_cookie", tc.loc)
			if tc.kind != nil {
				if !errors.Is(err, tc.kind) {
					t.Fatalf("Find = %+v, %v; want %v", f, err, tc.kind)
				}
				if msg, _ := tokens.Message(err); msg != tc.msg {
					t.Fatalf("msg = %q, want %q", msg, tc.msg)
				}
				return
			}
			if err != nil || f.Token != tc.token || f.FromCookie != tc.fromCookie {
				t.Fatalf("Find = %+v, %v; want %q fromCookie=%v", f, err, tc.token, tc.fromCookie)
			}
		})
	}
	t.Run("header type empty", func(t *testing.T) {
		loc := request.Locations{Headers: true, HeaderName: "X-Token"}
		if f, err := request.Find(hdr("X-Token", "raw"), "x", loc); err != nil || f.Token != "raw" {
			t.Fatalf("Find = %+v, %v", f, err)
		}
		_, err := request.Find(hdr("X-Token", "Bearer raw"), "x", loc)
		if msg, _ := tokens.Message(err); !errors.Is(err, request.ErrBadHeader) || msg != "Bad X-Token header. Expected 'X-Token: <JWT>'" {
			t.Fatalf("err = %v, msg = %q", err, msg)
		}
	})
}

func TestCSRFApplies(t *testing.T) {
	c := request.DefaultCSRF()
	cookie := request.Found{Token: "t", FromCookie: true}
	header := request.Found{Token: "t"}
	tests := []struct {
		method string
		f      request.Found
		want   bool
	}{
		{"POST", cookie, true},
		{"put", cookie, true},
		{"PATCH", cookie, true},
		{"DELETE", cookie, true},
		{"GET", cookie, false},
		{"HEAD", cookie, false},
		{"OPTIONS", cookie, false},
		{"POST", header, false},
	}
	for _, tc := range tests {
		if got := c.Applies(tc.method, tc.f); got != tc.want {
			t.Errorf("Applies(%s, fromCookie=%v) = %v, want %v", tc.method, tc.f.FromCookie, got, tc.want)
		}
	}
	off := request.DefaultCSRF()
	off.Protect = false
	if off.Applies("POST", cookie) {
		t.Errorf("Applies with Protect off = true")
	}
	only := request.CSRF{Protect: true, Methods: map[string]bool{"DELETE": true}}
	if only.Applies("POST", cookie) || !only.Applies("DELETE", cookie) {
		t.Errorf("configured methods not honoured")
	}
}

func TestPresented(t *testing.T) {
	tests := []struct {
		name string
		h    request.Headers
		want string
	}{
		{"canonical", hdr("X-CSRF-TOKEN", "v1"), "v1"},
		{"lower case http.Header", hdr("x-csrf-token", "v2"), "v2"},
		{"event single, lower case", request.EventHeaders{Single: map[string]string{"x-csrf-token": "v3"}}, "v3"},
		// Repeated lines are joined as werkzeug's and gunicorn's WSGI environ
		// joins them, so two copies of the right value do not match (flask:
		// "CSRF double submit tokens do not match").
		{"event multi, mixed case", request.EventHeaders{Multi: map[string][]string{"X-Csrf-Token": {"v4", "other"}}}, "v4,other"},
		{"two lines", hdr("X-CSRF-TOKEN", "v5", "X-CSRF-TOKEN", "v5"), "v5,v5"},
		{"empty then value", hdr("X-CSRF-TOKEN", "", "X-CSRF-TOKEN", "v6"), ",v6"},
		{"missing", hdr("X-Other", "x"), ""},
		{"empty", hdr("X-CSRF-TOKEN", ""), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := request.Presented(tc.h, "X-CSRF-TOKEN")
			if tc.want == "" {
				if !errors.Is(err, request.ErrCSRFMissing) {
					t.Fatalf("Presented = %q, %v; want ErrCSRFMissing", v, err)
				}
				if msg, _ := tokens.Message(err); msg != "Missing CSRF token" {
					t.Fatalf("msg = %q", msg)
				}
				return
			}
			if err != nil || v != tc.want {
				t.Fatalf("Presented = %q, %v; want %q", v, err, tc.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name, header, claim, msg string
	}{
		{"equal", "3f1c", "3f1c", ""},
		{"different", "3f1c", "3f1d", "CSRF double submit tokens do not match"},
		{"prefix", "3f1", "3f1c", "CSRF double submit tokens do not match"},
		{"case differs", "ABC", "abc", "CSRF double submit tokens do not match"},
		{"claim missing", "3f1c", "", "Missing claim: csrf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := request.Compare(tc.header, tc.claim)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("Compare = %v", err)
				}
				return
			}
			if !errors.Is(err, request.ErrCSRFMismatch) {
				t.Fatalf("Compare = %v, want ErrCSRFMismatch", err)
			}
			if msg, _ := tokens.Message(err); msg != tc.msg {
				t.Fatalf("msg = %q, want %q", msg, tc.msg)
			}
		})
	}
}
