package tokens_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// How the real flask-jwt-extended (4.4.4 on PyJWT 2.6.0) answers a case,
// beside jwtgate's answer.
const (
	flaskSame    = "same"     // refuses with the same message (422 or 401)
	flaskAccepts = "accepts"  // 200: jwtgate is stricter (README, "Where jwtgate differs")
	flaskFails   = "fails"    // 500, an unhandled TypeError: jwtgate refuses
	flaskOther   = "refuses"  // refuses with another message
	bothAccept   = "accepted" // 200 on both
)

type claimCase struct {
	name     string
	mod      func(jwt.MapClaims)
	audience string // JWT_DECODE_AUDIENCE
	issuer   string // JWT_DECODE_ISSUER
	key      []byte // signing key; nil: the right one
	kind     error  // nil: accepted
	msg      string
	flask    string
}

func set(claim string, v any) func(jwt.MapClaims) { return func(c jwt.MapClaims) { c[claim] = v } }

// claimCases are issue 12 item 9 and its neighbours: every registered claim
// with a value of the wrong JSON type.
func claimCases(now time.Time) []claimCase {
	exp := now.Add(time.Minute).Unix()
	const (
		expMsg = "Expiration Time claim (exp) must be an integer."
		iatMsg = "Issued At claim (iat) must be an integer."
		nbfMsg = "Not Before claim (nbf) must be an integer."
	)
	return []claimCase{
		{name: "exp numeric string", mod: set("exp", jsonNum(exp)), kind: tokens.ErrMalformed, msg: expMsg, flask: flaskAccepts},
		{name: "exp word", mod: set("exp", "abc"), kind: tokens.ErrMalformed, msg: expMsg, flask: flaskSame},
		{name: "exp exponent string", mod: set("exp", "1e10"), kind: tokens.ErrMalformed, msg: expMsg, flask: flaskSame},
		{name: "exp true", mod: set("exp", true), kind: tokens.ErrMalformed, msg: expMsg, flask: flaskOther},
		{name: "exp null", mod: set("exp", nil), kind: tokens.ErrMalformed, msg: expMsg, flask: flaskFails},
		{name: "exp array", mod: set("exp", []int64{exp}), kind: tokens.ErrMalformed, msg: expMsg, flask: flaskFails},
		{name: "exp float", mod: set("exp", float64(exp)+0.5), flask: bothAccept},
		{name: "iat numeric string", mod: set("iat", jsonNum(now.Unix())), kind: tokens.ErrMalformed, msg: iatMsg, flask: flaskFails},
		{name: "iat word", mod: set("iat", "abc"), kind: tokens.ErrMalformed, msg: iatMsg, flask: flaskSame},
		{name: "iat object", mod: set("iat", map[string]int{}), kind: tokens.ErrMalformed, msg: iatMsg, flask: flaskFails},
		{name: "nbf numeric string", mod: set("nbf", jsonNum(now.Unix())), kind: tokens.ErrMalformed, msg: nbfMsg, flask: flaskAccepts},
		{name: "nbf word", mod: set("nbf", "abc"), kind: tokens.ErrMalformed, msg: nbfMsg, flask: flaskSame},
		{name: "nbf null", mod: set("nbf", nil), kind: tokens.ErrMalformed, msg: nbfMsg, flask: flaskFails},

		{name: "aud string, no audience configured", mod: set("aud", "other-service"), kind: tokens.ErrAudience, msg: "Invalid audience", flask: flaskAccepts},
		{name: "aud list, no audience configured", mod: set("aud", []string{"other-service"}), kind: tokens.ErrAudience, msg: "Invalid audience", flask: flaskAccepts},
		{name: "aud number, no audience configured", mod: set("aud", 123), kind: tokens.ErrAudience, msg: "Invalid claim format in token", flask: flaskAccepts},
		{name: "aud empty string, no audience configured", mod: set("aud", ""), flask: bothAccept},
		{name: "aud empty list, no audience configured", mod: set("aud", []string{}), flask: bothAccept},
		{name: "aud null, no audience configured", mod: set("aud", nil), flask: bothAccept},
		{name: "aud string, audience configured", mod: set("aud", "other-service"), audience: "app", kind: tokens.ErrAudience, msg: "Invalid audience", flask: flaskSame},
		{name: "aud number, audience configured", mod: set("aud", 123), audience: "app", kind: tokens.ErrAudience, msg: "Invalid claim format in token", flask: flaskSame},
		{name: "aud list of numbers, audience configured", mod: set("aud", []int{1}), audience: "app", kind: tokens.ErrAudience, msg: "Invalid claim format in token", flask: flaskSame},
		{name: "aud empty, audience configured", mod: set("aud", ""), audience: "app", kind: tokens.ErrMissingClaim, msg: `Token is missing the "aud" claim`, flask: flaskSame},
		{name: "aud matching", mod: set("aud", []string{"x", "app"}), audience: "app", flask: bothAccept},

		{name: "iss number, issuer configured", mod: set("iss", 123), issuer: "https://a.example", kind: tokens.ErrIssuer, msg: "Invalid issuer", flask: flaskSame},
		{name: "iss null, issuer configured", mod: set("iss", nil), issuer: "https://a.example", kind: tokens.ErrIssuer, msg: "Invalid issuer", flask: flaskSame},
		{name: "iss number, no issuer configured", mod: set("iss", 123), kind: tokens.ErrIssuer, msg: "Invalid issuer", flask: flaskAccepts},
		{name: "iss string, no issuer configured", mod: set("iss", "https://x.example"), flask: bothAccept},
		{name: "sub number", mod: set("sub", 42), kind: tokens.ErrMalformed, msg: "Subject must be a string", flask: flaskAccepts},
		{name: "sub null", mod: set("sub", nil), kind: tokens.ErrMalformed, msg: "Subject must be a string", flask: flaskAccepts},
		{name: "jti number", mod: set("jti", 7), kind: tokens.ErrMalformed, msg: "JWT ID must be a string", flask: flaskAccepts},
		{name: "jti list", mod: set("jti", []string{"j1"}), kind: tokens.ErrMalformed, msg: "JWT ID must be a string", flask: flaskAccepts},

		// The signature is checked before the claims' types, as PyJWT does.
		{name: "exp numeric string, other key", mod: set("exp", jsonNum(exp)), key: otherSecret, kind: tokens.ErrSignature, msg: "Signature verification failed", flask: flaskSame},
		{name: "aud, expired", mod: func(c jwt.MapClaims) { c["aud"] = "other-service"; c["exp"] = now.Add(-time.Minute).Unix() },
			kind: tokens.ErrAudience, msg: "Invalid audience", flask: flaskOther},
	}
}

// jsonNum is n as a JSON string holding a number ("1798000000").
func jsonNum(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestClaimTypes refuses registered claims of the wrong type with PyJWT's
// messages, and compares every case with the real flask-jwt-extended.
func TestClaimTypes(t *testing.T) {
	now := time.Now().Truncate(time.Second) // flask reads the real clock
	clk := &fakeClock{now: now}
	cases := claimCases(now)
	tokensOf := make([]string, len(cases))
	for i, tc := range cases {
		c := validClaims(now)
		tc.mod(c)
		key := tc.key
		if key == nil {
			key = secret
		}
		tokensOf[i] = sign(t, jwt.SigningMethodHS256, c, key, nil)
	}
	flask := flaskAnswers(t, cases, tokensOf)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newService(t, clk, func(o *tokens.Options) {
				if tc.audience != "" {
					o.DecodeAudience = []string{tc.audience}
				}
				o.DecodeIssuer = tc.issuer
			})
			c, err := s.Parse(tokensOf[i])
			if tc.kind == nil {
				if err != nil {
					t.Fatalf("Parse = %v, want accepted", err)
				}
			} else {
				if c != nil {
					t.Errorf("claims returned: %+v", c)
				}
				wantRefused(t, err, tc.kind, tc.msg)
			}
			f := flask[i]
			ok := false
			switch tc.flask {
			case flaskSame:
				ok = (f.Status == 422 || f.Status == 401) && f.Msg == tc.msg
			case flaskAccepts, bothAccept:
				ok = f.Status == 200
			case flaskFails:
				ok = f.Status == 500
			case flaskOther:
				ok = (f.Status == 422 || f.Status == 401) && f.Msg != tc.msg
			}
			if !ok {
				t.Errorf("flask-jwt-extended answered %d %q; the case says %q (jwtgate: %q)", f.Status, f.Msg, tc.flask, tc.msg)
			}
		})
	}
	t.Run("own tokens with an encode audience and no decode audience", func(t *testing.T) {
		s := newService(t, clk, func(o *tokens.Options) { o.Audience = []string{"app"} })
		iss, err := s.Issue(tokens.Access, tokens.Subject{Name: "alice"}, "s1", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Parse(iss.Token); err != nil {
			t.Fatalf("own token refused: %v", err)
		}
		c := validClaims(now)
		c["aud"] = "other-service"
		_, err = s.Parse(sign(t, jwt.SigningMethodHS256, c, secret, nil))
		wantRefused(t, err, tokens.ErrAudience, "Invalid audience")
	})
}

type flaskAnswer struct {
	Status int    `json:"status"`
	Msg    string `json:"msg"`
}

// flaskAnswers asks the real flask-jwt-extended (Debian's, under
// /usr/bin/python3) about each token, in one process.
func flaskAnswers(t *testing.T, cases []claimCase, toks []string) []flaskAnswer {
	t.Helper()
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for i, tc := range cases {
		req := map[string]any{"token": toks[i], "secret": string(secret)}
		if tc.audience != "" {
			req["audience"] = tc.audience
		}
		if tc.issuer != "" {
			req["issuer"] = tc.issuer
		}
		if err := enc.Encode(req); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("/usr/bin/python3", "testdata/flask_decode.py")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("flask-jwt-extended (python3-flask-jwt-extended) could not run: %v\n%s", err, stderr.String())
	}
	var answers []flaskAnswer
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var a flaskAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("flask answer %q: %v", sc.Text(), err)
		}
		answers = append(answers, a)
	}
	if len(answers) != len(cases) {
		t.Fatalf("flask answered %d of %d tokens\n%s", len(answers), len(cases), stderr.String())
	}
	return answers
}
