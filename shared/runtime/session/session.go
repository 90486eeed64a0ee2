package session

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/config"
	"github.com/jwtgate/jwtgate/shared/runtime/cookies"
	"github.com/jwtgate/jwtgate/shared/runtime/logging"
	"github.com/jwtgate/jwtgate/shared/runtime/password"
	"github.com/jwtgate/jwtgate/shared/runtime/reply"
	"github.com/jwtgate/jwtgate/shared/runtime/request"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/throttle"
	"github.com/jwtgate/jwtgate/shared/runtime/tokens"
	"github.com/jwtgate/jwtgate/shared/runtime/users"
)

// Users is what the session handlers need of a user store: lookups for
// login and refresh, and the hash update of a password change, which raises
// the user's generation in the same write and returns the new one.
//
// ChangePassword is a password change conditional on the hash the old
// password was verified against (users.ErrChanged when a reset or a
// disable landed meanwhile), raising the user's generation. ReplaceHash
// swaps an imported hash for argon2id after a successful login, while the
// stored hash is still the old one (users.ErrHashChanged otherwise), and
// leaves the generation alone. Both jwtgate stores have all three.
type Users interface {
	Get(ctx context.Context, name string) (users.User, error)
	ChangePassword(ctx context.Context, name, oldHash, hash string, at time.Time) (int64, error)
	ReplaceHash(ctx context.Context, name, old, hash string) error
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

// Identities is what refresh needs to map a legacy token's Flask identity
// to a username (JWTGATE_LEGACY_IDENTITIES=imported): the name of the user
// imported with it, users.ErrNotFound for none.
type Identities interface {
	NameOf(ctx context.Context, identity string) (string, error)
}

// Throttle is what login and password need of the failed-login limiter
// (*throttle.Limiter): an attempt is reserved before the password is
// checked, so it counts as a failure unless a success or a release gives
// it back.
type Throttle interface {
	Reserve(ctx context.Context, user, ip string) error
	Release(ctx context.Context, user, ip string) error
	Succeeded(ctx context.Context, user, ip string) error
}

// Service holds the dependencies of the session handlers. Build it with
// New, which applies every default once.
type Service struct {
	tokens  *tokens.Service
	cookies cookies.Options
	csrf    request.CSRF
	// verify is the token check sequence the authorizer runs too.
	verify      *request.Verifier
	users       Users
	revocations Revocations
	// batchReads batches refresh's reads; nil makes them separately.
	batchReads RefreshReads
	// identities maps legacy identities; nil when they are not mapped.
	identities Identities
	// limiter limits failed logins and wrong old passwords; nil disables
	// the limit.
	limiter Throttle
	// names tags the usernames a login claims until they are known to
	// exist (a per-process key by default); nil logs no unverified name.
	names *logging.Names
	// reuseGrace is how long a consumed refresh token may be presented again
	// (parallel tabs refreshing at once) before reuse counts as theft.
	reuseGrace time.Duration
	// storeTimeout is the stores' per-call bound (a DynamoDB store applies
	// it itself); a request's store calls together get three times that
	// before the handler fails closed with 503.
	storeTimeout time.Duration
	// hashSlots, when not nil, caps the argon2id hashes running at once at
	// its capacity (handlers.New uses GOMAXPROCS). Each hash holds a core
	// and 19 MiB for tens of milliseconds; unbounded, a burst of logins in
	// one process (the dev gateway) starves every other request until
	// store calls miss their bound and fail closed with 503.
	hashSlots chan struct{}
	// passwords verifies login passwords with the same work for unknown
	// users, argon2id hashes and imported ones (password.Checker).
	passwords *password.Checker
	clock     func() time.Time
	logger    *slog.Logger
	// reply writes error bodies under JWT_ERROR_MESSAGE_KEY.
	reply reply.Messages
}

// Stores are the state behind the session handlers.
type Stores struct {
	Users       Users
	Revocations Revocations
	// RefreshReads batches refresh's reads of both; nil reads them apart.
	RefreshReads RefreshReads
	// Throttle counts login attempts (and old-password guesses); nil
	// disables login throttling.
	Throttle throttle.Store
	// Identities maps a legacy token's identity to its username
	// (JWTGATE_LEGACY_IDENTITIES=imported); nil when not mapped, and a
	// token that needs it is then refused with 503.
	Identities Identities
}

// Option changes a default of New.
type Option func(*Service)

// WithClock makes the handlers read time from clock (token issue times,
// revocation records, throttling); time.Now by default. The token service
// has a clock of its own: give both the same one.
func WithClock(clock func() time.Time) Option {
	return func(s *Service) {
		if clock != nil {
			s.clock = clock
		}
	}
}

// WithLogger sends the handlers' lines to log; slog.Default() by default.
func WithLogger(log *slog.Logger) Option {
	return func(s *Service) {
		if log != nil {
			s.logger = log
		}
	}
}

// WithNames tags unverified usernames in the log with n (tests pass one
// with a fixed key); a random per-process key by default.
func WithNames(n *logging.Names) Option { return func(s *Service) { s.names = n } }

// WithPasswords verifies login passwords with c (built from
// JWTGATE_LEGACY_HASH_COST by handlers.New); by default a Checker with no
// legacy cost.
func WithPasswords(c *password.Checker) Option {
	return func(s *Service) {
		if c != nil {
			s.passwords = c
		}
	}
}

// WithThrottle replaces the limiter New builds from Stores.Throttle, e.g.
// with one over a prepared or failing store.
func WithThrottle(t Throttle) Option { return func(s *Service) { s.limiter = t } }

// WithHashSlots caps the password hashes running at once at n (see
// the hashSlots field); GOMAXPROCS by default, 0 for no cap.
func WithHashSlots(n int) Option {
	return func(s *Service) {
		s.hashSlots = nil
		if n > 0 {
			s.hashSlots = make(chan struct{}, n)
		}
	}
}

// New returns the session handlers of cfg over the stores st, signing and
// verifying with ts.
func New(cfg config.Config, ts *tokens.Service, st Stores, opts ...Option) *Service {
	s := &Service{
		tokens: ts, cookies: cfg.Cookies, csrf: cfg.CSRF,
		verify: request.NewVerifier(ts, cfg.Locations, cfg.CSRF),
		users:  st.Users, revocations: st.Revocations, batchReads: st.RefreshReads, identities: st.Identities,
		reuseGrace: cfg.RefreshReuseGrace, storeTimeout: cfg.StoreTimeout,
		hashSlots: make(chan struct{}, runtime.GOMAXPROCS(0)),
		clock:     time.Now, logger: slog.Default(), names: logging.NewProcessNames(),
		reply: reply.NewMessages(cfg.ErrorMessageKey),
	}
	for _, o := range opts {
		o(s)
	}
	if s.passwords == nil {
		s.passwords, _ = password.NewChecker("") // no legacy cost: cannot fail
	}
	if st.Throttle != nil {
		s.limiter = throttle.NewLimiter(st.Throttle, throttle.NewPolicy(cfg.LoginFailuresUser, cfg.LoginLockoutMax),
			throttle.NewPolicy(cfg.LoginFailuresIP, cfg.LoginLockoutMax), s.clock)
	}
	if s.batchReads == nil {
		s.batchReads = separateReads{revocations: s.revocations, users: s.users}
	}
	return s
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

func (s *Service) now() time.Time { return s.clock() }

// bounded returns r's context with the deadline of a request's store calls.
func (s *Service) bounded(r *http.Request) (context.Context, context.CancelFunc) {
	d := s.storeTimeout
	if d <= 0 {
		d = time.Second
	}
	return context.WithTimeout(r.Context(), 3*d)
}

// hashing runs one password hash in a free slot of HashSlots, waiting for
// one while the client is still there; it returns the client's error when
// the client left first.
func (s *Service) hashing(r *http.Request, hash func()) error {
	if s.hashSlots == nil {
		hash()
		return nil
	}
	select {
	case s.hashSlots <- struct{}{}:
	case <-r.Context().Done():
		return r.Context().Err()
	}
	defer func() { <-s.hashSlots }()
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

func (s *Service) refreshReads() RefreshReads { return s.batchReads }

func (s *Service) log() *slog.Logger { return s.logger }

// nameAttr is an unverified username as a log attribute: its tag, never
// the name (an empty group, which slog drops, without Names).
func (s *Service) nameAttr(name string) slog.Attr {
	if s.names == nil {
		return slog.Group(logging.TagKey)
	}
	return s.names.Attr(name)
}

// redacted is err's text for a log line, with the unverified name in it
// replaced by its tag (or by a placeholder without Names).
func (s *Service) redacted(err error, name string) string {
	if s.names == nil {
		if name == "" {
			return err.Error()
		}
		return strings.ReplaceAll(err.Error(), name, "<username>")
	}
	return s.names.Redact(err, name)
}

// lockedOut answers 429 with Retry-After when err (of Throttle.Reserve) is a
// lockout, 503 (fail closed) for any other error, and reports whether it
// answered; an unverified name in the error is logged as its tag.
func (s *Service) lockedOut(ctx context.Context, w http.ResponseWriter, log *slog.Logger, op string, err error, unverified string) bool {
	var locked *throttle.Locked
	switch {
	case errors.As(err, &locked):
		log.InfoContext(ctx, op+" refused", "reason", "locked out", "retry_after_s", locked.RetryAfter.Seconds())
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(locked.RetryAfter.Seconds()))))
		s.reply.Msg(w, http.StatusTooManyRequests, msgLockedOut)
		return true
	case err != nil:
		log.ErrorContext(ctx, op+" failed closed", "reason", "throttle store", "err", s.redacted(err, unverified))
		s.reply.Msg(w, http.StatusServiceUnavailable, msgUnavailable)
		return true
	}
	return false
}

// issue signs a new pair for sub in session sid and writes the four cookies.
func (s *Service) issue(w http.ResponseWriter, sub tokens.Subject, sid string, fresh bool) error {
	pair, err := s.tokens.IssuePair(sub, sid, fresh)
	if err != nil {
		return err
	}
	return s.write(w, pair)
}

// rotate signs a refresh's pair, keeping the session's refresh CSRF value
// (tokens.Service.Rotate says why), and writes the four cookies.
func (s *Service) rotate(w http.ResponseWriter, sub tokens.Subject, sid, refreshCSRF string) error {
	pair, err := s.tokens.Rotate(sub, sid, refreshCSRF)
	if err != nil {
		return err
	}
	return s.write(w, pair)
}

func (s *Service) write(w http.ResponseWriter, pair tokens.Pair) error {
	return s.cookies.Write(w, s.now(),
		&cookies.Token{Value: pair.Access.Token, CSRF: pair.Access.Claims.CSRF, Expires: pair.Access.Claims.ExpiresAt.Time},
		&cookies.Token{Value: pair.Refresh.Token, CSRF: pair.Refresh.Claims.CSRF, Expires: pair.Refresh.Claims.ExpiresAt.Time})
}

// records builds the revocation records of this configuration's token
// lifetimes (the admin CLI builds its own from the same settings).
func (s *Service) records() revocation.Lifetimes {
	return revocation.Lifetimes{RefreshTTL: s.tokens.RefreshTTL(), Leeway: s.tokens.Leeway()}
}

// presented runs the token check sequence (request.Verifier, shared with
// the authorizer) on the token cookieName names and returns the client
// message on failure. allowExpired keeps an expired token's claims (logout
// still needs its sid).
func (s *Service) presented(r *http.Request, cookieName, csrfHeader string, want tokens.Type, allowExpired bool) (*tokens.Claims, string, error) {
	claims, err := s.verify.Verify(s.input(r),
		request.Want{Cookie: cookieName, CSRFHeader: csrfHeader, Type: want, AllowExpired: allowExpired})
	if claims == nil {
		msg, _ := tokens.Message(err)
		return nil, msg, err
	}
	return claims, "", err
}

// input is what the check sequence reads of r: its headers, its query
// string (the first value of a repeated parameter, as flask's
// request.args.get), and, when tokens may come in a JSON body (JWT_TOKEN_LOCATION
// json), the body, up to maxBodyBytes (an unreadable or larger body reads
// as none: "Missing ... key in json data").
func (s *Service) input(r *http.Request) request.Input {
	in := request.Input{Method: r.Method, Headers: r.Header}
	if q := r.URL.Query(); len(q) > 0 {
		in.Query = make(map[string]string, len(q))
		for k, v := range q {
			in.Query[k] = v[0]
		}
	}
	if s.verify.NeedsBody() && r.Body != nil {
		if b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1)); err == nil && len(b) <= maxBodyBytes {
			in.Body = b
		}
	}
	return in
}

func subjectOf(c *tokens.Claims) revocation.Subject {
	return revocation.Subject{JTI: c.ID, SID: c.SID, Sub: c.Subject, IssuedAt: c.IssuedAt.Time, Generation: c.Gen}
}

// allowPOST answers 405 for anything but POST.
func (s *Service) allowPOST(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodPost {
		return true
	}
	w.Header().Set("Allow", http.MethodPost)
	s.reply.Msg(w, http.StatusMethodNotAllowed, msgMethod)
	return false
}
