package resilience_test

import (
	"bufio"
	"encoding/json"
	"maps"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/testkit/capture"
	"github.com/jwtgate/jwtgate/shared/testkit/fakeclock"
)

// wireSecrets records every secret value that crosses the wire: cookie
// values and CSRF headers sent, and cookie values set.
type wireSecrets struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen map[string]bool
}

func (w *wireSecrets) add(v string) {
	if v == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen[v] = true
}

// RoundTrip implements http.RoundTripper.
func (w *wireSecrets) RoundTrip(req *http.Request) (*http.Response, error) {
	for _, c := range req.Cookies() {
		w.add(c.Value)
	}
	w.add(req.Header.Get("X-CSRF-TOKEN"))
	res, err := w.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	for _, c := range res.Cookies() {
		w.add(c.Value)
	}
	return res, nil
}

func (w *wireSecrets) values() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.seen))
	for v := range w.seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// TestLogHygiene runs the whole flow with the gateway logging JSON at debug
// level into a buffer and checks every line: valid JSON with a level and a
// msg, auth decisions with their outcome and reason, and no token, cookie
// value, CSRF value, password or signing secret anywhere.
func TestLogHygiene(t *testing.T) {
	logs := &capture.Buffer{}
	clock := fakeclock.New(time.Now())
	f := newGateway(t, setup{Log: logs, Clock: clock.Now})
	wire := &wireSecrets{next: f.Client.Transport, seen: map[string]bool{}}
	f.Client = &http.Client{Transport: wire, Timeout: f.Client.Timeout}
	const wrongPassword = "not-the-password-42"
	const typedPassword = "Tr0ub4dor&3-typed-as-a-username"

	// The flow.
	a := f.login(t, "testuser", "testpass")
	f.do(t, a, protectedCall).want(t, http.StatusOK, `{"logged_in_as":"testuser"}`)
	f.do(t, a, adminCall).want(t, http.StatusUnauthorized, `{"msg":"Forbidden: requires role admin"}`) // refused at the gateway
	beforeRefresh := maps.Clone(a)
	r := f.do(t, a, refreshCall).want(t, http.StatusOK, bodyRefresh)
	a.update(r.res)
	f.do(t, a, protectedCall).want(t, http.StatusOK, `{"logged_in_as":"testuser"}`)
	f.do(t, session{}, loginCall("testuser", wrongPassword)).want(t, http.StatusUnauthorized, bodyBadCredentials)
	// A password typed into the username field, until it is locked out
	// (issue 12 item 10): the name is unverified, so no line may carry it.
	for range 5 {
		f.do(t, session{}, loginCall(typedPassword, "x")).want(t, http.StatusUnauthorized, bodyBadCredentials)
	}
	f.do(t, session{}, loginCall(typedPassword, "x")).
		want(t, http.StatusTooManyRequests, `{"msg":"Too many failed login attempts, try again later"}`)
	// CSRF failures: at a session handler and at the authorizer.
	f.do(t, a, call{Method: http.MethodPost, Path: "/refresh"}).want(t, http.StatusUnauthorized, `{"msg":"Missing CSRF token"}`)
	f.do(t, a, call{Method: http.MethodPost, Path: "/password", CSRFCookie: "csrf_refresh_token",
		Body: map[string]string{"old_password": "testpass", "new_password": "whatever-long-enough"}}).
		want(t, http.StatusUnauthorized, `{"msg":"CSRF double submit tokens do not match"}`)
	// Refresh reuse after the grace window: theft, the session dies.
	clock.Advance(11 * time.Second)
	f.do(t, beforeRefresh, refreshCall).want(t, http.StatusUnauthorized, bodyRevoked)
	f.do(t, a, protectedCall).want(t, http.StatusUnauthorized, bodyRevoked)
	// An admin session, logged out.
	b := f.login(t, "admin", "adminpass")
	f.do(t, b, adminCall).want(t, http.StatusOK, `{"admin":true,"user":"admin"}`)
	old := maps.Clone(b)
	f.do(t, b, logoutCall).want(t, http.StatusOK, bodyLogout)
	f.do(t, old, protectedCall).want(t, http.StatusUnauthorized, bodyRevoked)

	out := logs.String()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("captured log:\n%s", out)
		}
	})

	// Every line is a JSON object with a level and a msg; every request
	// the gateway served got exactly one decision line from the function
	// that decided it, with its outcome (msg) and, for a refusal, why.
	var requests int
	decisions := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("line %d is not JSON: %v: %s", n, err, line)
			continue
		}
		level, _ := rec["level"].(string)
		msg, _ := rec["msg"].(string)
		if level == "" || msg == "" {
			t.Errorf("line %d has no level or msg: %s", n, line)
			continue
		}
		if msg == "request" {
			requests++
			continue
		}
		outcome, ok := decisionOutcome(msg)
		if !ok {
			continue
		}
		reason, _ := rec["reason"].(string)
		user, _ := rec["user"].(string)
		sid, _ := rec["sid"].(string)
		tag, _ := rec["user_tag"].(string)
		switch {
		case outcome == "refused" && reason == "":
			t.Errorf("line %d: a refusal without a reason: %s", n, line)
		case outcome == "granted" && (user == "" || sid == ""):
			t.Errorf("line %d: a grant without user and sid: %s", n, line)
		case msg == "login refused" && (reason == "unknown user" || reason == "locked out") && (user != "" || len(tag) != 16):
			// The name is not known to exist: its tag, never the name.
			t.Errorf("line %d: an unverified username logged as %q (tag %q), want only a 16-digit tag: %s", n, user, tag, line)
		}
		decisions[msg+" "+reason]++
	}
	total := 0
	for _, c := range decisions {
		total += c
	}
	if total != requests {
		t.Errorf("%d requests but %d decision lines: %v", requests, total, decisions)
	}
	for _, want := range []string{
		"login ", "login refused wrong password", "allow ", "deny CSRF double submit tokens do not match",
		"refresh refused Missing CSRF token", "refresh token reuse detected: session revoked ",
		"login refused unknown user", "login refused locked out",
		"deny Token has been revoked", "refresh ", "logout ",
	} {
		if decisions[want] == 0 {
			t.Errorf("no decision line %q among %v", want, decisions)
		}
	}

	// No secret, nor the first 16 characters of one, anywhere.
	secrets := append(wire.values(), "testpass", "adminpass", wrongPassword, typedPassword, testSecret, "$argon2id$")
	if len(secrets) < 12 {
		t.Fatalf("only %d secrets recorded on the wire: the recorder is broken", len(secrets))
	}
	for _, v := range secrets {
		for _, probe := range []string{v, v[:min(16, len(v))]} {
			if strings.Contains(out, probe) {
				t.Errorf("the log contains a secret (%d chars, starts %.6q...)", len(v), v)
			}
		}
	}
	t.Logf("%d log lines checked: %d requests, %d decisions; %d secret values searched", strings.Count(out, "\n"),
		requests, total, len(secrets))
}

// decisionOutcome maps the msg of every auth decision line to its
// outcome: refusals must say why, grants who.
func decisionOutcome(msg string) (string, bool) {
	switch msg {
	case "allow", "login", "refresh", "logout": // an allow may carry "forbidden" (role rule failed)
		return "granted", true
	case "deny", "login refused", "refresh refused", "logout refused":
		return "refused", true
	case "refresh token reuse detected: session revoked":
		return "theft", true
	case "authorizer failed closed":
		return "failed", true
	}
	return "", false
}
