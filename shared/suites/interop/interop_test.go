package interop_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate"
	"github.com/jwtgate/jwtgate/shared/runtime/secret"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/testkit/servers"
	"github.com/jwtgate/jwtgate/shared/tooling/devserver"
)

var asymmetric = []string{"EdDSA", "ES256", "RS256"}

// pythonCmd runs Debian's Python (servers.Python: python3-jwt 2.6,
// python3-cryptography and flask-jwt-extended 4.4.4) with args, failing t
// with the install hint when a library is missing.
func pythonCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	if _, err := servers.CheckPython(t.Context(), "jwt", "cryptography", "flask_jwt_extended"); err != nil {
		t.Fatal(err)
	}
	return exec.Command(servers.Python, args...)
}

func generate(t *testing.T, alg, id string) tokens.Key {
	t.Helper()
	k, err := tokens.GenerateKey(alg, id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// keySet is the JSON a JWT_SECRET_KEY (or the Secrets Manager secret) holds.
func keySet(t *testing.T, keys ...tokens.Key) string {
	t.Helper()
	var set secret.KeySet
	for _, k := range keys {
		e, err := secret.Entry(k)
		if err != nil {
			t.Fatal(err)
		}
		set.Keys = append(set.Keys, e)
	}
	return set.JSON()
}

func publicPEM(t *testing.T, k tokens.Key) string {
	t.Helper()
	p, err := k.PublicKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func privatePEM(t *testing.T, k tokens.Key) string {
	t.Helper()
	p, err := k.PrivateKeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startGateway serves `jwtgate dev`'s gateway on the real clock (PyJWT and
// flask check exp and iat against it).
func startGateway(t *testing.T, env map[string]string) string {
	t.Helper()
	srv, err := devserver.New(context.Background(), devserver.Options{
		Template: []byte(jwtgate.Template),
		Getenv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("devserver.New: %v", err)
	}
	ts := httptest.NewServer(srv.Gateway)
	t.Cleanup(ts.Close)
	return ts.URL
}

type response struct {
	Status int
	Body   string
	Header http.Header
}

func send(t *testing.T, method, url, body string, headers map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 20 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, strings.TrimSpace(string(b)), res.Header}
}

// login returns the cookies a login at base sets, by name.
func login(t *testing.T, base string) map[string]string {
	t.Helper()
	r := send(t, "POST", base+"/login", `{"username":"testuser","password":"testpass"}`, map[string]string{"Content-Type": "application/json"})
	if r.Status != 200 {
		t.Fatalf("login at %s: %d %s", base, r.Status, r.Body)
	}
	return cookiesOf(t, r)
}

func cookiesOf(t *testing.T, r response) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, sc := range r.Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(sc)
		if err != nil {
			t.Fatalf("Set-Cookie %q: %v", sc, err)
		}
		out[c.Name] = c.Value
	}
	for _, name := range []string{"access_token_cookie", "csrf_access_token", "refresh_token_cookie", "csrf_refresh_token"} {
		if out[name] == "" {
			t.Fatalf("no %s in %v", name, r.Header.Values("Set-Cookie"))
		}
	}
	return out
}

func cookieHeader(cookies map[string]string, names ...string) string {
	var parts []string
	for _, n := range names {
		parts = append(parts, n+"="+cookies[n])
	}
	return strings.Join(parts, "; ")
}

// pyjwt verifies token from the JWKS at url; it returns the claims, or the
// PyJWT error ("ClassName: message").
func pyjwt(t *testing.T, url, alg, token, issuer string) (map[string]any, string, string) {
	t.Helper()
	cmd := pythonCmd(t, "testdata/pyjwt_verify.py", url, alg, token, issuer)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("pyjwt_verify.py: %v", err)
		}
		return nil, "", strings.TrimSpace(stderr.String())
	}
	var out struct {
		Kid    string         `json:"kid"`
		Claims map[string]any `json:"claims"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("pyjwt_verify.py printed %q: %v", stdout.String(), err)
	}
	return out.Claims, out.Kid, ""
}

const issuer = "https://auth.example.test"

// TestPyJWTVerifiesFromJWKS: a third party that knows only the JWKS URL
// (PyJWT's PyJWKClient) verifies jwtgate's access and refresh tokens for
// every asymmetric algorithm, finds the key by kid among every published
// key (the previous one included), and refuses a tampered token and one
// signed with a key that is not published.
func TestPyJWTVerifiesFromJWKS(t *testing.T) {
	for _, alg := range asymmetric {
		t.Run(alg, func(t *testing.T) {
			current, previous := generate(t, alg, "current-"+alg), generate(t, alg, "previous-"+alg)
			base := startGateway(t, map[string]string{"JWT_ALGORITHM": alg, "JWT_ENCODE_ISSUER": issuer,
				"JWT_SECRET_KEY": keySet(t, current, previous)})

			r := send(t, "GET", base+"/.well-known/jwks.json", "", nil)
			if r.Status != 200 || r.Header.Get("Cache-Control") != "public, max-age=300" || r.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("jwks: %d %v %s", r.Status, r.Header, r.Body)
			}
			var set struct {
				Keys []map[string]string `json:"keys"`
			}
			if err := json.Unmarshal([]byte(r.Body), &set); err != nil {
				t.Fatal(err)
			}
			var kids []string
			for _, k := range set.Keys {
				kids = append(kids, k["kid"])
				if k["alg"] != alg || k["use"] != "sig" || k["d"] != "" {
					t.Errorf("JWK %v: want alg %s, use sig and no private part", k, alg)
				}
			}
			if !slices.Equal(kids, []string{current.ID, previous.ID}) {
				t.Errorf("JWKS kids %v, want the signing key and the previous one", kids)
			}
			r = send(t, "GET", base+"/.well-known/openid-configuration", "", nil)
			var disc map[string]any
			if err := json.Unmarshal([]byte(r.Body), &disc); err != nil || r.Status != 200 ||
				disc["issuer"] != issuer || disc["jwks_uri"] != issuer+"/.well-known/jwks.json" {
				t.Errorf("openid-configuration: %d %s", r.Status, r.Body)
			}

			jwksURL := base + "/.well-known/jwks.json"
			cookies := login(t, base)
			for _, name := range []string{"access_token_cookie", "refresh_token_cookie"} {
				claims, kid, perr := pyjwt(t, jwksURL, alg, cookies[name], issuer)
				// tenant: the demo user's own claim (users.User.Claims).
				if perr != "" || kid != current.ID || claims["sub"] != "testuser" || claims["iss"] != issuer || claims["tenant"] != "acme" {
					t.Errorf("%s: PyJWT got claims %v kid %q, error %q", name, claims, kid, perr)
				}
			}
			tok := cookies["access_token_cookie"]
			tampered := tok[:len(tok)-4] + map[bool]string{true: "AAAA", false: "BBBB"}[!strings.HasSuffix(tok, "AAAA")]
			if _, _, perr := pyjwt(t, jwksURL, alg, tampered, issuer); !strings.HasPrefix(perr, "InvalidSignatureError") &&
				!strings.HasPrefix(perr, "DecodeError") {
				t.Errorf("tampered token: PyJWT error %q, want InvalidSignatureError", perr)
			}
			// Signed by a key the JWKS does not list (kid "current-..." but
			// another key pair): PyJWT finds the kid and the signature fails.
			stranger := startGateway(t, map[string]string{"JWT_ALGORITHM": alg, "JWT_ENCODE_ISSUER": issuer,
				"JWT_SECRET_KEY": keySet(t, generate(t, alg, "unpublished"))})
			if _, _, perr := pyjwt(t, jwksURL, alg, login(t, stranger)["access_token_cookie"], issuer); !strings.HasPrefix(perr, "PyJWKClientError") {
				t.Errorf("token of an unpublished key: PyJWT error %q, want PyJWKClientError", perr)
			}
		})
	}
}

// flaskApp runs testdata/flaskapp.py with env on a socket it inherits.
func flaskApp(t *testing.T, env map[string]string) string {
	t.Helper()
	return servers.StartPython(t, "testdata/flaskapp.py", env).URL
}

// TestFlaskAcceptsOurCookies: a flask-jwt-extended app configured with
// jwtgate's public key (JWT_PUBLIC_KEY, JWT_DECODE_ALGORITHMS) accepts the
// cookies a jwtgate login set on its protected route, runs its own CSRF
// double submit on them, and tells an access token from a refresh token.
func TestFlaskAcceptsOurCookies(t *testing.T) {
	for _, alg := range asymmetric {
		t.Run(alg, func(t *testing.T) {
			k := generate(t, alg, "k-"+alg)
			base := startGateway(t, map[string]string{"JWT_ALGORITHM": alg, "JWT_SECRET_KEY": keySet(t, k)})
			flask := flaskApp(t, map[string]string{"FLASK_ALGORITHM": alg, "FLASK_PUBLIC_KEY": publicPEM(t, k)})
			c := login(t, base)
			access := cookieHeader(c, "access_token_cookie", "csrf_access_token")
			tests := []struct {
				name, method, cookie, csrf string
				status                     int
				body                       string
			}{
				{"GET with the access cookie", "GET", access, "", 200, `{"logged_in_as":"testuser"}`},
				{"POST with the CSRF header", "POST", access, c["csrf_access_token"], 200, `{"logged_in_as":"testuser"}`},
				{"POST without the CSRF header", "POST", access, "", 401, `{"msg":"Missing CSRF token"}`},
				{"POST with a wrong CSRF header", "POST", access, "nope", 401, `{"msg":"CSRF double submit tokens do not match"}`},
				{"refresh token as access", "GET", "access_token_cookie=" + c["refresh_token_cookie"], "", 422, `{"msg":"Only non-refresh tokens are allowed"}`},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					h := map[string]string{"Cookie": tt.cookie}
					if tt.csrf != "" {
						h["X-CSRF-TOKEN"] = tt.csrf
					}
					r := send(t, tt.method, flask+"/protected", "", h)
					if r.Status != tt.status || compact(t, r.Body) != tt.body {
						t.Fatalf("flask: %d %s, want %d %s", r.Status, r.Body, tt.status, tt.body)
					}
				})
			}
		})
	}
}

// TestIdentityClaimInterop: with JWT_IDENTITY_CLAIM=identity on both
// sides, a flask-jwt-extended app reads the identity from jwtgate's
// cookies, and jwtgate's authorizer from the flask app's, under that claim.
func TestIdentityClaimInterop(t *testing.T) {
	const alg = "EdDSA"
	ours, theirs := generate(t, alg, "jwtgate"), generate(t, alg, "flask")
	base := startGateway(t, map[string]string{"JWT_ALGORITHM": alg, "JWT_IDENTITY_CLAIM": "identity",
		"JWT_SECRET_KEY": keySet(t, ours, theirs.PublicOnly())})
	reader := flaskApp(t, map[string]string{"FLASK_ALGORITHM": alg, "FLASK_PUBLIC_KEY": publicPEM(t, ours), "FLASK_IDENTITY_CLAIM": "identity"})
	signer := flaskApp(t, map[string]string{"FLASK_ALGORITHM": alg, "FLASK_IDENTITY_CLAIM": "identity",
		"FLASK_PRIVATE_KEY": privatePEM(t, theirs), "FLASK_PUBLIC_KEY": publicPEM(t, theirs)})

	c := login(t, base)
	r := send(t, "GET", reader+"/protected", "", map[string]string{"Cookie": cookieHeader(c, "access_token_cookie")})
	if r.Status != 200 || compact(t, r.Body) != `{"logged_in_as":"testuser"}` {
		t.Errorf("flask reading jwtgate's cookie: %d %s", r.Status, r.Body)
	}
	r = send(t, "POST", signer+"/login", `{"username":"testuser"}`, map[string]string{"Content-Type": "application/json"})
	if r.Status != 200 {
		t.Fatalf("flask login: %d %s", r.Status, r.Body)
	}
	r = send(t, "GET", base+"/protected", "", map[string]string{"Cookie": cookieHeader(cookiesOf(t, r), "access_token_cookie")})
	if r.Status != 200 || r.Body != `{"logged_in_as":"testuser"}` {
		t.Errorf("jwtgate reading flask's cookie: %d %s", r.Status, r.Body)
	}
	// A token with the identity under sub only names no one here.
	plain := flaskApp(t, map[string]string{"FLASK_ALGORITHM": alg,
		"FLASK_PRIVATE_KEY": privatePEM(t, theirs), "FLASK_PUBLIC_KEY": publicPEM(t, theirs)})
	r = send(t, "POST", plain+"/login", `{"username":"testuser"}`, map[string]string{"Content-Type": "application/json"})
	r = send(t, "GET", base+"/protected", "", map[string]string{"Cookie": cookieHeader(cookiesOf(t, r), "access_token_cookie")})
	if r.Status != 401 || r.Body != `{"msg":"Missing claim: identity"}` {
		t.Errorf("a sub-only token: %d %s, want 401 Missing claim: identity", r.Status, r.Body)
	}
}

// TestFlaskTokensVerifyHere is the migration window the other way round:
// tokens a flask-jwt-extended app signs with its JWT_PRIVATE_KEY pass
// jwtgate's authorizer and logout once its public key is in jwtgate's key
// set (verify-only, after jwtgate's own signing key); a flask app with
// another key is refused.
func TestFlaskTokensVerifyHere(t *testing.T) {
	for _, alg := range []string{"EdDSA", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			ours, theirs := generate(t, alg, "jwtgate"), generate(t, alg, "flask")
			base := startGateway(t, map[string]string{"JWT_ALGORITHM": alg, "JWT_SECRET_KEY": keySet(t, ours, theirs.PublicOnly())})
			flask := flaskApp(t, map[string]string{"FLASK_ALGORITHM": alg,
				"FLASK_PRIVATE_KEY": privatePEM(t, theirs), "FLASK_PUBLIC_KEY": publicPEM(t, theirs)})
			r := send(t, "POST", flask+"/login", `{"username":"testuser"}`, map[string]string{"Content-Type": "application/json"})
			if r.Status != 200 {
				t.Fatalf("flask login: %d %s", r.Status, r.Body)
			}
			c := cookiesOf(t, r)
			r = send(t, "GET", base+"/protected", "", map[string]string{"Cookie": cookieHeader(c, "access_token_cookie")})
			if r.Status != 200 || r.Body != `{"logged_in_as":"testuser"}` {
				t.Fatalf("jwtgate /protected with flask's cookie: %d %s", r.Status, r.Body)
			}
			r = send(t, "POST", base+"/logout", "", map[string]string{
				"Cookie": cookieHeader(c, "access_token_cookie", "csrf_access_token", "refresh_token_cookie"), "X-CSRF-TOKEN": c["csrf_access_token"]})
			if r.Status != 200 || r.Body != `{"logout":true}` {
				t.Fatalf("jwtgate /logout with flask's cookies: %d %s", r.Status, r.Body)
			}
			r = send(t, "GET", base+"/protected", "", map[string]string{"Cookie": cookieHeader(c, "access_token_cookie")})
			if r.Status != 401 || r.Body != `{"msg":"Token has been revoked"}` {
				t.Fatalf("after logout: %d %s", r.Status, r.Body)
			}

			other := generate(t, alg, "flask")
			stranger := flaskApp(t, map[string]string{"FLASK_ALGORITHM": alg,
				"FLASK_PRIVATE_KEY": privatePEM(t, other), "FLASK_PUBLIC_KEY": publicPEM(t, other)})
			r = send(t, "POST", stranger+"/login", `{"username":"testuser"}`, map[string]string{"Content-Type": "application/json"})
			c = cookiesOf(t, r)
			r = send(t, "GET", base+"/protected", "", map[string]string{"Cookie": cookieHeader(c, "access_token_cookie")})
			if r.Status != 401 || r.Body != `{"msg":"Signature verification failed"}` {
				t.Fatalf("a flask app with another key: %d %s", r.Status, r.Body)
			}
		})
	}
}

// compact re-encodes a JSON body without spaces (flask's jsonify may
// indent or add a newline).
func compact(t *testing.T, body string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(body)); err != nil {
		return body
	}
	return b.String()
}
