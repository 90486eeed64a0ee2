package session

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/jwtgate/jwtgate/shared/password"
	"github.com/jwtgate/jwtgate/shared/reply"
	"github.com/jwtgate/jwtgate/shared/tokens"
	"github.com/jwtgate/jwtgate/shared/users"
)

// Login answers POST /login with {"username","password"}: 200
// {"login":true} and the four cookies (access token fresh), or 401
// {"msg":"Bad username or password"}. Unknown and disabled users cost the
// same argon2id work and get the same answer as a wrong password.
func (s *Service) Login() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowPOST(w, r) {
			return
		}
		var body struct {
			Username *string `json:"username"`
			Password *string `json:"password"`
		}
		if msg := readJSON(w, r, &body); msg != "" {
			reply.Msg(w, http.StatusBadRequest, msg)
			return
		}
		if body.Username == nil || body.Password == nil || *body.Username == "" || *body.Password == "" {
			reply.Msg(w, http.StatusBadRequest, `Missing "username" or "password"`)
			return
		}
		name, err := users.NormalizeName(*body.Username)
		if err != nil {
			reply.Msg(w, http.StatusBadRequest, msgInvalidUsername)
			return
		}
		ctx, cancel := s.bounded(r)
		defer cancel()
		log := s.log().With("op", "login", "user", name)
		u, err := s.Users.Get(ctx, name)
		switch {
		case errors.Is(err, users.ErrNotFound):
			_ = password.VerifyDummy(*body.Password)
			log.InfoContext(ctx, "login refused", "reason", "unknown user")
			reply.Msg(w, http.StatusUnauthorized, msgBadCredentials)
			return
		case err != nil:
			log.ErrorContext(ctx, "login failed closed", "reason", "user store", "err", err)
			reply.Msg(w, http.StatusServiceUnavailable, msgUnavailable)
			return
		}
		if err := password.Verify(u.PasswordHash, *body.Password); err != nil || u.Disabled {
			reason := "wrong password"
			if u.Disabled && err == nil {
				reason = "disabled"
			} else if errors.Is(err, password.ErrFormat) {
				reason = "unreadable password hash"
			}
			log.InfoContext(ctx, "login refused", "reason", reason)
			reply.Msg(w, http.StatusUnauthorized, msgBadCredentials)
			return
		}
		sid := s.Tokens.NewID()
		if err := s.issue(w, tokens.Subject{Name: u.Name, Roles: u.Roles}, sid, true); err != nil {
			log.ErrorContext(ctx, "login failed", "reason", "issue tokens", "err", err)
			reply.Msg(w, http.StatusInternalServerError, "Could not issue tokens")
			return
		}
		log.InfoContext(ctx, "login", "sid", sid)
		reply.JSON(w, http.StatusOK, map[string]bool{"login": true})
	})
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
