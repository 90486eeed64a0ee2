package session

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/cookies"
	"github.com/jwtgate/jwtgate/shared/runtime/reply"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// Users is what the session handlers need of a user store: lookups for
// login and refresh, and the hash update of a password change.
type Users interface {
	Get(ctx context.Context, name string) (users.User, error)
	SetPassword(ctx context.Context, name, hash string, at time.Time) error
}

// Revocations is what the session handlers need of a revocation store.
type Revocations interface {
	Lookup(ctx context.Context, keys ...string) (map[string]revocation.Record, error)
	Put(ctx context.Context, r revocation.Record) error
	Consume(ctx context.Context, r revocation.Record) (revocation.Record, bool, error)
}

// RefreshReads is what refresh reads before it rotates a token: the live
// revocation records among keys and the user called name, with
// users.ErrNotFound (wrapped) and the records when there is no such user.
// dynamostore.RefreshReads does it in one round trip; without one the
// Service makes the two calls on Revocations and Users.
type RefreshReads interface {
	ReadForRefresh(ctx context.Context, name string, keys ...string) (map[string]revocation.Record, users.User, error)
}

// Throttle is what login needs of the failed-login limiter
// (*throttle.Limiter).
type Throttle interface {
	Check(ctx context.Context, user, ip string) (bool, error)
	Failed(ctx context.Context, user, ip string) error
	Succeeded(ctx context.Context, user string) error
}

// Service holds the dependencies of the session handlers.
type Service struct {
	Tokens      *tokens.Service
	Cookies     cookies.Options
	CSRF        cookies.CSRF
	Locations   cookies.Locations
	Users       Users
	Revocations Revocations
	// RefreshReads batches refresh's reads; nil makes them separately.
	RefreshReads RefreshReads
	// Throttle limits failed logins; nil disables the limit.
	Throttle Throttle
	// ReuseGrace is how long a consumed refresh token may be presented again
	// (parallel tabs refreshing at once) before reuse counts as theft.
	ReuseGrace time.Duration
	// StoreTimeout is the stores' per-call bound (a DynamoDB store applies
	// it itself); a request's store calls together get three times that
	// before the handler fails closed with 503.
	StoreTimeout time.Duration
	// HashSlots, when not nil, caps the argon2id hashes running at once at
	// its capacity (handlers.New uses GOMAXPROCS). Each hash holds a core
	// and 19 MiB for tens of milliseconds; unbounded, a burst of logins in
	// one process (the dev gateway) starves every other request until
	// store calls miss their bound and fail closed with 503.
	HashSlots chan struct{}
	Clock     func() time.Time
	Log       *slog.Logger
}

// Messages of the session endpoints beyond the token contract.
const (
	msgBadCredentials  = "Bad username or password"
	msgUnavailable     = "Session store unavailable, try again"
	msgRevoked         = "Token has been revoked"
	msgMethod          = "Method not allowed"
	maxBodyBytes       = 4 << 10
	headerContentType  = "Content-Type"
	mediaTypeJSON      = "application/json"
	msgContentType     = "Content-Type must be application/json"
	msgBodyTooLarge    = "Request body too large (limit 4 KiB)"
	msgMalformedJSON   = "Request body is not a JSON object"
	msgInvalidUsername = "Invalid username"
	msgLockedOut       = "Too many failed login attempts, try again later"
)

func (s *Service) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// bounded returns r's context with the deadline of a request's store calls.
func (s *Service) bounded(r *http.Request) (context.Context, context.CancelFunc) {
	d := s.StoreTimeout
	if d <= 0 {
		d = time.Second
	}
	return context.WithTimeout(r.Context(), 3*d)
}

// hashing runs one password hash in a free slot of HashSlots, waiting for
// one while the client is still there; it returns the client's error when
// the client left first.
func (s *Service) hashing(r *http.Request, hash func()) error {
	if s.HashSlots == nil {
		hash()
		return nil
	}
	select {
	case s.HashSlots <- struct{}{}:
	case <-r.Context().Done():
		return r.Context().Err()
	}
	defer func() { <-s.HashSlots }()
	hash()
	return nil
}

// separateReads is RefreshReads over stores that cannot batch: two calls.
type separateReads struct {
	revocations Revocations
	users       Users
}

// ReadForRefresh implements RefreshReads.
func (r separateReads) ReadForRefresh(ctx context.Context, name string, keys ...string) (map[string]revocation.Record, users.User, error) {
	recs, err := r.revocations.Lookup(ctx, keys...)
	if err != nil {
		return nil, users.User{}, err
	}
	u, err := r.users.Get(ctx, name)
	return recs, u, err
}

func (s *Service) refreshReads() RefreshReads {
	if s.RefreshReads != nil {
		return s.RefreshReads
	}
	return separateReads{revocations: s.Revocations, users: s.Users}
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// issue signs a new pair for sub in session sid and writes the four cookies.
func (s *Service) issue(w http.ResponseWriter, sub tokens.Subject, sid string, fresh bool) error {
	pair, err := s.Tokens.IssuePair(sub, sid, fresh)
	if err != nil {
		return err
	}
	return s.Cookies.Write(w, s.now(),
		&cookies.Token{Value: pair.Access.Token, CSRF: pair.Access.Claims.CSRF, Expires: pair.Access.Claims.ExpiresAt.Time},
		&cookies.Token{Value: pair.Refresh.Token, CSRF: pair.Refresh.Claims.CSRF, Expires: pair.Refresh.Claims.ExpiresAt.Time})
}

// sessionRecord revokes a whole session: it must outlive every token of the
// session, and none was issued later than now.
func (s *Service) sessionRecord(sid string) revocation.Record {
	now := s.now()
	return revocation.Record{Key: revocation.SessionKey(sid), At: now,
		ExpiresAt: now.Add(s.Tokens.RefreshTTL() + s.Tokens.Leeway())}
}

// presented finds, CSRF-checks and verifies the token cookieName names, in
// flask-jwt-extended's order; it returns the client message on failure.
// allowExpired keeps an expired token's claims (logout still needs its sid).
func (s *Service) presented(r *http.Request, cookieName, csrfHeader string, want tokens.Type, allowExpired bool) (*tokens.Claims, string, error) {
	found, err := cookies.Find(r.Header, cookieName, s.Locations)
	if err != nil {
		msg, _ := cookies.Message(err)
		return nil, msg, err
	}
	checkCSRF := s.CSRF.Applies(r.Method, found)
	var csrf string
	if checkCSRF {
		if csrf, err = cookies.Presented(r.Header, csrfHeader); err != nil {
			msg, _ := cookies.Message(err)
			return nil, msg, err
		}
	}
	claims, perr := s.Tokens.Parse(found.Token)
	if claims == nil {
		msg, _ := tokens.Message(perr)
		return nil, msg, perr
	}
	if checkCSRF {
		if err := cookies.Compare(csrf, claims.CSRF); err != nil {
			msg, _ := cookies.Message(err)
			return nil, msg, err
		}
	}
	if perr != nil && !(allowExpired && errors.Is(perr, tokens.ErrExpired)) {
		msg, _ := tokens.Message(perr)
		return nil, msg, perr
	}
	if err := tokens.CheckType(claims, want); err != nil {
		msg, _ := tokens.Message(err)
		return nil, msg, err
	}
	return claims, "", perr
}

func subjectOf(c *tokens.Claims) revocation.Subject {
	return revocation.Subject{JTI: c.ID, SID: c.SID, Sub: c.Subject, IssuedAt: c.IssuedAt.Time}
}

// allowPOST answers 405 for anything but POST.
func allowPOST(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", http.MethodPost)
	reply.Msg(w, http.StatusMethodNotAllowed, msgMethod)
	return false
}
