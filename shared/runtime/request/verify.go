package request

import (
	"errors"

	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// Verifier runs flask-jwt-extended's checks on the token a request
// presents. It is the one copy of that security-critical order, used by
// the authorizer and by the refresh, logout and password handlers alike,
// so the two sides cannot drift apart.
type Verifier struct {
	tokens    *tokens.Service
	locations Locations
	csrf      CSRF
}

// NewVerifier returns a Verifier over ts that looks for tokens in loc and
// applies csrf's double submit rules.
func NewVerifier(ts *tokens.Service, loc Locations, csrf CSRF) *Verifier {
	return &Verifier{tokens: ts, locations: loc, csrf: csrf}
}

// Tokens is the token service the Verifier parses with.
func (v *Verifier) Tokens() *tokens.Service { return v.tokens }

// Input is what a check reads of one request.
type Input struct {
	Method  string
	Headers Headers
	// Query holds the query string parameters (last value of each), for
	// the query_string location.
	Query map[string]string
	// Body is the request body, for the json location; nil where the
	// body is not read (an authorizer gets none).
	Body []byte
}

// Want says which token a check looks for and how strictly.
type Want struct {
	// Cookie is the cookie the token is read from (access or refresh).
	Cookie string
	// CSRFHeader is the header the double submit value is read from.
	CSRFHeader string
	// Type is the token type the route takes.
	Type tokens.Type
	// AllowExpired returns an expired token's claims with tokens.ErrExpired
	// instead of refusing it (logout still needs its sid).
	AllowExpired bool
	// SkipCSRF leaves the double submit check out: a cached authorizer
	// decision serves every method, so it cannot depend on one
	// (docs/sessions.md, Caching).
	SkipCSRF bool
}

// Verify finds, CSRF-checks and verifies the token want names, in
// flask-jwt-extended's order: token lookup, CSRF header presence, decode
// and signature, CSRF compare, expiry, type. The CSRF compare runs before
// expiry so an expired token with a wrong CSRF value reports the CSRF
// failure, as flask does.
//
// A refusal is a *tokens.ValidationError (tokens.Message gives the client
// message). With AllowExpired, an expired but otherwise valid token
// returns its claims and an error matching tokens.ErrExpired.
func (v *Verifier) Verify(in Input, want Want) (*tokens.Claims, error) {
	found, err := v.locate(in, want.Cookie, want.Type == tokens.Refresh)
	if err != nil {
		return nil, err
	}
	return v.Check(in, found, want)
}

// Locate finds the token presented as cookie (or in the other configured
// locations; typ picks the JSON key), the first step of Verify. Logout locates both of a session's
// cookies before it decides what to check.
func (v *Verifier) Locate(in Input, cookie string, typ tokens.Type) (Found, error) {
	return v.locate(in, cookie, typ == tokens.Refresh)
}

func (v *Verifier) locate(in Input, cookie string, refresh bool) (Found, error) {
	if len(v.locations.Order) == 0 {
		return Find(in.Headers, cookie, v.locations)
	}
	return v.locations.FindIn(in, cookie, refresh)
}

// NeedsBody reports whether tokens may come in a JSON body, so a handler
// must read the body before the check.
func (v *Verifier) NeedsBody() bool { return v.locations.JSON }

// CSRFApplies reports whether found, presented on in, must pass the double
// submit check.
func (v *Verifier) CSRFApplies(in Input, found Found) bool {
	return v.csrf.Applies(in.Method, found)
}

// Check runs the steps of Verify after the lookup on a located token.
func (v *Verifier) Check(in Input, found Found, want Want) (*tokens.Claims, error) {
	checkCSRF := !want.SkipCSRF && v.csrf.Applies(in.Method, found)
	var csrf string
	if checkCSRF {
		var err error
		if csrf, err = Presented(in.Headers, want.CSRFHeader); err != nil {
			return nil, err
		}
	}
	claims, perr := v.tokens.Parse(found.Token)
	if claims == nil {
		return nil, perr
	}
	if checkCSRF {
		if err := Compare(csrf, claims.CSRF); err != nil {
			return nil, err
		}
	}
	if perr != nil && !(want.AllowExpired && errors.Is(perr, tokens.ErrExpired)) {
		return nil, perr
	}
	if err := tokens.CheckType(claims, want.Type); err != nil {
		return nil, err
	}
	return claims, perr
}
