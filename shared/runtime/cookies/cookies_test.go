package cookies_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/cookies"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// setCookies parses every Set-Cookie line of rec with net/http.
func setCookies(t *testing.T, rec *httptest.ResponseRecorder) ([]*http.Cookie, []string) {
	t.Helper()
	lines := rec.Result().Header.Values("Set-Cookie")
	var out []*http.Cookie
	for _, l := range lines {
		c, err := http.ParseSetCookie(l)
		if err != nil {
			t.Fatalf("ParseSetCookie(%q): %v", l, err)
		}
		out = append(out, c)
	}
	return out, lines
}

func names(cs []*http.Cookie) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

var flaskOrder = []string{"access_token_cookie", "csrf_access_token", "refresh_token_cookie", "csrf_refresh_token"}

func TestWrite(t *testing.T) {
	access := &cookies.Token{Value: "a.b.c", CSRF: "csrf-a", Expires: now.Add(15 * time.Minute)}
	refresh := &cookies.Token{Value: "d.e.f", CSRF: "csrf-r", Expires: now.Add(30 * 24 * time.Hour)}
	tests := []struct {
		name string
		mod  func(*cookies.Options)
	}{
		{"defaults", func(*cookies.Options) {}},
		{"persistent, strict, domain", func(o *cookies.Options) {
			o.Session = false
			o.SameSite = http.SameSiteStrictMode
			o.Domain = "example.com"
		}},
		{"insecure dev, custom paths", func(o *cookies.Options) {
			o.Secure = false
			o.RefreshPath, o.RefreshCSRFPath = "/refresh", "/"
			o.AccessPath = "/api/"
		}},
		{"SameSite None", func(o *cookies.Options) { o.SameSite = http.SameSiteNoneMode }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := cookies.Defaults()
			tc.mod(&o)
			rec := httptest.NewRecorder()
			if err := o.Write(rec, now, access, refresh); err != nil {
				t.Fatal(err)
			}
			got, lines := setCookies(t, rec)
			if strings.Join(names(got), ",") != strings.Join(flaskOrder, ",") {
				t.Fatalf("cookies %v, want %v in that order", names(got), flaskOrder)
			}
			want := []struct {
				value, path string
				httpOnly    bool
				expires     time.Time
			}{
				{"a.b.c", o.AccessPath, true, access.Expires},
				{"csrf-a", o.AccessCSRFPath, false, access.Expires},
				{"d.e.f", o.RefreshPath, true, refresh.Expires},
				{"csrf-r", o.RefreshCSRFPath, false, refresh.Expires},
			}
			for i, c := range got {
				w := want[i]
				if c.Value != w.value || c.Path != w.path || c.HttpOnly != w.httpOnly {
					t.Errorf("%s: value %q path %q HttpOnly %v; want %q %q %v", c.Name, c.Value, c.Path, c.HttpOnly, w.value, w.path, w.httpOnly)
				}
				if c.Secure != o.Secure || c.SameSite != o.SameSite || c.Domain != o.Domain {
					t.Errorf("%s: Secure %v SameSite %v Domain %q; want %v %v %q (%s)", c.Name, c.Secure, c.SameSite, c.Domain, o.Secure, o.SameSite, o.Domain, lines[i])
				}
				if o.Session {
					if c.MaxAge != 0 || !c.Expires.IsZero() || strings.Contains(lines[i], "Max-Age") || strings.Contains(lines[i], "Expires") {
						t.Errorf("%s: session cookie with a lifetime: %s", c.Name, lines[i])
					}
				} else {
					if c.MaxAge != int(w.expires.Sub(now).Seconds()) || !c.Expires.Equal(w.expires) {
						t.Errorf("%s: Max-Age %d Expires %v, want %d %v", c.Name, c.MaxAge, c.Expires, int(w.expires.Sub(now).Seconds()), w.expires)
					}
				}
			}
		})
	}
	t.Run("access only, no csrf cookies", func(t *testing.T) {
		o := cookies.Defaults()
		o.CSRFInCookies = false
		rec := httptest.NewRecorder()
		if err := o.Write(rec, now, access, nil); err != nil {
			t.Fatal(err)
		}
		got, _ := setCookies(t, rec)
		if len(got) != 1 || got[0].Name != "access_token_cookie" {
			t.Fatalf("cookies %v, want access_token_cookie only", names(got))
		}
	})
	t.Run("invalid value refused, nothing written", func(t *testing.T) {
		rec := httptest.NewRecorder()
		err := cookies.Defaults().Write(rec, now, &cookies.Token{Value: "a;b", CSRF: "x"}, refresh)
		if err == nil {
			t.Fatal("Write of a value with ';' = nil error")
		}
		if n := len(rec.Result().Header.Values("Set-Cookie")); n != 0 {
			t.Errorf("%d cookies written despite the error", n)
		}
	})
}

func TestClear(t *testing.T) {
	o := cookies.Defaults()
	o.Domain = "example.com"
	rec := httptest.NewRecorder()
	if err := o.Clear(rec); err != nil {
		t.Fatal(err)
	}
	got, lines := setCookies(t, rec)
	if strings.Join(names(got), ",") != strings.Join(flaskOrder, ",") {
		t.Fatalf("cleared %v, want %v", names(got), flaskOrder)
	}
	for i, c := range got {
		if c.Value != "" || c.MaxAge >= 0 || !c.Expires.Equal(time.Unix(0, 0)) {
			t.Errorf("%s: value %q MaxAge %d Expires %v, want empty, deleted, epoch", c.Name, c.Value, c.MaxAge, c.Expires)
		}
		if !strings.Contains(lines[i], "Max-Age=0") || !strings.Contains(lines[i], "Expires=Thu, 01 Jan 1970 00:00:00 GMT") {
			t.Errorf("%q: want both Max-Age=0 and the epoch Expires", lines[i])
		}
		if c.HttpOnly != (i%2 == 0) || !c.Secure || c.Path != "/" || c.Domain != "example.com" || c.SameSite != http.SameSiteLaxMode {
			t.Errorf("%s: attributes differ from the cookie set at login: %s", c.Name, lines[i])
		}
	}
}

// hdr builds http.Header from name/value pairs (names canonicalised).
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func TestFind(t *testing.T) {
	cookiesOnly := cookies.Locations{Cookies: true, HeaderName: "Authorization", HeaderType: "Bearer"}
	headersOnly := cookies.Locations{Headers: true, HeaderName: "Authorization", HeaderType: "Bearer"}
	both := cookies.Locations{Cookies: true, Headers: true, HeaderName: "Authorization", HeaderType: "Bearer"}
	tests := []struct {
		name       string
		h          cookies.Headers
		loc        cookies.Locations
		token      string
		fromCookie bool
		msg        string
	}{
		{"cookie", hdr("Cookie", "access_token_cookie=tok1"), cookiesOnly, "tok1", true, ""},
		{"cookie among others", hdr("Cookie", "theme=dark; access_token_cookie=tok1; csrf_access_token=c"), cookiesOnly, "tok1", true, ""},
		{"cookie in a second Cookie line", hdr("Cookie", "a=1", "Cookie", "access_token_cookie=tok2"), cookiesOnly, "tok2", true, ""},
		// Two values in one header: net/http's server parsing returns the
		// first, and so does Find; flask (werkzeug) also keeps the first.
		{"two values, first wins", hdr("Cookie", "access_token_cookie=first; access_token_cookie=second"), cookiesOnly, "first", true, ""},
		{"missing cookie", hdr("Cookie", "refresh_token_cookie=r"), cookiesOnly, "", false, `Missing cookie "access_token_cookie"`},
		{"empty cookie", hdr("Cookie", "access_token_cookie="), cookiesOnly, "", false, `Missing cookie "access_token_cookie"`},
		{"no Cookie header", hdr(), cookiesOnly, "", false, `Missing cookie "access_token_cookie"`},
		{"bearer", hdr("Authorization", "Bearer tok3"), headersOnly, "tok3", false, ""},
		{"missing header", hdr(), headersOnly, "", false, "Missing Authorization Header"},
		{"wrong type", hdr("Authorization", "Basic abc"), headersOnly, "", false, "Bad Authorization header. Expected value 'Bearer <JWT>'"},
		{"extra part", hdr("Authorization", "Bearer a b"), headersOnly, "", false, "Bad Authorization header. Expected value 'Bearer <JWT>'"},
		{"both: cookie first", hdr("Cookie", "access_token_cookie=c1", "Authorization", "Bearer h1"), both, "c1", true, ""},
		{"both: falls through to header", hdr("Authorization", "Bearer h1"), both, "h1", false, ""},
		{"both missing", hdr(), both, "", false, `Missing cookie "access_token_cookie"; Missing Authorization Header`},
		{"event headers, lower case", cookies.EventHeaders{Single: map[string]string{"cookie": "access_token_cookie=ev"}}, cookiesOnly, "ev", true, ""},
		{"event headers, multi wins", cookies.EventHeaders{
			Single: map[string]string{"Cookie": "access_token_cookie=single"},
			Multi:  map[string][]string{"COOKIE": {"access_token_cookie=multi"}},
		}, cookiesOnly, "multi", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := cookies.Find(tc.h, "access_token_cookie", tc.loc)
			if tc.msg != "" {
				if !errors.Is(err, cookies.ErrNoToken) {
					t.Fatalf("Find = %+v, %v; want ErrNoToken", f, err)
				}
				if msg, _ := cookies.Message(err); msg != tc.msg {
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
		loc := cookies.Locations{Headers: true, HeaderName: "X-Token"}
		if f, err := cookies.Find(hdr("X-Token", "raw"), "x", loc); err != nil || f.Token != "raw" {
			t.Fatalf("Find = %+v, %v", f, err)
		}
		_, err := cookies.Find(hdr("X-Token", "Bearer raw"), "x", loc)
		if msg, _ := cookies.Message(err); msg != "Bad X-Token header. Expected value '<JWT>'" {
			t.Fatalf("msg = %q", msg)
		}
	})
}

func TestCSRFApplies(t *testing.T) {
	c := cookies.DefaultCSRF()
	cookie := cookies.Found{Token: "t", FromCookie: true}
	header := cookies.Found{Token: "t"}
	tests := []struct {
		method string
		f      cookies.Found
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
	off := cookies.DefaultCSRF()
	off.Protect = false
	if off.Applies("POST", cookie) {
		t.Errorf("Applies with Protect off = true")
	}
	only := cookies.CSRF{Protect: true, Methods: map[string]bool{"DELETE": true}}
	if only.Applies("POST", cookie) || !only.Applies("DELETE", cookie) {
		t.Errorf("configured methods not honoured")
	}
}

func TestPresented(t *testing.T) {
	tests := []struct {
		name string
		h    cookies.Headers
		want string
	}{
		{"canonical", hdr("X-CSRF-TOKEN", "v1"), "v1"},
		{"lower case http.Header", hdr("x-csrf-token", "v2"), "v2"},
		{"event single, lower case", cookies.EventHeaders{Single: map[string]string{"x-csrf-token": "v3"}}, "v3"},
		{"event multi, mixed case", cookies.EventHeaders{Multi: map[string][]string{"X-Csrf-Token": {"v4", "other"}}}, "v4"},
		{"missing", hdr("X-Other", "x"), ""},
		{"empty", hdr("X-CSRF-TOKEN", ""), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := cookies.Presented(tc.h, "X-CSRF-TOKEN")
			if tc.want == "" {
				if !errors.Is(err, cookies.ErrCSRFMissing) {
					t.Fatalf("Presented = %q, %v; want ErrCSRFMissing", v, err)
				}
				if msg, _ := cookies.Message(err); msg != "Missing CSRF token" {
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
			err := cookies.Compare(tc.header, tc.claim)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("Compare = %v", err)
				}
				return
			}
			if !errors.Is(err, cookies.ErrCSRFMismatch) {
				t.Fatalf("Compare = %v, want ErrCSRFMismatch", err)
			}
			if msg, _ := cookies.Message(err); msg != tc.msg {
				t.Fatalf("msg = %q, want %q", msg, tc.msg)
			}
		})
	}
}
