package webapp_test

// Browser tests: the demo page and jwtgate-client.js in a real Chromium
// (driven with chromedp over the DevTools pipe) against the dev gateway
// with its in-process functions and in-memory stores.
//
// Screenshots of every step are written to t.ArtifactDir(); run with
//   go test -count=1 -artifacts -outputdir /tmp/webapp-shots ./shared/tooling/webapp/
// to keep them.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/cors"
	"github.com/jwtgate/jwtgate/shared/runtime/handlers"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/testkit/provision"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
	"github.com/jwtgate/jwtgate/shared/tooling/webapp"
)

// chromiumTarget is the make target that installs Chromium.
const chromiumTarget = "tools-chromium"

const installHint = "install chromium: make " + chromiumTarget

// chromiumPath finds Chromium, installing it with `make tools-chromium` (as
// `make test` does) when it is missing; it fails t when that fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	var path string
	find := func() error {
		p, err := exec.LookPath("chromium")
		if err != nil {
			if _, statErr := os.Stat("/usr/bin/chromium"); statErr != nil {
				return fmt.Errorf("chromium not found: %w", err)
			}
			p = "/usr/bin/chromium"
		}
		path = p
		return nil
	}
	root, err := provision.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if err := provision.Ensure(t.Context(), root, provision.Tool{Target: chromiumTarget, Check: find}); err != nil {
		t.Fatal(err)
	}
	return path
}

// countingRevocations counts Put calls: logout, password change and
// refresh-token theft are the only writers of revocation records.
type countingRevocations struct {
	*revocation.MemoryStore
	puts *atomic.Int64
}

func (c countingRevocations) Put(ctx context.Context, r revocation.Record) error {
	c.puts.Add(1)
	return c.MemoryStore.Put(ctx, r)
}

// countingUsers counts password changes.
type countingUsers struct {
	*users.MemoryStore
	changes *atomic.Int64
}

func (c countingUsers) ChangePassword(ctx context.Context, name, oldHash, hash string, at time.Time) (int64, error) {
	c.changes.Add(1)
	return c.MemoryStore.ChangePassword(ctx, name, oldHash, hash, at)
}

// seen is one request as the gateway received it.
type seen struct {
	Method, Path, Origin string
	Cookie, CSRF         bool
	Status               int
}

// seenOf is r as the gateway received it, answered with status.
func seenOf(r *http.Request, status int) seen {
	_, cookieErr := r.Cookie("access_token_cookie")
	return seen{Method: r.Method, Path: r.URL.Path, Origin: r.Header.Get("Origin"),
		Cookie: cookieErr == nil, CSRF: r.Header.Get("X-CSRF-TOKEN") != "", Status: status}
}

// stack is a dev gateway under test with its counters.
type stack struct {
	URL        string
	users      *users.MemoryStore
	puts       atomic.Int64 // revocation records written
	pwChanges  atomic.Int64
	refreshes  atomic.Int64 // POST /refresh received
	refreshOK  atomic.Int64 // POST /refresh answered 200
	mu         sync.Mutex
	requests   []seen
	gatewayLog strings.Builder
}

func (s *stack) log() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.requests...)
}

type stackOptions struct {
	env map[string]string
	tls bool
}

// startStack starts devserver.New with in-memory stores and the web app as
// Fallback behind a real http.Server on 127.0.0.1.
func startStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	ctx := t.Context()
	s := &stack{users: users.NewMemoryStore()}
	if err := devserver.Seed(ctx, s.users); err != nil {
		t.Fatalf("seed: %v", err)
	}
	env := map[string]string{"JWT_SECRET_KEY": "browser-test-secret-0123456789abcdef"}
	for k, v := range o.env {
		env[k] = v
	}
	srv, err := devserver.New(ctx, devserver.Options{
		Template: []byte(jwtgate.Template),
		Getenv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Log:      slog.New(slog.NewTextHandler(&lockedWriter{mu: &s.mu, b: &s.gatewayLog}, nil)),
		Stores: &handlers.Stores{
			Users:       countingUsers{MemoryStore: s.users, changes: &s.pwChanges},
			Revocations: countingRevocations{MemoryStore: revocation.NewMemoryStore(time.Now), puts: &s.puts},
		},
		Fallback: webapp.Handler(),
	})
	if err != nil {
		t.Fatalf("devserver.New: %v", err)
	}
	var h http.Handler = srv.Gateway
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/refresh" {
			s.refreshes.Add(1)
		}
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		if r.Method == http.MethodPost && r.URL.Path == "/refresh" && rec.status == http.StatusOK {
			s.refreshOK.Add(1)
		}
		s.mu.Lock()
		s.requests = append(s.requests, seenOf(r, rec.status))
		s.mu.Unlock()
	})
	s.URL = serve(t, counted, o.tls)
	t.Cleanup(func() {
		if t.Failed() {
			s.mu.Lock()
			t.Logf("gateway log:\n%s", s.gatewayLog.String())
			s.mu.Unlock()
		}
	})
	return s
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// serve runs h on 127.0.0.1:<free port> and returns its URL. TLS uses
// httptest's self-signed certificate (Chromium runs with
// --ignore-certificate-errors).
func serve(t *testing.T, h http.Handler, useTLS bool) string {
	t.Helper()
	if useTLS {
		ts := httptest.NewUnstartedServer(h)
		ts.StartTLS()
		t.Cleanup(ts.Close)
		return ts.URL
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String()
}

// onLocalhost turns http://127.0.0.1:P into http://localhost:P: another
// site for the browser (site = scheme + host), served by the same socket.
func onLocalhost(u string) string { return strings.Replace(u, "127.0.0.1", "localhost", 1) }

// newBrowser starts Chromium with a fresh profile and returns a tab.
// A missing Chromium fails the test: it never skips.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserProfile(t, "")
}

// newBrowserProfile starts Chromium with prefs (JSON) as the profile's
// Preferences file; "" keeps Chromium's defaults.
func newBrowserProfile(t *testing.T, prefs string) context.Context {
	t.Helper()
	profile := t.TempDir()
	if prefs != "" {
		if err := os.MkdirAll(filepath.Join(profile, "Default"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(profile, "Default", "Preferences"), []byte(prefs), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("ignore-certificate-errors", true),
	)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelTab)
	start := time.Now()
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium %s: %v (%s)", path, err, installHint)
	}
	// A phone's viewport (headless windows are at least 500 px wide).
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatalf("emulate a phone viewport: %v", err)
	}
	t.Logf("chromium started in %v", time.Since(start).Round(time.Millisecond))
	return tab
}

// shots saves numbered screenshots of a tab into the test's artifact dir.
type shots struct {
	t   *testing.T
	dir string
	n   int
}

func newShots(t *testing.T) *shots {
	dir := t.ArtifactDir()
	t.Logf("screenshots: %s", dir)
	return &shots{t: t, dir: dir}
}

func (s *shots) take(ctx context.Context, name string) {
	s.t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
	s.n++
	// FullScreenshot with quality 100 is a PNG.
	file := filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		s.t.Fatalf("write %s: %v", file, err)
	}
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition; on timeout it fails with the value
// of show.
func waitFor(t *testing.T, ctx context.Context, cond, show string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](show))
		t.Fatalf("waiting for %s: %v (now: %q)", cond, err, got)
	}
}

func text(id string) string {
	return fmt.Sprintf(`document.getElementById(%q).textContent`, id)
}

func waitText(t *testing.T, ctx context.Context, id, want string) {
	t.Helper()
	waitFor(t, ctx, fmt.Sprintf(`%s === %q`, text(id), want), text(id))
}

func waitVisible(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	waitFor(t, ctx, fmt.Sprintf(`!document.getElementById(%q).closest("[hidden]")`, id),
		`[...document.querySelectorAll("section")].filter(s => !s.hidden).map(s => s.id).join(",")`)
}

// fill sets the value of an input as typing would (an input event
// follows); key-by-key typing costs a DevTools round trip per character.
func fill(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(el => { el.focus(); el.value = %q; el.dispatchEvent(new Event("input", {bubbles: true})); })(document.getElementById(%q))`,
		value, id))
}

func login(t *testing.T, ctx context.Context, user, pass string) {
	t.Helper()
	waitVisible(t, ctx, "login")
	do(t, ctx, "log in as "+user,
		fill("username", user),
		fill("password", pass),
		chromedp.Click(chromedp.ID("login-submit")),
	)
	waitVisible(t, ctx, "session")
	waitText(t, ctx, "whoami", user)
}

func openApp(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	do(t, ctx, "open "+url, chromedp.Navigate(url+"/"))
	waitFor(t, ctx, `document.getElementById("status").textContent !== "Loading…"`, text("status"))
}

// fetchResult is what pageFetch returns: status and msg, or the error name
// when the browser refused to hand over the response.
type fetchResult struct {
	Status int    `json:"status"`
	Msg    string `json:"msg"`
	Body   string `json:"body"`
	Error  string `json:"error"`
}

// pageFetch runs fetch in the page; init is a JavaScript object literal.
func pageFetch(t *testing.T, ctx context.Context, url, init string) fetchResult {
	t.Helper()
	expr := fmt.Sprintf(`fetch(%q, %s).then(async r => {
		const body = await r.text(); let msg = "";
		try { msg = JSON.parse(body).msg || ""; } catch {}
		return JSON.stringify({status: r.status, msg, body});
	}, e => JSON.stringify({error: e.name}))`, url, init)
	var res fetchResult
	if err := json.Unmarshal([]byte(eval[string](t, ctx, expr)), &res); err != nil {
		t.Fatalf("fetch %s: %v", url, err)
	}
	return res
}

// TestBrowserFlow (a): log in as testuser, the admin panel shows the gateway's
// refusal (401 with the rule's msg), change
// the password through the page (a state-changing call with X-CSRF-TOKEN),
// log out, log in as admin and open the admin panel.
func TestBrowserFlow(t *testing.T) {
	t.Parallel()
	start := time.Now()
	st := startStack(t, stackOptions{})
	ctx := newBrowser(t)
	sh := newShots(t)

	openApp(t, ctx, st.URL)
	waitVisible(t, ctx, "login")
	sh.take(ctx, "login-form")

	login(t, ctx, "testuser", "testpass")
	sh.take(ctx, "logged-in-testuser")

	do(t, ctx, "open admin panel", chromedp.Click(chromedp.ID("admin-load")))
	waitText(t, ctx, "admin-result", "401 Forbidden: requires role admin")
	if state := eval[string](t, ctx, `document.getElementById("admin-result").dataset.state`); state != "denied" {
		t.Errorf("admin result state = %q, want denied", state)
	}
	sh.take(ctx, "admin-refused")

	// Wrong old password: the call gets through (CSRF header right) and is refused.
	do(t, ctx, "change password (wrong old)",
		fill("old-password", "not-my-password"),
		fill("new-password", "a-new-long-password"),
		chromedp.Click(chromedp.ID("password-submit")))
	waitText(t, ctx, "password-result", "403 Old password is incorrect")
	do(t, ctx, "change password",
		fill("old-password", "testpass"),
		fill("new-password", "a-new-long-password"),
		chromedp.Click(chromedp.ID("password-submit")))
	waitText(t, ctx, "password-result", "Password changed: every other session is logged out.")
	if n := st.pwChanges.Load(); n != 1 {
		t.Errorf("password changes = %d, want 1", n)
	}
	sh.take(ctx, "password-changed")
	// The page's session survives its own password change (new cookies).
	do(t, ctx, "check session", chromedp.Click(chromedp.ID("check")))
	waitFor(t, ctx, `document.getElementById("status").textContent.startsWith("Session checked")`, text("status"))
	waitText(t, ctx, "whoami", "testuser")

	do(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")))
	waitVisible(t, ctx, "login")
	waitText(t, ctx, "status", "Logged out.")
	sh.take(ctx, "logged-out")

	// The old password no longer works; the new one does.
	do(t, ctx, "log in with the old password",
		fill("username", "testuser"),
		fill("password", "testpass"),
		chromedp.Click(chromedp.ID("login-submit")))
	waitText(t, ctx, "login-error", "Bad username or password")
	sh.take(ctx, "bad-password")
	login(t, ctx, "testuser", "a-new-long-password")
	do(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")))
	waitText(t, ctx, "status", "Logged out.")

	login(t, ctx, "admin", "adminpass")
	do(t, ctx, "open admin panel", chromedp.Click(chromedp.ID("admin-load")))
	waitText(t, ctx, "admin-result", "OK: admin data for admin")
	if state := eval[string](t, ctx, `document.getElementById("admin-result").dataset.state`); state != "ok" {
		t.Errorf("admin result state = %q, want ok", state)
	}
	sh.take(ctx, "admin-ok")

	// The page ran under its strict CSP without a violation.
	if v := eval[int](t, ctx, `performance.getEntriesByType("resource").filter(e => !e.name.startsWith(location.origin)).length`); v != 0 {
		t.Errorf("%d resources loaded from another origin", v)
	}
	t.Logf("flow took %v", time.Since(start).Round(time.Millisecond))
}

// TestBrowserCookiesHidden (b): the page's JavaScript sees the two CSRF
// cookies and never the token cookies, which the browser does hold
// (HttpOnly).
func TestBrowserCookiesHidden(t *testing.T) {
	t.Parallel()
	st := startStack(t, stackOptions{})
	ctx := newBrowser(t)
	sh := newShots(t)
	openApp(t, ctx, st.URL)
	login(t, ctx, "testuser", "testpass")
	sh.take(ctx, "logged-in")

	names := eval[[]string](t, ctx, `document.cookie.split(";").map(c => c.trim().split("=")[0]).filter(Boolean).sort()`)
	want := []string{"csrf_access_token", "csrf_refresh_token"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("document.cookie names = %q, want %q", names, want)
	}
	raw := eval[string](t, ctx, `document.cookie`)
	for _, hidden := range []string{"access_token_cookie", "refresh_token_cookie"} {
		if strings.Contains(raw, hidden) {
			t.Errorf("document.cookie exposes %s: %q", hidden, raw)
		}
	}
	// The browser holds all four; the token cookies are HttpOnly.
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{st.URL + "/"}})
	if err != nil {
		t.Fatalf("Network.getCookies: %v", err)
	}
	got := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		got[c.Name] = c
	}
	for name, httpOnly := range map[string]bool{"access_token_cookie": true, "refresh_token_cookie": true,
		"csrf_access_token": false, "csrf_refresh_token": false} {
		c, ok := got[name]
		if !ok {
			t.Errorf("browser has no %s cookie", name)
			continue
		}
		if c.HTTPOnly != httpOnly || c.SameSite != network.CookieSameSiteLax || !c.Session {
			t.Errorf("%s: HttpOnly %v SameSite %q session %v, want HttpOnly %v, Lax, session cookie",
				name, c.HTTPOnly, c.SameSite, c.Session, httpOnly)
		}
	}
}

// TestBrowserTransparentRefresh (c): with 2-second access tokens the page
// keeps working across expiry through exactly one POST /refresh, and when
// the refresh fails it goes back to the login form.
func TestBrowserTransparentRefresh(t *testing.T) {
	t.Parallel()
	st := startStack(t, stackOptions{env: map[string]string{"JWT_ACCESS_TOKEN_EXPIRES": "2"}})
	ctx := newBrowser(t)
	sh := newShots(t)
	openApp(t, ctx, st.URL)
	login(t, ctx, "testuser", "testpass")
	if n := st.refreshes.Load(); n != 0 {
		t.Fatalf("refreshes before expiry = %d", n)
	}
	csrfBefore := eval[string](t, ctx, `(document.cookie.match(/csrf_access_token=([^;]+)/) || [])[1] || ""`)
	sh.take(ctx, "logged-in")

	time.Sleep(3100 * time.Millisecond) // iat has one-second resolution: 2 s + 1 s + margin
	do(t, ctx, "check session after expiry",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("whoami").textContent = ""`),
		chromedp.Click(chromedp.ID("check")))
	waitText(t, ctx, "whoami", "testuser")
	waitFor(t, ctx, `document.getElementById("status").textContent.startsWith("Session checked")`, text("status"))
	sh.take(ctx, "after-transparent-refresh")
	if n, ok := st.refreshes.Load(), st.refreshOK.Load(); n != 1 || ok != 1 {
		t.Errorf("POST /refresh: %d received, %d succeeded; want exactly 1 and 1", n, ok)
	}
	// The expired call was answered 401 "Token has expired", then retried.
	var protected []int
	for _, r := range st.log() {
		if r.Path == "/protected" {
			protected = append(protected, r.Status)
		}
	}
	if len(protected) < 3 || fmt.Sprint(protected[len(protected)-2:]) != "[401 200]" {
		t.Errorf("GET /protected statuses = %v, want ... 401 (expired) then 200 (retried)", protected)
	}
	if csrfAfter := eval[string](t, ctx, `(document.cookie.match(/csrf_access_token=([^;]+)/) || [])[1] || ""`); csrfAfter == "" || csrfAfter == csrfBefore {
		t.Errorf("csrf_access_token not rotated by the refresh (%q -> %q)", csrfBefore, csrfAfter)
	}

	// Refresh failing: lose the refresh cookie, let the access token expire.
	if _, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "refresh_token_cookie", URL: st.URL + "/"}); err != nil {
		t.Fatalf("delete refresh cookie: %v", err)
	}
	time.Sleep(3100 * time.Millisecond)
	do(t, ctx, "check session after the second expiry", chromedp.Click(chromedp.ID("check")))
	waitVisible(t, ctx, "login")
	waitText(t, ctx, "status", "Your session ended: please log in again.")
	sh.take(ctx, "refresh-failed-login-form")
	if n, ok := st.refreshes.Load(), st.refreshOK.Load(); n != 2 || ok != 1 {
		t.Errorf("POST /refresh: %d received, %d succeeded; want 2 and 1", n, ok)
	}
}

// TestBrowserAfterLogout (d): after logout the page shows the login form
// and every protected call fails, even with the old cookies put back
// (the session is revoked on the server, not only forgotten).
func TestBrowserAfterLogout(t *testing.T) {
	t.Parallel()
	st := startStack(t, stackOptions{})
	ctx := newBrowser(t)
	sh := newShots(t)
	openApp(t, ctx, st.URL)
	login(t, ctx, "testuser", "testpass")
	saved, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{st.URL + "/"}})
	if err != nil || len(saved.Cookies) != 4 {
		t.Fatalf("Network.getCookies: %d cookies, %v", len(saved.Cookies), err)
	}

	do(t, ctx, "log out", chromedp.Click(chromedp.ID("logout")))
	waitVisible(t, ctx, "login")
	waitText(t, ctx, "status", "Logged out.")
	sh.take(ctx, "logged-out")
	if c := eval[string](t, ctx, `document.cookie`); c != "" {
		t.Errorf("document.cookie after logout = %q, want empty", c)
	}
	if n := st.puts.Load(); n != 1 {
		t.Errorf("revocation records after logout = %d, want 1 (the session)", n)
	}

	check := func(stage, wantMsg string) {
		t.Helper()
		for _, c := range []struct{ path, init string }{
			{"/protected", `{}`},
			{"/admin", `{}`},
			{"/password", `{method: "POST", headers: {"Content-Type": "application/json",
				"X-CSRF-TOKEN": (document.cookie.match(/csrf_access_token=([^;]+)/) || [])[1] || ""},
				body: JSON.stringify({old_password: "testpass", new_password: "something-long-enough"})}`},
			{"/refresh", `{method: "POST", headers: {"X-CSRF-TOKEN": (document.cookie.match(/csrf_refresh_token=([^;]+)/) || [])[1] || ""}}`},
		} {
			got := pageFetch(t, ctx, c.path, c.init)
			wantMsg := wantMsg
			if c.path == "/refresh" {
				wantMsg = strings.Replace(wantMsg, "access_token_cookie", "refresh_token_cookie", 1)
			}
			if got.Status != http.StatusUnauthorized || got.Msg != wantMsg {
				t.Errorf("%s: %s: %d %q, want 401 %q", stage, c.path, got.Status, got.Msg, wantMsg)
			}
		}
	}
	check("cookies cleared", `Missing cookie "access_token_cookie"`)

	// Put the stolen cookies back: the server must still refuse them.
	var params []*network.CookieParam
	for _, c := range saved.Cookies {
		params = append(params, &network.CookieParam{Name: c.Name, Value: c.Value, URL: st.URL + "/",
			Path: c.Path, HTTPOnly: c.HTTPOnly, SameSite: c.SameSite})
	}
	if _, err := chromedp.Call(ctx, network.SetCookies, network.SetCookiesParams{Cookies: params}); err != nil {
		t.Fatalf("restore cookies: %v", err)
	}
	if c := eval[string](t, ctx, `document.cookie`); !strings.Contains(c, "csrf_access_token=") {
		t.Fatalf("cookies not restored: %q", c)
	}
	check("old cookies replayed", "Token has been revoked")
	if n := st.pwChanges.Load(); n != 0 {
		t.Errorf("password changes = %d, want 0", n)
	}

	// A reload with the replayed cookies lands on the login form.
	openApp(t, ctx, st.URL)
	waitVisible(t, ctx, "login")
	waitText(t, ctx, "status", "Token has been revoked")
	sh.take(ctx, "replayed-cookies-login-form")
}

// attackerPage tries state-changing calls against target from another site.
const attackerPage = `<!doctype html><meta charset="utf-8"><title>cute cats</title>
<body><h1>Nothing to see here</h1><pre id="out"></pre>
<script>
const target = %q;
const json = {"Content-Type": "application/json"};
const pw = JSON.stringify({old_password: "testpass", new_password: "attacker-chose-this"});
window.attack = async function () {
  const tries = {
    "logout json include": () => fetch(target + "/logout", {method: "POST", credentials: "include", headers: json, body: "{}"}),
    "logout simple include": () => fetch(target + "/logout", {method: "POST", credentials: "include", mode: "no-cors", body: "{}"}),
    "logout forged csrf include": () => fetch(target + "/logout", {method: "POST", credentials: "include", headers: {"X-CSRF-TOKEN": "guess"}}),
    "logout simple omit": () => fetch(target + "/logout", {method: "POST", credentials: "omit", mode: "no-cors"}),
    "logout json same-origin": () => fetch(target + "/logout", {method: "POST", headers: json, body: "{}"}),
    "password json include": () => fetch(target + "/password", {method: "POST", credentials: "include", headers: json, body: pw}),
    "password simple include": () => fetch(target + "/password", {method: "POST", credentials: "include", mode: "no-cors", body: pw}),
    "password simple omit": () => fetch(target + "/password", {method: "POST", credentials: "omit", mode: "no-cors", body: pw}),
    "protected read include": () => fetch(target + "/protected", {credentials: "include"}),
  };
  const out = {};
  for (const [name, f] of Object.entries(tries)) {
    try { const r = await f(); out[name] = r.type + " " + r.status; } catch (e) { out[name] = "blocked " + e.name; }
  }
  document.getElementById("out").textContent = JSON.stringify(out, null, 1);
  return JSON.stringify(out);
};
</script>`

// attackerForm auto-submits an HTML form (a top-level cross-site POST), with
// the text/plain trick that makes the body look like JSON.
const attackerForm = `<!doctype html><meta charset="utf-8"><title>cute cats</title>
<form method="POST" action="%s" enctype="text/plain">
<input type="hidden" name='{"old_password":"testpass","new_password":"attacker-chose-this","x":"' value='"}'>
</form>
<script>document.forms[0].submit();</script>`

func attackerSite(target string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, attackerPage, target)
	})
	mux.HandleFunc("GET /form/{path}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, attackerForm, target+"/"+r.PathValue("path"))
	})
	return mux
}

// attack runs the attacker page and both auto-submitted forms in a new tab
// of the victim's browser (same cookie jar) and returns the page's results.
func attack(t *testing.T, victim context.Context, site, target string, sh *shots) map[string]string {
	t.Helper()
	tab, cancel := chromedp.NewContext(victim)
	defer cancel()
	do(t, tab, "open attacker page", chromedp.Navigate(site+"/"))
	var out map[string]string
	if err := json.Unmarshal([]byte(eval[string](t, tab, `attack()`)), &out); err != nil {
		t.Fatalf("attack results: %v", err)
	}
	sh.take(tab, "attacker-page")
	out["victim cookies after fetches"] = tokenCookies(t, victim, target)
	for _, path := range []string{"logout", "password"} {
		do(t, tab, "auto-submitted form to /"+path, chromedp.Navigate(site+"/form/"+path))
		waitFor(t, tab, fmt.Sprintf(`location.href === %q && document.readyState === "complete"`, target+"/"+path), `location.href`)
		out["form "+path] = eval[string](t, tab, `document.body.innerText`)
		out["victim cookies after form "+path] = tokenCookies(t, victim, target)
	}
	sh.take(tab, "attacker-form-result")
	return out
}

// tokenCookies lists the names of the token cookies the browser holds for url.
func tokenCookies(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url + "/"}})
	if err != nil {
		t.Fatalf("Network.getCookies: %v", err)
	}
	var names []string
	for _, c := range res.Cookies {
		if strings.HasSuffix(c.Name, "_token_cookie") {
			names = append(names, c.Name)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// TestBrowserCrossSiteAttack (e): a page on another site (localhost while the
// gateway is 127.0.0.1) cannot log the victim out or change the password,
// whatever it tries; the victim's session still works afterwards.
func TestBrowserCrossSiteAttack(t *testing.T) {
	t.Parallel()
	st := startStack(t, stackOptions{})
	evil := onLocalhost(serve(t, attackerSite(st.URL), false))
	ctx := newBrowser(t)
	sh := newShots(t)
	openApp(t, ctx, st.URL)
	login(t, ctx, "testuser", "testpass")
	before, _ := st.users.Get(t.Context(), "testuser")
	startLog := len(st.log())

	results := attack(t, ctx, evil, st.URL, sh)
	for k, v := range results {
		t.Logf("attack %-28s -> %s", k, strings.TrimSpace(v))
	}
	for _, k := range []string{"logout json include", "logout forged csrf include", "logout json same-origin",
		"password json include", "protected read include"} {
		if !strings.HasPrefix(results[k], "blocked") {
			t.Errorf("%s: %q, want the browser to block it (no CORS for another site)", k, results[k])
		}
	}
	for _, k := range []string{"logout simple include", "logout simple omit", "password simple include", "password simple omit"} {
		if results[k] != "opaque 0" {
			t.Errorf("%s: %q, want an opaque response", k, results[k])
		}
	}

	// Server side: nothing was revoked or changed, and no attacker request
	// carried the victim's token cookie (SameSite=Lax) or a CSRF header.
	if n := st.puts.Load(); n != 0 {
		t.Errorf("revocation records written = %d, want 0", n)
	}
	if n := st.pwChanges.Load(); n != 0 {
		t.Errorf("password changes = %d, want 0", n)
	}
	if after, _ := st.users.Get(t.Context(), "testuser"); after.PasswordHash != before.PasswordHash {
		t.Error("password hash changed")
	}
	for _, r := range st.log()[startLog:] {
		t.Logf("gateway saw %s %s origin=%q cookie=%v csrf=%v -> %d", r.Method, r.Path, r.Origin, r.Cookie, r.CSRF, r.Status)
		// A cookieless POST /logout gets flask's 401 "Missing cookie" and is a
		// no-op (nothing revoked, nothing cleared): the state checks around this
		// loop see to it.
		// (An OPTIONS preflight gets 200 as from SAM's Cors mock, without
		// an Access-Control-Allow-Origin for this site: the browser then
		// blocks the call, as the "blocked TypeError" results show.)
		if r.Method != http.MethodOptions && r.Path == "/password" && r.Status == http.StatusOK {
			t.Errorf("attacker POST %s succeeded", r.Path)
		}
		// (GET /favicon.ico after a form landed on the gateway is the
		// browser's own same-site request, with cookies.)
		if r.Method == http.MethodPost && r.Cookie {
			t.Errorf("attacker request %s %s carried the access cookie", r.Method, r.Path)
		}
	}
	for _, k := range []string{"victim cookies after fetches", "victim cookies after form logout", "victim cookies after form password"} {
		if results[k] != "access_token_cookie,refresh_token_cookie" {
			t.Errorf("%s: %q, want both token cookies still held", k, results[k])
		}
	}
	if !strings.Contains(results["form password"], `Missing cookie \"access_token_cookie\"`) {
		t.Errorf("form to /password answered %q", results["form password"])
	}

	// The victim's page still works.
	do(t, ctx, "victim checks the session",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("whoami").textContent = ""`),
		chromedp.Click(chromedp.ID("check")))
	waitText(t, ctx, "whoami", "testuser")
	if got := pageFetch(t, ctx, "/protected", `{}`); got.Status != 200 || !strings.Contains(got.Body, `"logged_in_as":"testuser"`) {
		t.Errorf("victim GET /protected after the attack: %+v", got)
	}
	sh.take(ctx, "victim-still-logged-in")
}

// frontEndPage is a front end on another origin using jwtgate-client.js with
// credentials "include".
const frontEndPage = `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>front end</title><body style="font-family: sans-serif"><h1>Front end on %[1]s</h1><pre id="out"></pre>
<script type="module">
import { createClient } from "/jwtgate-client.js";
window.api = createClient({ base: %[2]q });
window.show = (label, v) => { document.getElementById("out").textContent += label + ": " + JSON.stringify(v) + "\n"; return JSON.stringify(v); };
window.ready = true;
</script>`

func frontEnd(name, api string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, frontEndPage, name, api)
	})
	mux.Handle("GET /jwtgate-client.js", webapp.Handler())
	mux.HandleFunc("GET /form/{path}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, attackerForm, api+"/"+r.PathValue("path"))
	})
	return mux
}

type apiResult struct {
	Status int             `json:"status"`
	OK     bool            `json:"ok"`
	Body   json.RawMessage `json:"body"`
}

// TestBrowserCrossOrigin (f): a cross-site deployment, with TLS on both
// sides (Secure cookies; Chromium runs with --ignore-certificate-errors).
func TestBrowserCrossOrigin(t *testing.T) {
	t.Parallel()
	t.Run("third-party cookies allowed", testCrossOriginAllowed)
	t.Run("third-party cookies blocked", testCrossOriginBlocked)
}

// Chromium profile preferences: cookie_controls_mode 0 lets third-party
// cookies through (Chrome's default for normal windows), 1 blocks them
// (Safari, Chrome incognito, and this Debian Chromium's headless default).
const (
	prefsAllow3PC = `{"profile":{"cookie_controls_mode":0,"block_third_party_cookies":false}}`
	prefsBlock3PC = `{"profile":{"cookie_controls_mode":1,"block_third_party_cookies":true}}`
)

// crossOrigin is the deployment of test (f): `jwtgate dev` as a user
// starts it, behind https on 127.0.0.1, with SameSite=None; Secure cookies
// and JWTGATE_CORS_ORIGINS naming app; other is a front end on an origin
// that is not listed.
type crossOrigin struct {
	st         *devProcess
	app, other string
}

func startCrossOrigin(t *testing.T) crossOrigin {
	t.Helper()
	// The front ends need the API's URL and the API needs the front end's
	// origin: the front ends read the URL when they serve.
	var apiURL atomic.Value
	apiURL.Store("")
	late := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			frontEnd(name, apiURL.Load().(string)).ServeHTTP(w, r)
		})
	}
	app := onLocalhost(serve(t, late("the allowed origin"), true))
	other := onLocalhost(serve(t, late("another origin"), true))
	st := startDev(t, map[string]string{
		"JWT_SECRET_KEY":      "browser-test-secret-0123456789abcdef",
		"JWT_COOKIE_SAMESITE": "None", "JWT_COOKIE_SECURE": "true", cors.EnvOrigins: app,
	}, true)
	apiURL.Store(st.URL)
	t.Logf("api %s, allowed front end %s, other %s", st.URL, app, other)
	return crossOrigin{st: st, app: app, other: other}
}

// apiCall runs a jwtgate-client.js call (a promise of {status, ok, body})
// in the front end page and shows it on the page.
func apiCall(t *testing.T, ctx context.Context, label, js string) apiResult {
	t.Helper()
	var r apiResult
	if err := json.Unmarshal([]byte(eval[string](t, ctx, fmt.Sprintf(`%s.then(r => show(%q, r))`, js, label))), &r); err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	return r
}

// testCrossOriginBlocked: a browser that blocks third-party cookies drops
// the API's cookies on a cross-site login, so the session does not exist.
// This is why the cors package doc recommends a same-site deployment.
func testCrossOriginBlocked(t *testing.T) {
	t.Parallel()
	co := startCrossOrigin(t)
	ctx := newBrowserProfile(t, prefsBlock3PC)
	sh := newShots(t)
	do(t, ctx, "open the allowed front end", chromedp.Navigate(co.app+"/"))
	waitFor(t, ctx, `window.ready === true`, `document.body.innerText`)
	r := apiCall(t, ctx, "login", `api.json("/login", {method: "POST", body: {username: "testuser", password: "testpass"}})`)
	if r.Status != 200 {
		t.Fatalf("cross-origin login: %d %s", r.Status, r.Body)
	}
	r = apiCall(t, ctx, "protected", `api.json("/protected")`)
	if r.Status != 401 || string(r.Body) != `{"msg":"Missing cookie \"access_token_cookie\""}` {
		t.Errorf("GET /protected with third-party cookies blocked: %d %s, want 401 Missing cookie", r.Status, r.Body)
	}
	sh.take(ctx, "third-party-cookies-blocked")
}

// testCrossOriginAllowed: the listed front end logs in and reads /protected
// with credentials "include"; a front end on a non-listed origin cannot
// read answers and, although the browser sends it the cookies, cannot make
// a state-changing call succeed (no CSRF value).
func testCrossOriginAllowed(t *testing.T) {
	t.Parallel()
	co := startCrossOrigin(t)
	st, app, other := co.st, co.app, co.other
	ctx := newBrowserProfile(t, prefsAllow3PC)
	sh := newShots(t)
	do(t, ctx, "open the allowed front end", chromedp.Navigate(app+"/"))
	waitFor(t, ctx, `window.ready === true`, `document.body.innerText`)
	call := func(ctx context.Context, label, js string) apiResult {
		t.Helper()
		return apiCall(t, ctx, label, js)
	}
	r := call(ctx, "login", `api.json("/login", {method: "POST", body: {username: "testuser", password: "testpass"}})`)
	if r.Status != 200 || string(r.Body) != `{"login":true}` {
		t.Fatalf("cross-origin login: %d %s", r.Status, r.Body)
	}
	r = call(ctx, "protected", `api.json("/protected")`)
	if r.Status != 200 || string(r.Body) != `{"logged_in_as":"testuser"}` {
		t.Fatalf("cross-origin GET /protected: %d %s", r.Status, r.Body)
	}
	r = call(ctx, "admin", `api.json("/admin")`)
	if r.Status != 401 || !strings.Contains(string(r.Body), "Forbidden: requires role admin") {
		t.Errorf("cross-origin GET /admin: %d %s, want the gateway's 401 readable", r.Status, r.Body)
	}
	// The API's cookies are SameSite=None; Secure, and this page cannot
	// read them (another site): it has no CSRF value to send, so a
	// state-changing call is refused. See the package doc of cors.
	if c := eval[string](t, ctx, `document.cookie`); c != "" {
		t.Errorf("front end sees cookies %q", c)
	}
	r = call(ctx, "logout without csrf", `api.json("/logout", {method: "POST"})`)
	if r.Status != 401 || string(r.Body) != `{"msg":"Missing CSRF token"}` {
		t.Errorf("cross-origin logout without a CSRF value: %d %s, want 401 Missing CSRF token", r.Status, r.Body)
	}
	sh.take(ctx, "allowed-front-end")
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{st.URL + "/"}})
	if err != nil {
		t.Fatalf("Network.getCookies: %v", err)
	}
	for _, c := range cookies.Cookies {
		if c.SameSite != network.CookieSameSiteNone || !c.Secure {
			t.Errorf("%s: SameSite %q Secure %v, want None and Secure", c.Name, c.SameSite, c.Secure)
		}
	}
	if len(cookies.Cookies) != 4 {
		t.Errorf("browser holds %d API cookies, want 4", len(cookies.Cookies))
	}

	// A front end on an origin that is not listed.
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	do(t, tab, "open the other front end", chromedp.Navigate(other+"/"))
	waitFor(t, tab, `window.ready === true`, `document.body.innerText`)
	startLog := len(st.log())
	for _, c := range []struct{ name, js string }{
		{"read protected", `fetch(%q + "/protected", {credentials: "include"})`},
		{"login json", `fetch(%q + "/login", {method: "POST", credentials: "include", headers: {"Content-Type": "application/json"}, body: '{"username":"testuser","password":"testpass"}'})`},
		{"logout forged csrf", `fetch(%q + "/logout", {method: "POST", credentials: "include", headers: {"X-CSRF-TOKEN": "guess"}})`},
	} {
		js := fmt.Sprintf(c.js, st.URL)
		got := eval[string](t, tab, js+`.then(r => "read " + r.status, e => "blocked " + e.name)`)
		if got != "blocked TypeError" {
			t.Errorf("other origin %s: %q, want blocked TypeError", c.name, got)
		}
	}
	got := eval[string](t, tab, fmt.Sprintf(`fetch(%q + "/logout", {method: "POST", credentials: "include", mode: "no-cors"}).then(r => r.type + " " + r.status, e => "blocked " + e.name)`, st.URL))
	if got != "opaque 0" {
		t.Errorf("other origin no-cors logout: %q", got)
	}
	sh.take(tab, "other-origin")
	do(t, tab, "auto-submitted form to /logout", chromedp.Navigate(other+"/form/logout"))
	waitFor(t, tab, fmt.Sprintf(`location.href === %q && document.readyState === "complete"`, st.URL+"/logout"), `location.href`)
	if body := eval[string](t, tab, `document.body.innerText`); !strings.Contains(body, "Missing CSRF token") {
		t.Errorf("form POST /logout from another origin answered %q, want Missing CSRF token", body)
	}
	sh.take(tab, "other-origin-form")

	// Server side: the cookies did reach the API (SameSite=None), the
	// answers carried no CORS grant for the other origin, and the CSRF
	// check refused every state change.
	sawCookie := false
	for _, r := range st.log()[startLog:] {
		t.Logf("gateway saw %s %s origin=%q cookie=%v csrf=%v -> %d", r.Method, r.Path, r.Origin, r.Cookie, r.CSRF, r.Status)
		sawCookie = sawCookie || r.Cookie
		if r.Method == http.MethodPost && r.Status < 400 {
			t.Errorf("other origin POST %s got %d", r.Path, r.Status)
		}
	}
	if !sawCookie {
		t.Error("no request from the other origin carried the cookies: the CSRF check was not exercised")
	}
	// No logout succeeded: the session still works.
	r = call(ctx, "protected after", `api.json("/protected")`)
	if r.Status != 200 {
		t.Errorf("allowed front end after the other origin's attempts: %d %s", r.Status, r.Body)
	}
}
