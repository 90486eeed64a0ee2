package session

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"

	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/reply"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
	"github.com/jwtgate/jwtgate/shared/runtime/users/username"
)

// Login answers POST /login with {"username","password"}: 200
// {"login":true} and the four cookies (access token fresh), or 401
// {"msg":"Bad username or password"}. Unknown and disabled users cost the
// same argon2id work and get the same answer as a wrong password. Every
// attempt is counted per username and source IP before its password is
// checked, and given back on success; past the limit the answer is 429 with
// Retry-After, and no password is checked.
func (s *Service) Login() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.allowPOST(w, r) {
			return
		}
		var body struct {
			Username *string `json:"username"`
			Password *string `json:"password"`
		}
		if msg := readJSON(w, r, &body); msg != "" {
			s.reply.Msg(w, http.StatusBadRequest, msg)
			return
		}
		if body.Username == nil || body.Password == nil || *body.Username == "" || *body.Password == "" {
			s.reply.Msg(w, http.StatusBadRequest, `Missing "username" or "password"`)
			return
		}
		name, err := username.Normalize(*body.Username)
		if err != nil {
			s.reply.Msg(w, http.StatusBadRequest, msgInvalidUsername)
			return
		}
		ctx, cancel := s.bounded(r)
		defer cancel()
		// The name is unverified until the user store knows it: log only its
		// tag (it may be a password typed into the wrong field).
		log := s.log().With("op", "login", s.nameAttr(name))
		ip := sourceIP(r)
		if s.limiter != nil {
			// The attempt is counted before the password is checked, in the
			// same atomic step as the lock decision: parallel guesses cannot
			// all pass a check made before any of them failed.
			err := s.limiter.Reserve(ctx, name, ip)
			if s.lockedOut(ctx, w, log, "login", err, name) {
				return
			}
		}
		// One strongly consistent read of one record gives the hash and the
		// generation together: a login that verifies the old password signs
		// the old generation, which the change's cut-off revokes.
		u, err := s.users.Get(ctx, name)
		reason := ""
		switch {
		case errors.Is(err, users.ErrNotFound):
			if s.hashing(r, func() { _ = s.passwords.Dummy(*body.Password) }) != nil {
				return // the client left while waiting for a hash slot; the attempt stays counted
			}
			reason = "unknown user"
		case err != nil:
			log.ErrorContext(ctx, "login failed closed", "reason", "user store", "err", s.redacted(err, name))
			if s.limiter != nil {
				// No password was checked: this was no guess.
				if err := s.limiter.Release(ctx, name, ip); err != nil {
					log.WarnContext(ctx, "login: attempt not released", "err", s.redacted(err, name))
				}
			}
			s.reply.Msg(w, http.StatusServiceUnavailable, msgUnavailable)
			return
		default:
			// The name exists: from here on it is a username, logged as such.
			log = s.log().With("op", "login", "user", u.Name)
			var err error
			if s.hashing(r, func() { err = s.passwords.Verify(u.PasswordHash, *body.Password) }) != nil {
				return // the client left while waiting for a hash slot; the attempt stays counted
			}
			if err != nil {
				reason = "wrong password"
				if errors.Is(err, password.ErrFormat) {
					reason = "unreadable password hash"
				}
			} else if u.Disabled {
				reason = "disabled"
			}
		}
		if reason != "" {
			// The reservation already counted the failure.
			log.InfoContext(ctx, "login refused", "reason", reason)
			s.reply.Msg(w, http.StatusUnauthorized, msgBadCredentials)
			return
		}
		if s.limiter != nil {
			if err := s.limiter.Succeeded(ctx, name, ip); err != nil {
				log.WarnContext(ctx, "login: failure counter not reset", "err", s.redacted(err, name))
			}
		}
		if password.Legacy(u.PasswordHash) {
			s.upgradeHash(r, u, *body.Password)
		}
		sid := s.tokens.NewID()
		if err := s.issue(w, tokens.Subject{Name: u.Name, Roles: u.Roles, Generation: u.Generation, Claims: u.Claims}, sid, true); err != nil {
			log.ErrorContext(ctx, "login failed", "reason", "issue tokens", "err", err)
			s.reply.Msg(w, http.StatusInternalServerError, "Could not issue tokens")
			return
		}
		log.InfoContext(ctx, "login", "sid", sid)
		reply.JSON(w, http.StatusOK, map[string]bool{"login": true})
	})
}

// upgradeHash replaces u's imported hash with argon2id of pw, which just
// matched it. The write is conditional on the hash read at the start of
// the login: a password change that landed since wins, and this login's
// session then falls to that change's cut-off as any other would. Failing
// here costs nothing but another upgrade attempt at the next login.
func (s *Service) upgradeHash(r *http.Request, u users.User, pw string) {
	ctx := r.Context()
	log := s.log().With("op", "login", "user", u.Name)
	var hash string
	var err error
	if s.hashing(r, func() { hash, err = password.HashDefault(pw) }) != nil {
		return
	}
	if err == nil {
		bctx, cancel := s.bounded(r)
		err = s.users.ReplaceHash(bctx, u.Name, u.PasswordHash, hash)
		cancel()
	}
	switch {
	case errors.Is(err, users.ErrHashChanged):
		log.InfoContext(ctx, "login: imported hash not upgraded", "reason", "password changed meanwhile")
	case err != nil:
		log.WarnContext(ctx, "login: imported hash not upgraded", "err", err)
	default:
		log.InfoContext(ctx, "login: imported hash upgraded to argon2id")
	}
}

// sourceIP is the caller's address as API Gateway saw it: the api-proxy
// adapter puts requestContext.identity.sourceIp in RemoteAddr.
func sourceIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// readJSON reads a JSON object body of at most 4 KiB into v and returns the
// client message when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get(headerContentType))
	if err != nil || mt != mediaTypeJSON {
		return msgContentType
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return msgBodyTooLarge
		}
		return msgMalformedJSON
	}
	if len(raw) == 0 || raw[0] != '{' && !json.Valid(raw) {
		return msgMalformedJSON
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return msgMalformedJSON
	}
	return ""
}
