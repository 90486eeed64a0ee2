package request_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/cookies"
	"github.com/jwtgate/jwtgate/shared/runtime/request"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// FuzzFind feeds arbitrary Cookie lines and Authorization headers to Find,
// through both header adapters (http.Header and the API Gateway event
// maps). It must never panic; a found token is a non-empty substring of the
// header it came from, a cookie token is exactly what net/http reads for
// that name, and a header token is only used when there is no such cookie.
func FuzzFind(f *testing.F) {
	const jwtish = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ0ZXN0dXNlciJ9.sig"
	for _, s := range [][3]string{
		{"access_token_cookie=" + jwtish, "", ""},
		{"theme=dark; access_token_cookie=" + jwtish + "; x=y", "", ""},
		{"access_token_cookie=a; access_token_cookie=b", "", ""},
		{"access_token_cookie=", "access_token_cookie=b", ""},
		{`access_token_cookie="quoted"`, "", ""},
		{"", "", "Bearer " + jwtish},
		{"theme=dark", "", "Bearer  two spaces"},
		{"", "", "bearer lower"},
		{"access_token_cookie=" + jwtish, "", "Bearer other"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	locs := []request.Locations{
		{Cookies: true, Headers: true, HeaderName: "Authorization", HeaderType: "Bearer"},
		{Cookies: true, Headers: true, HeaderName: "Authorization"}, // JWT_HEADER_TYPE=""
		{Cookies: true},
		{Headers: true, HeaderName: "Authorization", HeaderType: "Bearer"},
	}
	f.Fuzz(func(t *testing.T, cookie1, cookie2, authz string) {
		var lines []string
		for _, l := range []string{cookie1, cookie2} {
			if l != "" {
				lines = append(lines, l)
			}
		}
		h := http.Header{}
		if len(lines) > 0 {
			h["Cookie"] = lines
		}
		if authz != "" {
			h["Authorization"] = []string{authz}
		}
		ev := request.EventHeaders{Multi: map[string][]string{}, Single: map[string]string{}}
		for k, v := range h {
			ev.Multi[strings.ToLower(k)] = v
			ev.Single[k] = v[len(v)-1]
		}
		stdReq := http.Request{Header: http.Header{"Cookie": lines}}
		stdValue := ""
		if c, err := stdReq.Cookie(cookies.DefaultAccessName); err == nil {
			stdValue = c.Value
		}
		for _, loc := range locs {
			got, err := request.Find(h, cookies.DefaultAccessName, loc)
			evGot, evErr := request.Find(ev, cookies.DefaultAccessName, loc)
			if got != evGot || (err == nil) != (evErr == nil) {
				t.Fatalf("adapters disagree: http.Header %+v %v, event maps %+v %v", got, err, evGot, evErr)
			}
			if err != nil {
				if msg, ok := tokens.Message(err); !ok || msg == "" || !(errors.Is(err, request.ErrNoToken) || errors.Is(err, request.ErrBadHeader)) || got != (request.Found{}) {
					t.Fatalf("refusal %v (%q) with %+v", err, msg, got)
				}
				continue
			}
			if got.Token == "" {
				t.Fatal("found an empty token")
			}
			if got.FromCookie {
				if !loc.Cookies || got.Token != stdValue || !strings.Contains(cookie1+"\n"+cookie2, got.Token) {
					t.Fatalf("cookie token %q, net/http reads %q", got.Token, stdValue)
				}
				continue
			}
			if !loc.Headers || !strings.Contains(authz, got.Token) || (loc.Cookies && stdValue != "") {
				t.Fatalf("header token %q from %q (cookie %q present)", got.Token, authz, stdValue)
			}
		}
	})
}
