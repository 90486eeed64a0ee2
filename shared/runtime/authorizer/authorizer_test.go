package authorizer_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/shared/runtime/authorizer"
	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/cookies"
	"github.com/jwtgate/jwtgate/shared/runtime/identity"
	"github.com/jwtgate/jwtgate/shared/runtime/logging"
	"github.com/jwtgate/jwtgate/shared/runtime/rbac"
	"github.com/jwtgate/jwtgate/shared/runtime/request"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/tooling/gateway"
)

// These tests feed REST REQUEST authorizer events (testdata/*.json, shaped
// like the ones API Gateway sends) to Authorizer.REST and check the policy
// and context API Gateway would act on.

const azSecret = "authorizer-test-secret-0123456789abcdef"

var azT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type azClock struct{ now time.Time }

func (c *azClock) Now() time.Time { return c.now }

type azEnv struct {
	cfg   config.Config
	revs  authorizer.Revocations // e.store unless a test swaps in a failing one
	clk   *azClock
	ts    *tokens.Service
	store *revocation.MemoryStore
	authz *authorizer.Authorizer
}

func newAZ(t *testing.T) *azEnv {
	t.Helper()
	clk := &azClock{now: azT0}
	ts, err := tokens.New(tokens.Options{Keys: []tokens.Key{{ID: "k1", Secret: []byte(azSecret)}}, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	rules, err := rbac.Parse(config.DefaultRoleRules)
	if err != nil {
		t.Fatal(err)
	}
	store := revocation.NewMemoryStore(clk.Now)
	e := &azEnv{clk: clk, ts: ts, store: store, revs: store, cfg: config.Config{
		Cookies: cookies.Defaults(), CSRF: request.DefaultCSRF(),
		Locations: request.Locations{Cookies: true, HeaderName: "Authorization", HeaderType: "Bearer"},
		Rules:     rules,
	}}
	e.rebuild(slog.New(slog.DiscardHandler))
	return e
}

// rebuild makes e.authz anew from e.cfg, logging to log.
func (e *azEnv) rebuild(log *slog.Logger) {
	e.authz = authorizer.New(e.cfg, e.ts, e.revs, authorizer.WithClock(e.clk.Now), authorizer.WithLogger(log))
}

func (e *azEnv) issue(t *testing.T, name string, roles ...string) tokens.Pair {
	t.Helper()
	p, err := e.ts.IssuePair(tokens.Subject{Name: name, Roles: roles}, "sid-"+name, true)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func azEvent(t *testing.T, file string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return ev
}

// azSetHeader replaces name (any case) in both header maps; "" removes it.
func azSetHeader(ev *events.APIGatewayCustomAuthorizerRequestTypeRequest, name, value string) {
	for k := range ev.Headers {
		if strings.EqualFold(k, name) {
			delete(ev.Headers, k)
		}
	}
	for k := range ev.MultiValueHeaders {
		if strings.EqualFold(k, name) {
			delete(ev.MultiValueHeaders, k)
		}
	}
	if value != "" {
		ev.Headers[name] = value
		ev.MultiValueHeaders[name] = []string{value}
	}
}

// withAccess puts token in the cookie header (lower-case "cookie", as some
// clients send it) next to an unrelated cookie, and csrf in x-csrf-token.
func withAccess(ev events.APIGatewayCustomAuthorizerRequestTypeRequest, token, csrf string) events.APIGatewayCustomAuthorizerRequestTypeRequest {
	cookie := "_ga=GA1.1.1234567890.1700000000"
	if token != "" {
		cookie += "; access_token_cookie=" + token
	}
	azSetHeader(&ev, "cookie", cookie)
	azSetHeader(&ev, "x-csrf-token", csrf)
	return ev
}

// wantStringContext fails unless every context value marshals as a JSON
// string: API Gateway answers 500 for anything nested.
func wantStringContext(t *testing.T, ctx any) {
	t.Helper()
	raw, err := json.Marshal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]json.RawMessage
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	for k, v := range back {
		if len(v) == 0 || v[0] != '"' {
			t.Errorf("context %q = %s, want a JSON string", k, v)
		}
	}
}

// accessDeniedMsg renders the template's ACCESS_DENIED response body
// {"msg":"$context.authorizer.msg"} the way API Gateway does (verbatim
// substitution) and returns the msg a client decodes from it.
func accessDeniedMsg(t *testing.T, ctx map[string]any) string {
	t.Helper()
	v, ok := ctx["msg"].(string)
	if !ok {
		t.Fatalf("context msg %v is not a string", ctx["msg"])
	}
	body := `{"msg":"` + v + `"}`
	var out struct{ Msg string }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("ACCESS_DENIED body %s is not valid JSON: %v", body, err)
	}
	return out.Msg
}

func wantPolicy(t *testing.T, resp events.APIGatewayCustomAuthorizerResponse, effect, arn string) {
	t.Helper()
	p := resp.PolicyDocument
	if p.Version != "2012-10-17" || len(p.Statement) != 1 {
		t.Fatalf("policy %+v, want one statement", p)
	}
	s := p.Statement[0]
	if s.Effect != effect || len(s.Resource) != 1 || s.Resource[0] != arn || len(s.Action) != 1 || s.Action[0] != "execute-api:Invoke" {
		t.Fatalf("statement %+v, want %s execute-api:Invoke on %s", s, effect, arn)
	}
	if resp.PrincipalID == "" {
		t.Errorf("empty principalId: API Gateway refuses the response")
	}
	wantStringContext(t, resp.Context)
}

func TestAllow(t *testing.T) {
	e := newAZ(t)
	p := e.issue(t, "testuser", "user", "editor")
	a := p.Access.Claims
	for _, tc := range []struct {
		file, csrf string
	}{
		{"get_protected.json", ""},
		{"post_protected.json", a.CSRF},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ev := withAccess(azEvent(t, tc.file), p.Access.Token, tc.csrf)
			resp, err := e.authz.REST(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			wantPolicy(t, resp, "Allow", ev.MethodArn)
			want := map[string]any{
				"sub": "testuser", "roles": "user,editor", "jti": a.ID, "sid": a.SID,
				"fresh": "true", "iat": strconv.FormatInt(azT0.Unix(), 10),
			}
			if resp.PrincipalID != "testuser" || len(resp.Context) != len(want) {
				t.Errorf("principal %q context %v, want testuser %v", resp.PrincipalID, resp.Context, want)
			}
			for k, v := range want {
				if resp.Context[k] != v {
					t.Errorf("context %s = %v, want %v", k, resp.Context[k], v)
				}
			}
		})
	}
	t.Run("preflight", func(t *testing.T) {
		ev := azEvent(t, "get_protected.json")
		ev.HTTPMethod = "OPTIONS"
		azSetHeader(&ev, "cookie", "")
		resp, err := e.authz.REST(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		wantPolicy(t, resp, "Allow", ev.MethodArn)
		if len(resp.Context) != 0 {
			t.Errorf("preflight context %v, want none", resp.Context)
		}
	})
}

func TestDeny(t *testing.T) {
	type setup struct {
		e   *azEnv
		p   tokens.Pair
		tok string // the token to present; the access token by default
	}
	craft := func(t *testing.T, header map[string]any, sign bool) func(*setup) {
		return func(s *setup) {
			c := s.p.Access.Claims
			claims := jwt.MapClaims{"fresh": c.Fresh, "type": "access", "csrf": c.CSRF, "sid": c.SID, "roles": []string{"admin"},
				"sub": c.Subject, "jti": c.ID, "iat": c.IssuedAt.Unix(), "nbf": c.IssuedAt.Unix(), "exp": c.ExpiresAt.Unix()}
			if sign {
				tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
				tok.Header["kid"] = "k1"
				signed, err := tok.SignedString([]byte("attacker-secret-0123456789abcdef"))
				if err != nil {
					t.Fatal(err)
				}
				s.tok = signed
				return
			}
			h, _ := json.Marshal(header)
			b, _ := json.Marshal(claims)
			s.tok = base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(b) + "."
		}
	}
	revoke := func(key func(tokens.Claims) string, at time.Duration) func(*setup) {
		return func(s *setup) {
			c := s.p.Access.Claims
			_ = s.e.store.Put(context.Background(), revocation.Record{Key: key(c), At: azT0.Add(at), ExpiresAt: azT0.Add(time.Hour)})
		}
	}
	const (
		missingCookie = `Missing cookie "access_token_cookie"`
		mismatch      = "CSRF double submit tokens do not match"
		revoked       = "Token has been revoked"
	)
	tests := []struct {
		name  string
		file  string
		setup func(*setup)
		csrf  string // "access" means the access token's csrf value
		msg   string
	}{
		{"missing cookie", "get_protected.json", func(s *setup) { s.tok = "" }, "", missingCookie},
		{"missing cookie on POST", "post_protected.json", func(s *setup) { s.tok = "" }, "access", missingCookie},
		{"missing CSRF on POST", "post_protected.json", nil, "", "Missing CSRF token"},
		{"CSRF mismatch", "post_protected.json", nil, "not-the-value", mismatch},
		{"refresh CSRF value on POST", "post_protected.json", func(s *setup) {}, "refresh", mismatch},
		{"expired", "get_protected.json", func(s *setup) { s.e.clk.now = azT0.Add(tokens.DefaultAccessTTL) }, "", "Token has expired"},
		{"expired with right CSRF", "post_protected.json", func(s *setup) { s.e.clk.now = azT0.Add(time.Hour) }, "access", "Token has expired"},
		{"expired with wrong CSRF: mismatch wins", "post_protected.json", func(s *setup) { s.e.clk.now = azT0.Add(time.Hour) }, "wrong", mismatch},
		{"expired and revoked: expired wins", "get_protected.json", func(s *setup) {
			revoke(func(c tokens.Claims) string { return revocation.SessionKey(c.SID) }, 0)(s)
			s.e.clk.now = azT0.Add(tokens.DefaultAccessTTL)
		}, "", "Token has expired"},
		{"revoked jti", "get_protected.json", revoke(func(c tokens.Claims) string { return revocation.TokenKey(c.ID) }, 0), "", revoked},
		{"revoked sid", "get_protected.json", revoke(func(c tokens.Claims) string { return revocation.SessionKey(c.SID) }, 0), "", revoked},
		{"user cut-off after iat", "get_protected.json", revoke(func(c tokens.Claims) string { return revocation.UserKey(c.Subject) }, time.Second), "", revoked},
		{"refresh token as access", "get_protected.json", func(s *setup) { s.tok = s.p.Refresh.Token }, "", "Only non-refresh tokens are allowed"},
		{"refresh token as access on POST", "post_protected.json", func(s *setup) { s.tok = s.p.Refresh.Token }, "refresh", "Only non-refresh tokens are allowed"},
		{"bad signature", "get_protected.json", craft(t, nil, true), "", "Signature verification failed"},
		{"alg none", "get_protected.json", craft(t, map[string]any{"alg": "none", "typ": "JWT"}, false), "", "The specified alg value is not allowed"},
		{"alg None", "get_protected.json", craft(t, map[string]any{"alg": "None", "typ": "JWT"}, false), "", "The specified alg value is not allowed"},
		{"garbage", "get_protected.json", func(s *setup) { s.tok = "garbage" }, "", "Not enough segments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newAZ(t)
			s := &setup{e: e, p: e.issue(t, "testuser", "user")}
			s.tok = s.p.Access.Token
			if tc.setup != nil {
				tc.setup(s)
			}
			csrf := tc.csrf
			switch csrf {
			case "access":
				csrf = s.p.Access.Claims.CSRF
			case "refresh":
				csrf = s.p.Refresh.Claims.CSRF
			}
			ev := withAccess(azEvent(t, tc.file), s.tok, csrf)
			resp, err := e.authz.REST(context.Background(), ev)
			if err != nil {
				t.Fatalf("REST = %v, want a Deny policy", err)
			}
			wantPolicy(t, resp, "Deny", ev.MethodArn)
			if got := accessDeniedMsg(t, resp.Context); got != tc.msg || len(resp.Context) != 1 {
				t.Fatalf("context %v (client sees %q), want msg %q only", resp.Context, got, tc.msg)
			}
		})
	}
	t.Run("user cut-off by generation", func(t *testing.T) {
		// The cut-off's At is before the tokens' iat: only the generation
		// decides. A token without a gen claim (flask-minted, or from before
		// generations) is generation 0.
		for gen, wantMsg := range map[int64]string{0: revoked, 1: revoked, 2: "", 3: ""} {
			e := newAZ(t)
			_ = e.store.Put(context.Background(), revocation.Record{Key: revocation.UserKey("testuser"), At: azT0.Add(-time.Hour),
				ExpiresAt: azT0.Add(time.Hour), MinGeneration: 2})
			p, err := e.ts.IssuePair(tokens.Subject{Name: "testuser", Roles: []string{"user"}, Generation: gen}, "sid-g", true)
			if err != nil {
				t.Fatal(err)
			}
			ev := withAccess(azEvent(t, "get_protected.json"), p.Access.Token, "")
			resp, err := e.authz.REST(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if wantMsg == "" {
				wantPolicy(t, resp, "Allow", ev.MethodArn)
				continue
			}
			wantPolicy(t, resp, "Deny", ev.MethodArn)
			if got := accessDeniedMsg(t, resp.Context); got != wantMsg {
				t.Errorf("generation %d: msg %q, want %q", gen, got, wantMsg)
			}
		}
	})
	t.Run("user cut-off before iat", func(t *testing.T) {
		e := newAZ(t)
		_ = e.store.Put(context.Background(), revocation.Record{Key: revocation.UserKey("testuser"), At: azT0.Add(-time.Second), ExpiresAt: azT0.Add(time.Hour)})
		p := e.issue(t, "testuser", "user")
		resp, err := e.authz.REST(context.Background(), withAccess(azEvent(t, "get_protected.json"), p.Access.Token, ""))
		if err != nil || resp.PolicyDocument.Statement[0].Effect != "Allow" {
			t.Fatalf("token issued after the cut-off: %+v, %v; want Allow", resp, err)
		}
	})
}

// wantDenied fails unless resp is a Deny of ev's methodArn whose
// ACCESS_DENIED body (the template's 401) carries msg.
func wantDenied(t *testing.T, resp events.APIGatewayCustomAuthorizerResponse, err error, ev events.APIGatewayCustomAuthorizerRequestTypeRequest, msg string) {
	t.Helper()
	if err != nil {
		t.Fatalf("REST = %v, want a Deny policy", err)
	}
	if s := resp.PolicyDocument.Statement; len(s) > 0 && s[0].Effect == "Allow" {
		t.Fatalf("%s %s (resource %s, methodArn %s): Allow with context %v, want Deny %q",
			ev.HTTPMethod, ev.Path, ev.Resource, ev.MethodArn, resp.Context, msg)
	}
	wantPolicy(t, resp, "Deny", ev.MethodArn)
	if got := accessDeniedMsg(t, resp.Context); got != msg {
		t.Fatalf("context %v (client sees %q), want msg %q", resp.Context, got, msg)
	}
}

// TestRoleRules: a request failing a role rule is denied by the
// authorizer, so API Gateway refuses it (401 {"msg": ...} through the
// template's ACCESS_DENIED response) whatever the function does; before,
// it was allowed with a forbidden context value that a function not
// calling identity.Require ignored.
func TestRoleRules(t *testing.T) {
	const forbidden = "Forbidden: requires role admin"
	e := newAZ(t)
	user := e.issue(t, "testuser", "user").Access.Token
	admin := e.issue(t, "admin", "admin", "user").Access.Token
	t.Run("non-admin", func(t *testing.T) {
		ev := withAccess(azEvent(t, "get_admin.json"), user, "")
		resp, err := e.authz.REST(context.Background(), ev)
		wantDenied(t, resp, err, ev, forbidden)
	})
	t.Run("admin", func(t *testing.T) {
		ev := withAccess(azEvent(t, "get_admin.json"), admin, "")
		resp, err := e.authz.REST(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		wantPolicy(t, resp, "Allow", ev.MethodArn)
		if _, ok := resp.Context["forbidden"]; ok || resp.Context["roles"] != "admin,user" {
			t.Fatalf("context %v, want admin roles and no forbidden", resp.Context)
		}
	})
	t.Run("opt-in: the function answers 403", func(t *testing.T) {
		e := newAZ(t)
		e.cfg.RolesInFunction = true
		e.rebuild(slog.New(slog.DiscardHandler))
		ev := withAccess(azEvent(t, "get_admin.json"), e.issue(t, "testuser", "user").Access.Token, "")
		resp, err := e.authz.REST(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		wantPolicy(t, resp, "Allow", ev.MethodArn)
		if resp.Context["forbidden"] != forbidden || resp.Context["sub"] != "testuser" {
			t.Fatalf("context %v, want forbidden set", resp.Context)
		}
	})

	// Every spelling of a protected route is refused (issue 12 item 4):
	// the route as the API defines it is the methodArn's path, which has
	// neither the stage nor a custom domain's base path.
	const arn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/"
	for _, tc := range []struct {
		name, method, path, resource, methodArn string
	}{
		{"sub-path", "GET", "/admin/users", "/admin/{proxy+}", arn + "GET/admin/users"},
		{"HEAD is covered by GET", "HEAD", "/admin", "/{proxy+}", arn + "HEAD/admin"},
		{"custom domain base path, proxy resource", "GET", "/v1/admin", "/{proxy+}", arn + "GET/admin"},
		{"nested base path", "GET", "/api/v1/admin/users", "/{proxy+}", arn + "GET/admin/users"},
		{"trailing slash", "GET", "/admin/", "/{proxy+}", arn + "GET/admin/"},
		{"double slash", "GET", "//admin", "/{proxy+}", arn + "GET//admin"},
		{"dot segment", "GET", "/x/../admin", "/{proxy+}", arn + "GET/x/../admin"},
		{"percent-encoded", "GET", "/%61dmin", "/{proxy+}", arn + "GET/%61dmin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := withAccess(azEvent(t, "get_admin.json"), user, "")
			ev.HTTPMethod, ev.Path, ev.Resource, ev.MethodArn = tc.method, tc.path, tc.resource, tc.methodArn
			resp, err := e.authz.REST(context.Background(), ev)
			wantDenied(t, resp, err, ev, forbidden)
		})
	}
	t.Run("other routes pass", func(t *testing.T) {
		ev := withAccess(azEvent(t, "get_admin.json"), user, "")
		ev.Path, ev.Resource, ev.MethodArn = "/v1/protected", "/{proxy+}", arn+"GET/protected"
		resp, err := e.authz.REST(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		wantPolicy(t, resp, "Allow", ev.MethodArn)
	})
}

// TestRuleMethods: ANY (or *) rules cover every method, OPTIONS included
// (an OPTIONS request that reaches the authorizer carries a Cookie header,
// so it is no browser preflight), and an unknown method is refused at start.
func TestRuleMethods(t *testing.T) {
	e := newAZ(t)
	rules, err := rbac.Parse("ANY /admin*=admin")
	if err != nil {
		t.Fatal(err)
	}
	e.cfg.Rules = rules
	e.rebuild(slog.New(slog.DiscardHandler))
	user := e.issue(t, "testuser", "user")
	for _, m := range []string{"GET", "HEAD", "PUT", "DELETE", "OPTIONS"} {
		t.Run(m, func(t *testing.T) {
			ev := withAccess(azEvent(t, "get_admin.json"), user.Access.Token, user.Access.Claims.CSRF)
			ev.HTTPMethod, ev.MethodArn = m, strings.Replace(ev.MethodArn, "/GET/", "/"+m+"/", 1)
			resp, err := e.authz.REST(context.Background(), ev)
			wantDenied(t, resp, err, ev, "Forbidden: requires role admin")
		})
	}
	t.Run("OPTIONS without a token on a covered route", func(t *testing.T) {
		ev := withAccess(azEvent(t, "get_admin.json"), "", "")
		ev.HTTPMethod, ev.MethodArn = "OPTIONS", strings.Replace(ev.MethodArn, "/GET/", "/OPTIONS/", 1)
		resp, err := e.authz.REST(context.Background(), ev)
		wantDenied(t, resp, err, ev, `Missing cookie "access_token_cookie"`)
	})
	t.Run("OPTIONS elsewhere stays exempt, as in flask", func(t *testing.T) {
		ev := withAccess(azEvent(t, "get_protected.json"), "", "")
		ev.HTTPMethod = "OPTIONS"
		resp, err := e.authz.REST(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		wantPolicy(t, resp, "Allow", ev.MethodArn)
	})
	_, err = config.Load(func(k string) (string, bool) {
		v, ok := map[string]string{"JWTGATE_ROLE_RULES": "GETT /admin*=admin", "JWT_SECRET_KEY": azSecret}[k]
		return v, ok
	}, config.Lambda)
	if err == nil || !strings.Contains(err.Error(), "JWTGATE_ROLE_RULES") || !strings.Contains(err.Error(), `method "GETT"`) {
		t.Errorf("config.Load with a GETT rule = %v, want an error naming JWTGATE_ROLE_RULES and the method", err)
	}
}

// TestCachedPolicy: with a result cache, one answer serves every route
// sharing the Cookie header for the TTL, so it must hold for any route.
func TestCachedPolicy(t *testing.T) {
	e := newAZ(t)
	e.cfg.AuthorizerCache = 300 * time.Second
	e.cfg.Rules = nil // config refuses role rules with a cache
	e.rebuild(slog.New(slog.DiscardHandler))
	const stage = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod"
	t.Run("valid token: the whole stage", func(t *testing.T) {
		p := e.issue(t, "testuser", "user")
		ev := withAccess(azEvent(t, "get_protected.json"), p.Access.Token, "")
		resp, err := e.authz.REST(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		wantPolicy(t, resp, "Allow", stage+"/*/*")
		if resp.Context["sub"] != "testuser" {
			t.Errorf("context %v, want testuser", resp.Context)
		}
	})
	t.Run("CSRF is not checked (the documented trade-off)", func(t *testing.T) {
		p := e.issue(t, "testuser", "user")
		resp, err := e.authz.REST(context.Background(), withAccess(azEvent(t, "post_protected.json"), p.Access.Token, ""))
		if err != nil || resp.PolicyDocument.Statement[0].Effect != "Allow" {
			t.Fatalf("%+v %v", resp, err)
		}
	})
	// Before, an OPTIONS request passed without a token and got a
	// stage-wide Allow, which the cache then applied to every route for
	// that Cookie header (GET /admin, POST /password, any function).
	for _, tc := range []struct{ name, cookie, msg string }{
		{"OPTIONS with a garbage cookie", "access_token_cookie=garbage", "Not enough segments"},
		{"OPTIONS with an unrelated cookie", "theme=dark", `Missing cookie "access_token_cookie"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := azEvent(t, "get_protected.json")
			ev.HTTPMethod, ev.MethodArn = "OPTIONS", stage+"/OPTIONS/protected"
			azSetHeader(&ev, "cookie", tc.cookie)
			resp, err := e.authz.REST(context.Background(), ev)
			for _, arn := range []string{stage + "/GET/admin", stage + "/POST/password", stage + "/GET/protected"} {
				if gateway.Allowed(resp.PolicyDocument, arn) {
					t.Errorf("the cached answer to OPTIONS allows %s", arn)
				}
			}
			wantDenied(t, resp, err, ev, tc.msg)
		})
	}
	t.Run("role rules are refused", func(t *testing.T) {
		e := newAZ(t) // the default rule, GET /admin*=admin
		e.cfg.AuthorizerCache = time.Minute
		e.rebuild(slog.New(slog.DiscardHandler))
		p := e.issue(t, "admin", "admin")
		resp, err := e.authz.REST(context.Background(), withAccess(azEvent(t, "get_admin.json"), p.Access.Token, ""))
		if !errors.Is(err, authorizer.ErrCachedRoleRules) || len(resp.PolicyDocument.Statement) != 0 {
			t.Fatalf("REST = %+v, %v; want ErrCachedRoleRules and no policy", resp, err)
		}
		_, err = config.Load(func(k string) (string, bool) {
			v, ok := map[string]string{"JWTGATE_AUTHORIZER_CACHE_TTL": "300", "JWT_SECRET_KEY": azSecret}[k]
			return v, ok
		}, config.Lambda)
		if err == nil || !strings.Contains(err.Error(), "JWTGATE_ROLE_RULES: role rules cannot be enforced with JWTGATE_AUTHORIZER_CACHE_TTL=5m0s") {
			t.Errorf("config.Load(cache 300, default rules) = %v, want the pair refused naming both variables", err)
		}
	})
	t.Run("odd methodArn", func(t *testing.T) {
		p := e.issue(t, "testuser", "user")
		ev := withAccess(azEvent(t, "get_protected.json"), p.Access.Token, "")
		ev.MethodArn = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
		if _, err := e.authz.REST(context.Background(), ev); err == nil {
			t.Fatal("REST with an unparseable methodArn = nil error, want refused")
		}
	})
}

type failingStore struct{ err error }

func (f failingStore) Lookup(context.Context, ...string) (map[string]revocation.Record, error) {
	return nil, f.err
}

// TestStoreFailure: when the revocation store fails, or gives up at its
// bound (dynamostore.WithCallTimeout, covered in shared/runtime/dynamostore and end
// to end in shared/suites/resilience), the authorizer refuses with an error.
func TestStoreFailure(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store authorizer.Revocations
	}{
		{"error", failingStore{errors.New("dynamodb: ProvisionedThroughputExceededException")}},
		{"timeout", failingStore{fmt.Errorf("dynamostore: lookup: %w", context.DeadlineExceeded)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAZ(t)
			e.revs = tc.store
			e.rebuild(slog.New(slog.DiscardHandler))
			p := e.issue(t, "testuser", "user")
			resp, err := e.authz.REST(context.Background(), withAccess(azEvent(t, "get_protected.json"), p.Access.Token, ""))
			if !errors.Is(err, authorizer.ErrUnavailable) {
				t.Fatalf("REST = %+v, %v; want ErrUnavailable (API Gateway answers AUTHORIZER_FAILURE)", resp, err)
			}
			if len(resp.PolicyDocument.Statement) != 0 {
				t.Errorf("policy returned with the error: %+v", resp.PolicyDocument)
			}
			v2, err := e.authz.HTTP(context.Background(), azV2(t, p.Access.Token))
			if !errors.Is(err, authorizer.ErrUnavailable) || v2.IsAuthorized {
				t.Fatalf("HTTP = %+v, %v; want ErrUnavailable", v2, err)
			}
		})
	}
}

func azV2(t *testing.T, token string) events.APIGatewayV2CustomAuthorizerV2Request {
	t.Helper()
	raw, err := os.ReadFile("testdata/httpapi_get_protected.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2CustomAuthorizerV2Request
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev.Cookies = []string{"_ga=GA1.1.1234567890.1700000000"}
	if token != "" {
		ev.Cookies = append(ev.Cookies, "access_token_cookie="+token)
	}
	ev.IdentitySource = []string{strings.Join(ev.Cookies, "; ")}
	return ev
}

func TestHTTPAPI(t *testing.T) {
	e := newAZ(t)
	p := e.issue(t, "testuser", "user")
	resp, err := e.authz.HTTP(context.Background(), azV2(t, p.Access.Token))
	if err != nil {
		t.Fatal(err)
	}
	if !resp.IsAuthorized || resp.Context.Subject != "testuser" || resp.Context.SID != p.Access.Claims.SID || resp.Context.Fresh != "true" {
		t.Fatalf("simple response %+v, want authorized with testuser's context", resp)
	}
	wantStringContext(t, resp.Context)

	resp, err = e.authz.HTTP(context.Background(), azV2(t, ""))
	if err != nil || resp.IsAuthorized || resp.Context.Msg != `Missing cookie "access_token_cookie"` {
		t.Fatalf("without cookie: %+v, %v; want unauthorized with msg", resp, err)
	}

	// A role rule's refusal is isAuthorized false (API Gateway's 403
	// {"message":"Forbidden"}), on every spelling of the route (issue 12
	// item 4): a named stage prefixes rawPath, and on ANY /{proxy+} or
	// $default the route key says nothing of the path.
	for _, tc := range []struct {
		name, routeKey, stage, path, method string
	}{
		{"literal route", "GET /admin", "$default", "/admin", "GET"},
		{"literal route, named stage", "GET /admin", "prod", "/prod/admin", "GET"},
		{"proxy route, named stage", "ANY /{proxy+}", "prod", "/prod/admin", "GET"},
		{"$default route, named stage", "$default", "prod", "/prod/admin/users", "GET"},
		{"$default route and stage", "$default", "$default", "/admin", "GET"},
		{"HEAD on a proxy route", "ANY /{proxy+}", "prod", "/prod/admin", "HEAD"},
		{"double slash", "$default", "prod", "/prod//admin", "GET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := azV2(t, p.Access.Token)
			ev.RouteKey, ev.RawPath, ev.RequestContext.Stage = tc.routeKey, tc.path, tc.stage
			ev.RequestContext.RouteKey, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method = tc.routeKey, tc.path, tc.method
			resp, err := e.authz.HTTP(context.Background(), ev)
			if err != nil || resp.IsAuthorized || resp.Context.Msg != "Forbidden: requires role admin" || resp.Context.Subject != "" {
				t.Fatalf("%s %s on %s as user: %+v, %v; want refused with the rule's msg", tc.method, tc.path, tc.routeKey, resp, err)
			}
		})
	}
	ev := azV2(t, p.Access.Token)
	ev.RouteKey, ev.RawPath, ev.RequestContext.Stage, ev.RequestContext.HTTP.Path = "$default", "/prod/protected", "prod", "/prod/protected"
	if resp, err := e.authz.HTTP(context.Background(), ev); err != nil || !resp.IsAuthorized {
		t.Fatalf("GET /prod/protected on $default: %+v, %v; want authorized", resp, err)
	}
}

// TestDecisionLogLevels pins which decisions log at which level: failures
// at error (they page someone), a caller hanging up at info, denials at
// info with their reason, allows only at debug (they are nearly every
// request; see Authorizer.record).
func TestDecisionLogLevels(t *testing.T) {
	tests := []struct {
		name      string
		store     authorizer.Revocations // nil: the in-memory store
		cookie    bool                   // send the access token
		level     string                 // LOG_LEVEL
		wantLevel string                 // "" means no decision line
		wantMsg   string
	}{
		{"allow at info", nil, true, "info", "", ""},
		{"allow at debug", nil, true, "debug", "DEBUG", "allow"},
		{"deny", nil, false, "info", "INFO", "deny"},
		{"store failure", failingStore{fmt.Errorf("dynamostore: lookup: %w", context.DeadlineExceeded)}, true, "info", "ERROR", "authorizer failed closed"},
		{"caller went away", failingStore{fmt.Errorf("dynamostore: lookup: %w", context.Canceled)}, true, "info", "INFO", "authorizer abandoned: request cancelled"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newAZ(t)
			var buf bytes.Buffer
			if tc.store != nil {
				e.revs = tc.store
			}
			e.rebuild(logging.New(&buf, tc.level))
			ev := azEvent(t, "get_protected.json")
			if tc.cookie {
				ev = withAccess(ev, e.issue(t, "testuser", "user").Access.Token, "")
			}
			_, _ = e.authz.REST(context.Background(), ev)
			if tc.wantLevel == "" {
				if buf.Len() != 0 {
					t.Fatalf("logged %q, want nothing", buf.String())
				}
				return
			}
			var line struct{ Level, Msg string }
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("log %q: %v", buf.String(), err)
			}
			if line.Level != tc.wantLevel || line.Msg != tc.wantMsg {
				t.Fatalf("logged %s %q, want %s %q", line.Level, line.Msg, tc.wantLevel, tc.wantMsg)
			}
		})
	}
}

// TestContextKeys pins the authorizer context's JSON names to the keys
// shared/runtime/identity reads: a renamed field would log everyone out.
func TestContextKeys(t *testing.T) {
	full := authorizer.Context{Subject: "a", Roles: "b", JTI: "c", SID: "d", Fresh: "e", IssuedAt: "f", Forbidden: "g", Msg: "h", Claims: "i"}
	raw, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		identity.KeySubject: "a", identity.KeyRoles: "b", identity.KeyJTI: "c", identity.KeySID: "d",
		identity.KeyFresh: "e", identity.KeyIssuedAt: "f", identity.KeyForbidden: "g", identity.KeyMsg: "h",
		identity.KeyClaims: "i",
	}
	if !maps.Equal(got, want) {
		t.Fatalf("context JSON %s, want the keys of shared/runtime/identity %v", raw, want)
	}
	if raw, _ := json.Marshal(authorizer.Context{Msg: "x"}); string(raw) != `{"msg":"x"}` {
		t.Fatalf("a denial's context is %s, want only msg", raw)
	}
}

// TestTimedFreshness: a numeric fresh claim (flask's
// create_access_token(fresh=timedelta)) is fresh in the context until its
// time, and not after, whatever the token's own lifetime.
func TestTimedFreshness(t *testing.T) {
	e := newAZ(t)
	p := e.issue(t, "testuser", "user")
	c := p.Access.Claims
	for _, tc := range []struct {
		name  string
		fresh any
		want  string
	}{
		{"until later", float64(azT0.Add(time.Minute).Unix()), "true"},
		{"until earlier", float64(azT0.Add(-time.Second).Unix()), "false"},
		{"true", true, "true"},
		{"false", false, "false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims := jwt.MapClaims{"fresh": tc.fresh, "type": "access", "csrf": c.CSRF, "sid": c.SID, "roles": []string{"user"},
				"sub": c.Subject, "jti": c.ID, "iat": c.IssuedAt.Unix(), "nbf": c.IssuedAt.Unix(), "exp": c.ExpiresAt.Unix()}
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
			tok.Header["kid"] = "k1"
			signed, err := tok.SignedString([]byte(azSecret))
			if err != nil {
				t.Fatal(err)
			}
			d := e.authz.Decide(context.Background(), authorizer.Request{Method: "GET", Path: "/protected", Resource: "/protected",
				Headers: http.Header{"Cookie": {"access_token_cookie=" + signed}}})
			if !d.Allow || d.Context().Fresh != tc.want {
				t.Fatalf("Decide = allow %v msg %q fresh %q, want allow with fresh %s", d.Allow, d.Msg, d.Context().Fresh, tc.want)
			}
		})
	}
}

// TestUserClaimsContext: the user claims JWTGATE_USER_CLAIMS names reach
// the function as one JSON object string in the context, which
// identity.FromContext reads back; a claim not named stays unread, and a
// token without any of them sends no claims value.
func TestUserClaimsContext(t *testing.T) {
	e := newAZ(t)
	ts, err := tokens.New(tokens.Options{Keys: []tokens.Key{{ID: "k1", Secret: []byte(azSecret)}}, Clock: e.clk.Now,
		DecodeClaims: []string{"tenant", "region"}})
	if err != nil {
		t.Fatal(err)
	}
	e.ts = ts
	e.rebuild(slog.New(slog.DiscardHandler))
	for _, tt := range []struct {
		name   string
		claims map[string]string
		want   string // the context's claims value
	}{
		{"named claims", map[string]string{"tenant": "acme", "region": "eu", "plan": "pro"}, `{"region":"eu","tenant":"acme"}`},
		{"one named claim", map[string]string{"tenant": "a\"b"}, `{"tenant":"a\"b"}`},
		{"none named", map[string]string{"plan": "pro"}, ""},
		{"no claims", nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.ts.IssuePair(tokens.Subject{Name: "testuser", Roles: []string{"user"}, Claims: tt.claims}, "sid-1", true)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := e.authz.REST(context.Background(), withAccess(azEvent(t, "get_protected.json"), p.Access.Token, ""))
			if err != nil {
				t.Fatal(err)
			}
			wantStringContext(t, resp.Context)
			got, _ := resp.Context[identity.KeyClaims].(string)
			if got != tt.want {
				t.Fatalf("context claims = %q, want %q", got, tt.want)
			}
			// What a Go function behind the authorizer reads, through the
			// proxy adapter as API Gateway invokes it.
			var id identity.Identity
			h := identity.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				id, _ = identity.Of(r.Context())
				w.WriteHeader(http.StatusNoContent)
			}))
			if _, err := httpadapter.New(h).ProxyWithContext(context.Background(), events.APIGatewayProxyRequest{
				HTTPMethod: "GET", Path: "/protected", RequestContext: events.APIGatewayProxyRequestContext{Authorizer: resp.Context},
			}); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"tenant", "region", "plan"} {
				v, ok := id.Claim(name)
				want, wantOK := tt.claims[name]
				if name == "plan" {
					want, wantOK = "", false
				}
				if v != want || ok != wantOK {
					t.Errorf("Claim(%q) = %q, %v; want %q, %v", name, v, ok, want, wantOK)
				}
			}
		})
	}
}
