package webapp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/jwtgate/jwtgate/shared/runtime/cors"
	"github.com/jwtgate/jwtgate/shared/testkit/provision"
)

// axiosPath is axios's browser bundle, installed from npm by
// `make tools-npm` into a node_modules beside its package.json (never
// committed).
const axiosPath = "testdata/npm/node_modules/axios/dist/axios.min.js"

// axiosPage is a front end written the way flask-jwt-extended users write
// one with axios: credentials on, axios's own XSRF support pointed at
// csrf_access_token / X-CSRF-TOKEN, and a 401 interceptor that refreshes
// once (with csrf_refresh_token) and retries. Each failing call refreshes
// on its own, as most such interceptors do. withXSRFToken is what axios
// (since 1.6) needs to send the header to another origin; the API is on
// another port of the same site. %[1]q is the API's URL.
const axiosPage = `<!doctype html>
<meta charset="utf-8">
<title>axios front end</title>
<pre id="out"></pre>
<script src="/axios.min.js"></script>
<script>
const api = axios.create({
  baseURL: %[1]q,
  withCredentials: true,
  withXSRFToken: true,
  xsrfCookieName: "csrf_access_token",
  xsrfHeaderName: "X-CSRF-TOKEN",
});
window.refreshes = [];
api.interceptors.response.use(r => r, async error => {
  const cfg = error.config;
  if (error.response && error.response.status === 401 && !cfg._retry && cfg.url !== "/refresh") {
    cfg._retry = true;
    try {
      const r = await api.post("/refresh", null, {xsrfCookieName: "csrf_refresh_token"});
      window.refreshes.push(r.status);
    } catch (e) {
      window.refreshes.push(e.response ? e.response.status + " " + JSON.stringify(e.response.data) : e.message);
      throw e;
    }
    return api(cfg);
  }
  return Promise.reject(error);
});
const outcome = p => p.then(r => r.status + " " + JSON.stringify(r.data),
  e => e.response ? e.response.status + " " + JSON.stringify(e.response.data) : "error " + e.message);
window.login = () => outcome(api.post("/login", {username: "admin", password: "adminpass"}));
window.race = () => Promise.all([outcome(api.get("/protected")), outcome(api.get("/admin"))]);
window.ready = true;
document.getElementById("out").textContent = "axios " + axios.VERSION;
</script>`

// axiosRounds is how many times two calls fail at once in one login. The
// old rotation (a new csrf_refresh_token per refresh) failed 16, 17 and 8
// rounds of 30 in three runs here (CSRF double submit tokens do not
// match), so 30 clean rounds by chance have odds near 1e-8.
const axiosRounds = 30

// TestBrowserAxiosRacingRefresh: axios from npm, in Chromium, against
// `jwtgate dev` as a user starts it, from a front end on another port
// (JWTGATE_CORS_ORIGINS names it). Round after round the access cookie goes
// away and two calls fail at once: each interceptor refreshes and retries,
// and both calls must succeed.
func TestBrowserAxiosRacingRefresh(t *testing.T) {
	t.Parallel()
	// Installed with `make tools-npm`, as make test does, when missing.
	root, err := provision.RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	var bundle []byte
	read := func() (err error) { bundle, err = os.ReadFile(axiosPath); return err }
	if err := provision.Ensure(t.Context(), root, provision.Tool{Target: "tools-npm", Check: read}); err != nil {
		t.Fatalf("axios is not installed: %v", err)
	}
	var apiURL atomic.Value
	apiURL.Store("")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, axiosPage, apiURL.Load().(string))
	})
	mux.HandleFunc("GET /axios.min.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(bundle)
	})
	front := onLocalhost(serve(t, mux, false))
	dev := startDev(t, map[string]string{
		"JWT_SECRET_KEY": "browser-test-secret-0123456789abcdef",
		cors.EnvOrigins:  front,
	}, false)
	// localhost on both sides: one site, so the SameSite=Lax cookies go
	// along and the page reads the csrf_* cookies (cookies ignore ports).
	api := onLocalhost(dev.URL)
	apiURL.Store(api)

	ctx := newBrowser(t)
	sh := newShots(t)
	do(t, ctx, "open the axios front end", chromedp.Navigate(front+"/"))
	waitFor(t, ctx, `window.ready === true`, `document.body.innerText`)
	t.Logf("%s, api %s, front end %s", eval[string](t, ctx, `"axios " + axios.VERSION`), api, front)
	if got := eval[string](t, ctx, `login()`); got != `200 {"login":true}` {
		t.Fatalf("axios login: %s", got)
	}
	var failed []string
	for round := range axiosRounds {
		// The access token is gone (as when it expires): both calls get 401.
		if _, err := chromedp.Call(ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: "access_token_cookie", URL: api + "/"}); err != nil {
			t.Fatalf("delete the access cookie: %v", err)
		}
		got := eval[[]string](t, ctx, `race()`)
		want := []string{`200 {"logged_in_as":"admin"}`, `200 {"admin":true,"user":"admin"}`}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			failed = append(failed, fmt.Sprintf("round %d: %q", round, got))
		}
	}
	refreshes := eval[[]any](t, ctx, `window.refreshes`)
	b, _ := json.Marshal(refreshes)
	t.Logf("%d rounds, %d refreshes: %s", axiosRounds, len(refreshes), b)
	sh.take(ctx, "axios-after-races")
	if len(failed) > 0 {
		t.Errorf("%d of %d rounds had a call fail:\n%s", len(failed), axiosRounds, strings.Join(failed, "\n"))
	}
	if len(refreshes) < axiosRounds {
		t.Errorf("%d refreshes for %d rounds: the calls did not fail and refresh", len(refreshes), axiosRounds)
	}
}
