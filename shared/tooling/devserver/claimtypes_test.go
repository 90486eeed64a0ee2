package devserver_test

import (
	"strconv"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestAttackClaimTypes sends tokens signed with the real key whose
// registered claims have the wrong JSON type (issue 12 item 9): each is
// refused at the authorizer with 401 and PyJWT's message for the claim.
// shared/runtime/tokens' TestClaimTypes compares the same messages with
// the real flask-jwt-extended.
func TestAttackClaimTypes(t *testing.T) {
	h := newHarness(t, nil)
	now := h.Clock.Now()
	with := func(claim string, v any) string {
		c := validClaims(now, "testuser")
		c[claim] = v
		return sign(t, c, testSecret, nil)
	}
	far := strconv.FormatInt(now.Unix()+3600, 10)
	runCases(t, h, []attackCase{
		{name: "exp as a numeric string", headers: ac(with("exp", far)), status: 401, body: msg("Expiration Time claim (exp) must be an integer.")},
		{name: "exp as a far-future numeric string", headers: ac(with("exp", "99999999999")), status: 401, body: msg("Expiration Time claim (exp) must be an integer.")},
		{name: "exp null", headers: ac(with("exp", nil)), status: 401, body: msg("Expiration Time claim (exp) must be an integer.")},
		{name: "iat as a numeric string", headers: ac(with("iat", strconv.FormatInt(now.Unix(), 10))), status: 401, body: msg("Issued At claim (iat) must be an integer.")},
		{name: "nbf as a numeric string", headers: ac(with("nbf", strconv.FormatInt(now.Unix(), 10))), status: 401, body: msg("Not Before claim (nbf) must be an integer.")},
		{name: "aud without a configured audience", headers: ac(with("aud", "another-service")), status: 401, body: msg("Invalid audience")},
		{name: "aud list without a configured audience", headers: ac(with("aud", []string{"another-service"})), status: 401, body: msg("Invalid audience")},
		{name: "aud of the wrong type", headers: ac(with("aud", map[string]string{})), status: 401, body: msg("Invalid claim format in token")},
		{name: "iss of the wrong type", headers: ac(with("iss", 1)), status: 401, body: msg("Invalid issuer")},
		{name: "jti of the wrong type", headers: ac(with("jti", 1)), status: 401, body: msg("JWT ID must be a string")},
		{name: "exp as a numeric string, another key", headers: ac(sign(t, func() jwt.MapClaims {
			c := validClaims(now, "testuser")
			c["exp"] = far
			return c
		}(), otherSecret, nil)), status: 401, body: msg("Signature verification failed")},
	})
}
