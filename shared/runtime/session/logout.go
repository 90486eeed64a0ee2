package session

import (
	"context"
	"errors"
	"net/http"

	"github.com/jwtgate/jwtgate/shared/runtime/reply"
	"github.com/jwtgate/jwtgate/shared/runtime/request"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
)

// Logout answers POST /logout: it revokes the whole session (sid) of the
// presented tokens, so the access and refresh tokens of that login both stop
// working, clears the four cookies and answers {"logout":true}. A token
// flask-jwt-extended minted (the migration window) has no session: it is
// revoked by its jti, and a flask refresh token that /refresh already
// traded ends the jwtgate session it bought as well (revokeLegacy).
//
// When a cookie token is presented, the CSRF header must match the csrf
// claim of one of the presented tokens (normally the access token's), so
// another site cannot log the user out. Expired tokens still name their
// session; when tokens are presented but none can be read, there is
// nothing to revoke and the cookies are cleared all the same. When no token
// is presented at all the answer is flask's (its logout is a
// @jwt_required() route): 401 with the access token lookup's message
// (`Missing cookie "access_token_cookie"`, or the combined message of
// several locations), and nothing is cleared: a cross-site form POST
// arrives without the SameSite=Lax cookies, yet the browser applies the
// Set-Cookie of that top-level navigation, so clearing there would let any
// site log the user out. When the revocation cannot be stored the answer
// is 503 and the cookies stay, so the client can retry.
func (s *Service) Logout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.allowPOST(w, r) {
			return
		}
		ctx, cancel := s.bounded(r)
		defer cancel()
		log := s.log().With("op", "logout")
		var readable []*tokens.Claims
		in := s.input(r)
		csrfNeeded, presented := false, false
		var missing error // why the access token was not found
		for _, k := range []struct {
			cookie string
			typ    tokens.Type
		}{{s.cookies.AccessName, tokens.Access}, {s.cookies.RefreshName, tokens.Refresh}} {
			found, err := s.verify.Locate(in, k.cookie, k.typ)
			if err != nil {
				if missing == nil {
					missing = err
				}
				continue
			}
			presented = true
			csrfNeeded = csrfNeeded || s.verify.CSRFApplies(in, found)
			// The double submit check runs below, once, against every
			// readable token: either CSRF header may match either cookie.
			claims, err := s.verify.Check(in, found, request.Want{Type: k.typ, AllowExpired: true, SkipCSRF: true})
			if errors.Is(err, tokens.ErrKeysStale) {
				// Without trusted keys no token can be read, so nothing could be
				// revoked: answering 200 would claim a logout that did not happen.
				log.ErrorContext(ctx, "logout failed closed", "reason", "keys", "err", err)
				s.reply.Msg(w, http.StatusServiceUnavailable, "Logout failed: the session could not be revoked, try again")
				return
			}
			if claims == nil {
				msg, _ := tokens.Message(err)
				log.InfoContext(ctx, "logout: unreadable token ignored", "cookie", k.cookie, "reason", msg)
				continue
			}
			readable = append(readable, claims)
		}
		if !presented {
			msg, _ := tokens.Message(missing)
			s.reply.Msg(w, http.StatusUnauthorized, msg)
			return
		}
		if csrfNeeded {
			if msg := s.logoutCSRF(r, readable); msg != "" {
				log.InfoContext(ctx, "logout refused", "reason", msg)
				s.reply.Msg(w, http.StatusUnauthorized, msg)
				return
			}
		}
		revoked := map[string]bool{}
		for _, c := range readable {
			if c.Legacy {
				bought, err := s.revokeLegacy(ctx, c)
				if err != nil {
					log.ErrorContext(ctx, "logout failed closed", "reason", "revocation store", "jti", c.ID, "legacy", true, "err", err)
					s.reply.Msg(w, http.StatusServiceUnavailable, "Logout failed: the session could not be revoked, try again")
					return
				}
				// A Flask identity is not looked up: revoking by jti needs no
				// username, and logout then works whatever the lookup does.
				who := []any{"user", c.Subject}
				if c.LegacyIdentity != "" {
					who = []any{"identity", c.LegacyIdentity}
				}
				attrs := append(who, "jti", c.ID, "legacy", true)
				if bought != "" {
					revoked[bought] = true
					attrs = append(attrs, "revoked_sid", bought)
				}
				log.InfoContext(ctx, "logout", attrs...)
				continue
			}
			if revoked[c.SID] {
				continue
			}
			if err := s.revocations.Put(ctx, s.records().Session(c.SID, s.now())); err != nil {
				log.ErrorContext(ctx, "logout failed closed", "reason", "revocation store", "sid", c.SID, "err", err)
				s.reply.Msg(w, http.StatusServiceUnavailable, "Logout failed: the session could not be revoked, try again")
				return
			}
			revoked[c.SID] = true
			log.InfoContext(ctx, "logout", "user", c.Subject, "sid", c.SID)
		}
		if err := s.cookies.Clear(w); err != nil {
			log.ErrorContext(ctx, "logout: clear cookies", "err", err)
		}
		reply.JSON(w, http.StatusOK, map[string]bool{"logout": true})
	})
}

// logoutCSRF returns "" when the CSRF header matches a readable token, and
// flask's message otherwise.
func (s *Service) logoutCSRF(r *http.Request, readable []*tokens.Claims) string {
	var presented []string
	for _, h := range []string{s.csrf.AccessHeader, s.csrf.RefreshHeader} {
		if v, err := request.Presented(r.Header, h); err == nil {
			presented = append(presented, v)
		}
	}
	if len(presented) == 0 {
		return "Missing CSRF token"
	}
	if len(readable) == 0 {
		return "" // nothing to revoke: clearing unreadable cookies is harmless
	}
	for _, c := range readable {
		for _, v := range presented {
			if request.Compare(v, c.CSRF) == nil {
				return ""
			}
		}
	}
	return "CSRF double submit tokens do not match"
}

// revokeLegacy revokes a flask-minted token, which names no session, by its
// jti, and returns the jwtgate session it also revoked ("" for none).
//
// A flask refresh token may have been traded already (/refresh): its
// consumed record names the session it bought, and whoever presents the
// token here (a stale tab, a stolen copy) ends that session too, through
// revokeBought, as a reuse of the token would. So the revocation by jti is
// written only where no live record is (Consume, the condition the trade
// writes under) and the record it loses to is the one read: a read before
// a plain write would let a trade land in between, its record overwritten
// and its session alive. A trade racing this logout either finds the token
// revoked (and buys nothing) or is seen here. The record lost to stays: a
// consumed one refuses the token already and still names the session for
// a later reuse; a revocation by id already is the token's revocation.
//
// A flask access token carries no link to the session its refresh token
// bought: it is revoked by jti only.
func (s *Service) revokeLegacy(ctx context.Context, c *tokens.Claims) (string, error) {
	now := s.now()
	rec := s.records().Token(c.ID, now)
	if c.Type != tokens.Refresh {
		return "", s.revocations.Put(ctx, rec)
	}
	prior, won, err := s.revocations.Consume(ctx, rec)
	if err != nil || won {
		return "", err
	}
	return s.revokeBought(ctx, prior, now)
}
