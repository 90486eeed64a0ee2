package session

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/metrics"
	"github.com/jwtgate/jwtgate/shared/runtime/reply"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// Refresh answers POST /refresh: the refresh cookie plus X-CSRF-TOKEN (the
// refresh token's csrf value) buy a new access token (not fresh) and a
// rotated refresh token in the same session, {"refresh":true}. Roles are
// re-read from the user record; a deleted or disabled user is refused.
//
// The new refresh token keeps the presented one's csrf value, so
// csrf_refresh_token stays the same for the whole login (as flask's does)
// and refreshes racing in one page never mismatch.
//
// The presented refresh token is consumed atomically. Presenting it again
// within ReuseGrace (tabs refreshing at once) succeeds again; after that it
// is taken as stolen: the whole session is revoked and the answer is 401
// "Token has been revoked". A token revoked by id (`jwtgate revoke --jti`)
// gets that answer at once, within the grace too, and is not taken as
// stolen. A token below the user's generation (a password change, a
// disable, `jwtgate revoke --user` since its login) is refused as revoked.
// A legacy token's Flask identity, with JWTGATE_LEGACY_IDENTITIES=imported,
// is first mapped to the username imported with it: 401 "Error loading the
// user ..." for none, 503 when the lookup fails.
func (s *Service) Refresh() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.allowPOST(w, r) {
			return
		}
		claims, msg, err := s.presented(r, s.cookies.RefreshName, s.csrf.RefreshHeader, tokens.Refresh, false)
		if errors.Is(err, tokens.ErrKeysStale) {
			// The key source has been unreadable too long to trust the keys
			// held: fail closed as on any store failure, and say why.
			s.log().ErrorContext(r.Context(), "refresh failed closed", "op", "refresh", "reason", "keys", "err", err)
			s.reply.Msg(w, http.StatusServiceUnavailable, msgUnavailable)
			return
		}
		if claims == nil {
			// Logged like every other refusal: a CSRF or token failure here is
			// an auth decision (and a probe) the log must show.
			s.log().InfoContext(r.Context(), "refresh refused", "op", "refresh", "reason", msg)
			s.reply.Msg(w, http.StatusUnauthorized, msg)
			return
		}
		ctx, cancel := s.bounded(r)
		defer cancel()
		if err := users.MapLegacyIdentity(ctx, claims, s.identities); err != nil {
			// A Flask identity imported with no user, or a lookup that failed.
			log := s.log().With("op", "refresh", "identity", claims.LegacyIdentity, "legacy", true)
			if msg, refused := tokens.Message(err); refused {
				log.InfoContext(ctx, "refresh refused", "reason", msg)
				s.reply.Msg(w, http.StatusUnauthorized, msg)
				return
			}
			log.ErrorContext(ctx, "refresh failed closed", "reason", "identity lookup", "err", err)
			s.reply.Msg(w, http.StatusServiceUnavailable, msgUnavailable)
			return
		}
		log := s.log().With("op", "refresh", "user", claims.Subject, "sid", claims.SID)
		subj := subjectOf(claims)
		recs, u, err := s.refreshReads().ReadForRefresh(ctx, claims.Subject,
			revocation.SessionKey(subj.SID), revocation.UserKey(subj.Sub))
		gone := errors.Is(err, users.ErrNotFound)
		if err != nil && !gone {
			log.ErrorContext(ctx, "refresh failed closed", "reason", "store", "err", err)
			s.reply.Msg(w, http.StatusServiceUnavailable, msgUnavailable)
			return
		}
		now := s.now()
		if revocation.Check(recs, subj, now) != nil {
			log.InfoContext(ctx, "refresh refused", "reason", "revoked")
			s.reply.Msg(w, http.StatusUnauthorized, msgRevoked)
			return
		}
		// Roles and the disabled flag come from the user record, not the old
		// token, so a demotion or a disable takes effect at the next refresh.
		if gone || u.Disabled {
			log.InfoContext(ctx, "refresh refused", "reason", "user gone or disabled")
			s.reply.Msg(w, http.StatusUnauthorized, msgRevoked)
			return
		}
		// The user record read with the cut-off knows the generation too: a
		// token below it is refused even if the cut-off record was never
		// written (a change that failed half way) or has expired.
		if claims.Gen < u.Generation {
			log.InfoContext(ctx, "refresh refused", "reason", "revoked", "gen", claims.Gen, "user_gen", u.Generation)
			s.reply.Msg(w, http.StatusUnauthorized, msgRevoked)
			return
		}
		sid := claims.SID
		consumed := s.records().Consumed(claims.ID, claims.ExpiresAt.Time, now)
		if claims.Legacy {
			// flask-jwt-extended's refresh token buys a jwtgate session of
			// its own, with the user's roles; its record names that
			// session, for a reuse to revoke.
			sid = s.tokens.NewID()
			consumed.Session = sid
			log = log.With("sid", sid, "legacy", true)
		}
		prior, won, err := s.revocations.Consume(ctx, consumed)
		if err != nil {
			log.ErrorContext(ctx, "refresh failed closed", "reason", "consume", "err", err)
			s.reply.Msg(w, http.StatusServiceUnavailable, msgUnavailable)
			return
		}
		if !won && !prior.Consumed {
			// Revoked by id (`jwtgate revoke --jti`), not used: refused at
			// once, grace or not, and no theft.
			log.InfoContext(ctx, "refresh refused", "reason", "token revoked")
			s.reply.Msg(w, http.StatusUnauthorized, msgRevoked)
			return
		}
		if !won && claims.Legacy {
			// A legacy token is traded once: its first use opened a jwtgate
			// session, and a second use is refused, grace or not. Within the
			// grace it is another tab of the same browser racing the first
			// (their cookie jar already holds the new session); after it,
			// someone else holds a copy, and the session the token bought
			// is revoked, as for ours.
			bought := ""
			if now.Sub(prior.At) > s.reuseGrace {
				if bought, err = s.revokeBought(ctx, prior, now); err != nil {
					log.ErrorContext(ctx, "refresh reuse detected but session revocation failed", "err", err)
					s.reply.Msg(w, http.StatusServiceUnavailable, msgUnavailable)
					return
				}
			}
			if bought == "" {
				log.WarnContext(ctx, "refresh refused", "reason", "legacy refresh token reused", "first_used", prior.At)
				s.reply.Msg(w, http.StatusUnauthorized, msgRevoked)
				return
			}
			metrics.Count(ctx, metrics.TheftDetected)
			log.WarnContext(ctx, "refresh token reuse detected: session revoked", "first_used", prior.At, "revoked_sid", bought)
			s.reply.Msg(w, http.StatusUnauthorized, msgRevoked)
			return
		}
		if !won && now.Sub(prior.At) > s.reuseGrace {
			// Reuse after the grace window: someone else holds this token.
			if err := s.revocations.Put(ctx, s.records().Session(claims.SID, now)); err != nil {
				log.ErrorContext(ctx, "refresh reuse detected but session revocation failed", "err", err)
				s.reply.Msg(w, http.StatusServiceUnavailable, msgUnavailable)
				return
			}
			metrics.Count(ctx, metrics.TheftDetected)
			log.WarnContext(ctx, "refresh token reuse detected: session revoked", "first_used", prior.At)
			s.reply.Msg(w, http.StatusUnauthorized, msgRevoked)
			return
		}
		// The generation is the token's, not the user record's: a refresh
		// that read the table just before a cut-off and signs just after it
		// hands out the old generation, which the cut-off revokes.
		if err := s.rotate(w, tokens.Subject{Name: u.Name, Roles: u.Roles, Generation: claims.Gen, Claims: u.Claims}, sid, claims.CSRF); err != nil {
			log.ErrorContext(ctx, "refresh failed", "reason", "issue tokens", "err", err)
			s.reply.Msg(w, http.StatusInternalServerError, "Could not issue tokens")
			return
		}
		log.InfoContext(ctx, "refresh", "reuse_within_grace", !won)
		reply.JSON(w, http.StatusOK, map[string]bool{"refresh": true})
	})
}

// revokeBought revokes the jwtgate session a flask-jwt-extended refresh
// token bought at its trade, which the token's consumed record (prior)
// names, and returns that session's id; "" (and no write) when the record
// names none (a revocation by id, or a record of one of ours). It is the one
// rule for a traded flask token met again: a use of a copy after the reuse
// grace (Refresh) and a logout presenting it (Logout) both end the session
// it bought, since the old cookies stand for that session.
func (s *Service) revokeBought(ctx context.Context, prior revocation.Record, now time.Time) (string, error) {
	if !prior.Consumed || prior.Session == "" {
		return "", nil
	}
	if err := s.revocations.Put(ctx, s.records().Session(prior.Session, now)); err != nil {
		return "", fmt.Errorf("revoke session %s bought by a flask refresh token: %w", prior.Session, err)
	}
	return prior.Session, nil
}
