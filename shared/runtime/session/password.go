package session

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"

	"github.com/jwtgate/jwtgate/shared/runtime/identity"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/reply"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// Password answers POST /password {"old_password","new_password"} behind the
// authorizer (wrap it in identity.Require). It needs a fresh access token
// (401 "Fresh token required") and the old password, whose wrong guesses
// count toward the user's login lockout (429 once locked), changes the hash, revokes every session of
// the user issued before the change (log out everywhere) and starts a new
// session for the caller, whose cookies the response carries. A disabled
// user is refused (401 "Token has been revoked", as at refresh).
//
// The change raises the user's generation in the same write as the hash,
// and the cut-off revokes every token below the new generation: every
// session opened before the change, and any login that verified the old
// password while it ran, whatever their clocks. The caller's old session is
// revoked by id too; its new session carries the new generation.
func (s *Service) Password() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.allowPOST(w, r) {
			return
		}
		id, ok := identity.Of(r.Context())
		if !ok {
			s.reply.Msg(w, http.StatusUnauthorized, fmt.Sprintf("Missing cookie %q", s.cookies.AccessName))
			return
		}
		if !id.Fresh {
			s.reply.Msg(w, http.StatusUnauthorized, "Fresh token required")
			return
		}
		var body struct {
			Old *string `json:"old_password"`
			New *string `json:"new_password"`
		}
		if msg := readJSON(w, r, &body); msg != "" {
			s.reply.Msg(w, http.StatusBadRequest, msg)
			return
		}
		if body.Old == nil || body.New == nil {
			s.reply.Msg(w, http.StatusBadRequest, `Missing "old_password" or "new_password"`)
			return
		}
		if err := password.CheckPolicy(*body.New); err != nil {
			why := strings.TrimPrefix(err.Error(), password.ErrWeakPassword.Error()+": ")
			s.reply.Msg(w, http.StatusBadRequest, "New password does not meet the policy: "+why)
			return
		}
		ctx, cancel := s.bounded(r)
		defer cancel()
		log := s.log().With("op", "password", "user", id.Subject)
		if s.limiter != nil {
			// A guess at the old password is a guess at the password: it
			// counts toward the user's login lockout (not the IP's: the
			// caller is a known user), and a locked-out user is refused here
			// too, before any hash.
			err := s.limiter.Reserve(ctx, id.Subject, "")
			if s.lockedOut(ctx, w, log, "password change", err, "") {
				return
			}
		}
		u, err := s.users.Get(ctx, id.Subject)
		if err != nil {
			log.ErrorContext(ctx, "password change failed closed", "reason", "user store", "err", err)
			if s.limiter != nil {
				if err := s.limiter.Release(ctx, id.Subject, ""); err != nil {
					log.WarnContext(ctx, "password change: attempt not released", "err", err)
				}
			}
			s.reply.Msg(w, http.StatusServiceUnavailable, msgUnavailable)
			return
		}
		if u.Disabled {
			// The authorizer let this request through before a disable cut
			// the session; a change now would issue a new session above the
			// disable's cut-off. Refused as refresh refuses: no guess was
			// made, so the attempt is given back.
			if s.limiter != nil {
				if err := s.limiter.Release(ctx, id.Subject, ""); err != nil {
					log.WarnContext(ctx, "password change: attempt not released", "err", err)
				}
			}
			log.InfoContext(ctx, "password change refused", "reason", "user disabled")
			s.reply.Msg(w, http.StatusUnauthorized, msgRevoked)
			return
		}
		var verr error
		if s.hashing(r, func() { verr = password.Verify(u.PasswordHash, *body.Old) }) != nil {
			return // the client left while waiting for a hash slot; the attempt stays counted
		}
		if err := verr; err != nil {
			if !errors.Is(err, password.ErrMismatch) {
				log.ErrorContext(ctx, "password change: unreadable hash", "err", err)
			}
			log.InfoContext(ctx, "password change refused", "reason", "wrong old password")
			s.reply.Msg(w, http.StatusForbidden, "Old password is incorrect")
			return
		}
		if s.limiter != nil {
			if err := s.limiter.Succeeded(ctx, id.Subject, ""); err != nil {
				log.WarnContext(ctx, "password change: failure counter not reset", "err", err)
			}
		}
		// The check's argon2id block (19 MiB) is garbage now. Collecting it
		// before the second hash lets that one reuse the memory instead of
		// growing the process by another 19 MiB (50 MB peak instead of 31 at
		// 512 MB of Lambda memory); a password change is rare, a collection
		// of this small heap about a millisecond.
		runtime.GC()
		var hash string
		if s.hashing(r, func() { hash, err = password.HashDefault(*body.New) }) != nil {
			return
		}
		if err != nil {
			log.ErrorContext(ctx, "password change: hash", "err", err)
			s.reply.Msg(w, http.StatusInternalServerError, "Could not change the password")
			return
		}
		now := s.now()
		// Conditional on the hash just verified: a reset (`jwtgate user
		// passwd`) or a disable that landed meanwhile wins.
		gen, err := s.users.ChangePassword(ctx, u.Name, u.PasswordHash, hash, now)
		if errors.Is(err, users.ErrChanged) {
			log.InfoContext(ctx, "password change refused", "reason", "user changed meanwhile")
			s.reply.Msg(w, http.StatusForbidden, "Old password is incorrect")
			return
		}
		if err != nil {
			log.ErrorContext(ctx, "password change failed closed", "reason", "user store", "err", err)
			s.reply.Msg(w, http.StatusServiceUnavailable, msgUnavailable)
			return
		}
		// Until the cut-off lands, refresh already refuses the old
		// generations (it reads the user record); the authorizer needs it.
		recs := []revocation.Record{s.records().UserCutOff(u.Name, gen, now)}
		// A flask-minted token (the legacy window) has no session: the
		// cut-off alone ends it. A record for the empty sid would revoke
		// every other user's flask tokens, which all share it.
		if id.SID != "" {
			recs = append(recs, s.records().Session(id.SID, now))
		}
		for _, rec := range recs {
			if err := s.revocations.Put(ctx, rec); err != nil {
				log.ErrorContext(ctx, "password changed but sessions not revoked", "err", err)
				s.reply.Msg(w, http.StatusServiceUnavailable, "Password changed, but other sessions could not be logged out: try again")
				return
			}
		}
		if err := s.issue(w, tokens.Subject{Name: u.Name, Roles: u.Roles, Generation: gen, Claims: u.Claims}, s.tokens.NewID(), true); err != nil {
			log.ErrorContext(ctx, "password change: issue tokens", "err", err)
			s.reply.Msg(w, http.StatusInternalServerError, "Could not issue tokens")
			return
		}
		log.InfoContext(ctx, "password changed: every other session revoked")
		reply.JSON(w, http.StatusOK, map[string]bool{"password_changed": true})
	})
}
