package request_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jwtgate/jwtgate/shared/runtime/request"
)

// netHTTPCookie is the reference CookieValue must match: net/http's own
// reading of a server request's Cookie headers.
func netHTTPCookie(lines []string, name string) string {
	r := http.Request{Header: http.Header{"Cookie": lines}}
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// TestCookieValueMatchesNetHTTP pins the allocation-free scan to net/http's
// parsing, malformed input included.
func TestCookieValueMatchesNetHTTP(t *testing.T) {
	const name = "access_token_cookie"
	many := strings.Repeat("a=1;", 3000) + name + "=late"
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"none", nil, ""},
		{"empty line", []string{""}, ""},
		{"only", []string{name + "=tok"}, "tok"},
		{"among others", []string{"csrf_access_token=c; " + name + "=tok; _ga=GA1.1"}, "tok"},
		{"first wins", []string{name + "=one; " + name + "=two"}, "one"},
		{"second line", []string{"a=b", name + "=tok"}, "tok"},
		{"spaces around", []string{" \t" + name + " = tok ; x=y"}, " tok"},
		{"quoted", []string{name + `="tok"`}, "tok"},
		{"lone quote", []string{name + `="`}, ""},
		{"bad value skipped", []string{name + "=a\\b; " + name + "=good"}, "good"},
		{"control byte", []string{name + "=a\x01b"}, ""},
		{"non-ascii", []string{name + "=café"}, ""},
		{"no equals", []string{name + "; " + name + "=x"}, ""},
		{"empty value", []string{name + "="}, ""},
		{"prefix name", []string{"x" + name + "=no; " + name + "x=no"}, ""},
		{"case differs", []string{strings.ToUpper(name) + "=no"}, ""},
		{"empty parts", []string{";;; " + name + "=tok;;"}, "tok"},
		{"over net/http's limit", []string{many}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := request.EventHeaders{Multi: map[string][]string{"Cookie": tt.lines}}
			if len(tt.lines) == 0 {
				h.Multi = nil
			}
			got := request.CookieValue(h, name)
			if ref := netHTTPCookie(tt.lines, name); got != ref || got != tt.want {
				t.Errorf("CookieValue = %q, net/http = %q, want %q", got, ref, tt.want)
			}
		})
	}
}

// TestCookieValueNotTokenName: a name net/http cannot match never matches.
func TestCookieValueNotTokenName(t *testing.T) {
	for _, name := range []string{"", "a b", "a;b", "a=b", "ä"} {
		t.Run(name, func(t *testing.T) {
			line := name + "=v"
			h := request.EventHeaders{Multi: map[string][]string{"Cookie": {line}}}
			if got, ref := request.CookieValue(h, name), netHTTPCookie([]string{line}, name); got != ref {
				t.Errorf("CookieValue(%q) = %q, net/http = %q", name, got, ref)
			}
		})
	}
}

// FuzzCookieValue compares CookieValue with net/http on arbitrary lines.
func FuzzCookieValue(f *testing.F) {
	for _, s := range []string{"access_token_cookie=x", `a=b; access_token_cookie="q"`, " ; =;access_token_cookie = v ;", "access_token_cookie=\x7f"} {
		f.Add(s, "access_token_cookie")
	}
	f.Fuzz(func(t *testing.T, line, name string) {
		h := request.EventHeaders{Single: map[string]string{"cookie": line}}
		if got, ref := request.CookieValue(h, name), netHTTPCookie([]string{line}, name); got != ref {
			t.Fatalf("CookieValue(%q, %q) = %q, net/http = %q", line, name, got, ref)
		}
	})
}

// TestEventHeadersValues: any spelling of a header name finds it, and the
// multi-value map wins over the single-value one.
func TestEventHeadersValues(t *testing.T) {
	tests := []struct {
		name string
		h    request.EventHeaders
		ask  string
		want []string
	}{
		{"exact multi", request.EventHeaders{Multi: map[string][]string{"Cookie": {"a", "b"}}}, "Cookie", []string{"a", "b"}},
		{"lower multi", request.EventHeaders{Multi: map[string][]string{"cookie": {"a"}}}, "Cookie", []string{"a"}},
		{"odd case multi", request.EventHeaders{Multi: map[string][]string{"CoOkIe": {"a"}}}, "Cookie", []string{"a"}},
		{"multi over single", request.EventHeaders{Multi: map[string][]string{"cookie": {"m"}}, Single: map[string]string{"Cookie": "s"}}, "Cookie", []string{"m"}},
		{"single exact", request.EventHeaders{Single: map[string]string{"X-CSRF-TOKEN": "c"}}, "X-CSRF-TOKEN", []string{"c"}},
		{"single lower", request.EventHeaders{Single: map[string]string{"x-csrf-token": "c"}}, "X-CSRF-TOKEN", []string{"c"}},
		{"single odd case", request.EventHeaders{Single: map[string]string{"X-Csrf-Token": "c"}}, "X-CSRF-TOKEN", []string{"c"}},
		{"long name scanned", request.EventHeaders{Single: map[string]string{strings.Repeat("x", 70): "v"}}, strings.Repeat("X", 70), []string{"v"}},
		{"absent", request.EventHeaders{Single: map[string]string{"Accept": "*/*"}}, "Cookie", nil},
		{"nil maps", request.EventHeaders{}, "Cookie", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.h.Values(tt.ask)
			if strings.Join(got, "\x00") != strings.Join(tt.want, "\x00") || (got == nil) != (tt.want == nil) {
				t.Errorf("Values(%q) = %q, want %q", tt.ask, got, tt.want)
			}
		})
	}
}
