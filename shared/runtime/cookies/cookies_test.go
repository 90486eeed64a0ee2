package cookies_test

import (
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
					// flask's cookie_max_age, whatever the token's lifetime.
					want := now.Add(cookies.PersistentMaxAge).Truncate(time.Second)
					if c.MaxAge != 31540000 || !c.Expires.Equal(want) {
						t.Errorf("%s: Max-Age %d Expires %v, want 31540000 %v", c.Name, c.MaxAge, c.Expires, want)
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
