package tokens

import (
	"cmp"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Type is the token's "type" claim.
type Type string

// The two token types of flask-jwt-extended.
const (
	Access  Type = "access"
	Refresh Type = "refresh"
)

// Defaults, as flask-jwt-extended's.
const (
	DefaultAlgorithm     = "HS256"
	DefaultAccessTTL     = 15 * time.Minute
	DefaultRefreshTTL    = 30 * 24 * time.Hour
	DefaultMaxTokenBytes = 8 << 10
)

// Claims are the claims of every jwtgate token.
type Claims struct {
	Fresh Freshness `json:"fresh"`
	Type  Type      `json:"type"`
	CSRF  string    `json:"csrf,omitempty"`
	SID   string    `json:"sid"`
	Roles []string  `json:"roles"`
	// Gen is the user's generation when the session was opened: a user
	// cut-off revokes the generations below its own. Absent (flask-minted
	// tokens, tokens from before generations) means 0.
	Gen int64 `json:"gen,omitempty"`
	// Extra are the user's own claims (users.User.Claims, flask's
	// additional_claims), written as top-level claims of new tokens. Parse
	// fills it only with the names Options.DecodeClaims lists, so the hot
	// path decodes no claim nobody reads.
	Extra map[string]string `json:"-"`
	// Legacy marks a token without sid, as flask-jwt-extended writes them,
	// accepted during the migration window (Options.LegacyUntil). It has
	// no session and no roles; refresh trades it for a jwtgate session.
	Legacy bool `json:"-"`
	// LegacyIdentity is a legacy token's identity as its canonical JSON
	// text (42, "u-42": CanonicalIdentity), set with
	// Options.MapLegacyIdentities. Subject is then empty until the caller
	// has mapped the identity to a username (users.MapLegacyIdentity): an
	// identity of the Flask app is never taken for a username.
	LegacyIdentity string `json:"-"`
	jwt.RegisteredClaims
	// names is the Service's claim naming (identity claim, decoded
	// extras), set by Issue and Parse; nil is the default naming.
	names *claimNames
	// numericIdentity lets UnmarshalJSON read an integer identity of a
	// token without sid into LegacyIdentity: set by Parse while the legacy
	// window is open and MapLegacyIdentities is on, and nowhere else.
	numericIdentity bool
}

// DefaultIdentityClaim is the claim holding the identity, as flask's
// JWT_IDENTITY_CLAIM default.
const DefaultIdentityClaim = "sub"

// Key is one signing or verification key; ID becomes the token header's
// kid. An HMAC key has Secret only. An asymmetric key has Algorithm (the one
// algorithm it may be used with), Public, and on the functions that sign,
// Private; verifiers are given keys without Private (PublicOnly).
type Key struct {
	ID        string
	Secret    []byte
	Algorithm string
	Private   crypto.Signer
	Public    crypto.PublicKey
}

// Options configure a Service. Zero values take the defaults above.
type Options struct {
	Algorithm        string   // signs new tokens
	DecodeAlgorithms []string // accepted on verify; defaults to Algorithm alone
	Keys             []Key    // Keys[0] signs; every key verifies (rotation)
	AccessTTL        time.Duration
	RefreshTTL       time.Duration
	Leeway           time.Duration
	// OmitNBF leaves nbf out of new tokens (flask's JWT_ENCODE_NBF=False;
	// the zero value writes it, as flask's default does).
	OmitNBF        bool
	Issuer         string   // iss written into new tokens
	Audience       []string // aud written into new tokens
	DecodeIssuer   string   // iss required on verify, when set
	DecodeAudience []string // one of these required in aud on verify, when set
	MaxTokenBytes  int      // longer tokens are refused before any decoding
	// OmitCSRF leaves the csrf claim out of new tokens, as flask does with
	// JWT_COOKIE_CSRF_PROTECT off.
	OmitCSRF bool
	// IdentityClaim names the claim holding the identity in tokens written
	// and read (flask's JWT_IDENTITY_CLAIM); DefaultIdentityClaim when
	// empty. Claims.Subject holds its value either way.
	IdentityClaim string
	// DecodeClaims are the user claims Parse reads into Claims.Extra
	// (JWTGATE_USER_CLAIMS); others are ignored unread.
	DecodeClaims []string
	Clock        func() time.Time
	NewID        func() string // jti, sid and csrf values; uuid4 by default
	// Reload fetches the current keys again. When a token names a kid this
	// Service does not know (the key was rotated after this container read
	// it), Parse reloads at most once per ReloadEvery and retries.
	Reload      func() ([]Key, error)
	ReloadEvery time.Duration
	// RefreshEvery is how old the keys may get before the next Parse or
	// Issue reads them again (with Reload), so a key removed from the key
	// source stops verifying in a warm container within this bound.
	RefreshEvery time.Duration
	// MaxKeyAge is how long the last good read may be used while re-reads
	// fail; past it every token is refused (ErrKeysStale) and nothing is
	// signed until a read succeeds: a removed key cannot live on for as
	// long as the key source is unreachable.
	MaxKeyAge time.Duration
	// LegacyUntil, when set (JWTGATE_LEGACY_TOKENS_UNTIL), accepts tokens
	// without sid, as the Flask app being replaced signs them with the same
	// key, until that instant (Claims.Legacy). It may not lie further
	// ahead than RefreshTTL: no legacy token needs a longer window.
	LegacyUntil time.Time
	// MapLegacyIdentities (JWTGATE_LEGACY_IDENTITIES=imported) reads a
	// legacy token's identity, a string or an integer, into
	// Claims.LegacyIdentity instead of Subject, for the caller to map to
	// the username imported with it. Without it (the default) a legacy
	// token's identity is the username, and an integer is refused.
	MapLegacyIdentities bool
}

// Defaults of key reloading.
const (
	// DefaultReloadEvery bounds how often an unknown kid, or a failed
	// re-read, may trigger a reload, so forged kids cannot flood the key
	// source.
	DefaultReloadEvery = time.Minute
	// DefaultRefreshEvery is the periodic re-read: one Secrets Manager or
	// DynamoDB read per warm container every 5 minutes (about 8,600 a month
	// per container).
	DefaultRefreshEvery = 5 * time.Minute
	// DefaultMaxKeyAge gives a failing key source three refresh periods
	// before the container fails closed.
	DefaultMaxKeyAge = 15 * time.Minute
)

// ErrKeysStale means the keys could not be re-read for longer than
// MaxKeyAge: the Service refuses to verify or sign until a read succeeds.
// It is a failure of the key source, not a verdict on the token.
var ErrKeysStale = errors.New("tokens: keys not re-read within their maximum age")

// keySet is an immutable set of keys, read at loadedAt; Keys[0] signs.
type keySet struct {
	keys     []Key
	byID     map[string]Key
	loadedAt time.Time
	// keyfunc is keyFor, made once per set rather than once per Parse;
	// secrets holds each HMAC secret already boxed as the any golang-jwt
	// takes (a []byte converted per Parse costs an allocation).
	keyfunc jwt.Keyfunc
	secrets map[string]any
}

// newKeySet checks every key against the algorithms: keys[0] must fit the
// signing algorithm, every other key one of the decode algorithms.
func newKeySet(keys []Key, alg string, decode []string, now time.Time) (*keySet, error) {
	if len(keys) == 0 {
		return nil, errors.New("tokens: no signing key")
	}
	ks := &keySet{keys: append([]Key(nil), keys...), byID: map[string]Key{}, secrets: map[string]any{}, loadedAt: now}
	for i, k := range keys {
		if err := fits(k, alg, decode, i == 0); err != nil {
			return nil, err
		}
		if _, dup := ks.byID[k.ID]; dup {
			return nil, fmt.Errorf("tokens: duplicate key id %q", k.ID)
		}
		ks.byID[k.ID] = k
		if len(k.Secret) > 0 {
			ks.secrets[k.ID] = k.Secret
		}
	}
	return ks, nil
}

func fits(k Key, alg string, decode []string, signing bool) error {
	if signing {
		return CheckKey(k, alg)
	}
	var first error
	for _, a := range decode {
		err := CheckKey(k, a)
		if err == nil {
			return nil
		}
		first = cmp.Or(first, err)
	}
	return first
}

// Service issues and verifies tokens. It is safe for concurrent use; keys
// can be replaced while it serves (rotation).
type Service struct {
	opts       Options
	method     jwt.SigningMethod
	keys       atomic.Pointer[keySet]
	allowed    map[string]bool
	parser     *jwt.Parser
	names      *claimNames // nil: sub, and no extra claims decoded
	reloadMu   sync.Mutex
	lastReload time.Time
}

// New validates opts and returns a Service.
func New(opts Options) (*Service, error) {
	if opts.Algorithm == "" {
		opts.Algorithm = DefaultAlgorithm
	}
	if len(opts.DecodeAlgorithms) == 0 {
		opts.DecodeAlgorithms = []string{opts.Algorithm}
	}
	if opts.AccessTTL <= 0 {
		opts.AccessTTL = DefaultAccessTTL
	}
	if opts.RefreshTTL <= 0 {
		opts.RefreshTTL = DefaultRefreshTTL
	}
	if opts.MaxTokenBytes <= 0 {
		opts.MaxTokenBytes = DefaultMaxTokenBytes
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.NewID == nil {
		opts.NewID = uuid.NewString
	}
	if opts.ReloadEvery <= 0 {
		opts.ReloadEvery = DefaultReloadEvery
	}
	if opts.RefreshEvery <= 0 {
		opts.RefreshEvery = DefaultRefreshEvery
	}
	if opts.MaxKeyAge <= 0 {
		opts.MaxKeyAge = max(DefaultMaxKeyAge, 3*opts.RefreshEvery)
	}
	if lu := opts.LegacyUntil; !lu.IsZero() {
		if limit := opts.Clock().Add(opts.RefreshTTL); lu.After(limit) {
			return nil, fmt.Errorf("%w: JWTGATE_LEGACY_TOKENS_UNTIL (the legacy token window) ends %s, more than the refresh lifetime (%v) from now; a legacy refresh token cannot outlive it, so set an instant before %s",
				ErrLegacyWindow, lu.UTC().Format(time.RFC3339), opts.RefreshTTL, limit.UTC().Format(time.RFC3339))
		}
	}
	if opts.IdentityClaim == "" {
		opts.IdentityClaim = DefaultIdentityClaim
	}
	if err := CheckClaimName(opts.IdentityClaim, ""); err != nil && opts.IdentityClaim != DefaultIdentityClaim {
		return nil, fmt.Errorf("tokens: identity claim: %w", err)
	}
	for _, n := range opts.DecodeClaims {
		if err := CheckClaimName(n, opts.IdentityClaim); err != nil {
			return nil, fmt.Errorf("tokens: decode claims: %w", err)
		}
	}
	s := &Service{opts: opts, allowed: map[string]bool{}}
	if opts.IdentityClaim != DefaultIdentityClaim || len(opts.DecodeClaims) > 0 {
		s.names = &claimNames{identity: opts.IdentityClaim, extra: slices.Clone(opts.DecodeClaims)}
	}
	var err error
	if s.method, err = signingMethod(opts.Algorithm); err != nil {
		return nil, err
	}
	if !slices.Contains(opts.DecodeAlgorithms, opts.Algorithm) {
		// A service must verify what it signs (refresh reads its own tokens).
		return nil, fmt.Errorf("tokens: decode algorithms %v leave out the signing algorithm %s", opts.DecodeAlgorithms, opts.Algorithm)
	}
	for _, a := range opts.DecodeAlgorithms {
		if err := CheckAlgorithm(a); err != nil {
			return nil, fmt.Errorf("tokens: decode algorithm: %w", err)
		}
		s.allowed[a] = true
	}
	if err := s.ReplaceKeys(opts.Keys); err != nil {
		return nil, err
	}
	popts := []jwt.ParserOption{
		jwt.WithValidMethods(opts.DecodeAlgorithms),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(opts.Leeway),
		jwt.WithTimeFunc(opts.Clock),
	}
	if opts.DecodeIssuer != "" {
		popts = append(popts, jwt.WithIssuer(opts.DecodeIssuer))
	}
	if len(opts.DecodeAudience) > 0 {
		popts = append(popts, jwt.WithAudience(opts.DecodeAudience...))
	}
	s.parser = jwt.NewParser(popts...)
	return s, nil
}

// ReplaceKeys swaps the key set: keys[0] signs from now on, every key
// verifies.
func (s *Service) ReplaceKeys(keys []Key) error {
	ks, err := newKeySet(keys, s.opts.Algorithm, s.opts.DecodeAlgorithms, s.opts.Clock())
	if err != nil {
		return err
	}
	ks.keyfunc = ks.keyFor(s.allowed)
	s.keys.Store(ks)
	return nil
}

// reload refreshes the keys from Options.Reload, at most once per
// ReloadEvery, and reports whether it did.
func (s *Service) reload() bool {
	if s.opts.Reload == nil {
		return false
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	return s.reloadLocked(s.opts.Clock())
}

func (s *Service) reloadLocked(now time.Time) bool {
	if !s.lastReload.IsZero() && now.Sub(s.lastReload) < s.opts.ReloadEvery {
		return false
	}
	s.lastReload = now
	keys, err := s.opts.Reload()
	if err != nil {
		return false
	}
	return s.ReplaceKeys(keys) == nil
}

// current returns the keys to use now. Keys older than RefreshEvery are
// re-read first (one caller does; concurrent ones go on with the set they
// have), and keys older than MaxKeyAge are not used at all. Without Reload
// (keys given once, as in tests and jwtgate dev) they never age.
func (s *Service) current() (*keySet, error) {
	ks := s.keys.Load()
	if s.opts.Reload == nil {
		return ks, nil
	}
	now := s.opts.Clock()
	if now.Sub(ks.loadedAt) < s.opts.RefreshEvery {
		return ks, nil
	}
	if s.reloadMu.TryLock() {
		s.reloadLocked(now)
		s.reloadMu.Unlock()
		ks = s.keys.Load()
	}
	if now.Sub(ks.loadedAt) >= s.opts.MaxKeyAge {
		return nil, ErrKeysStale
	}
	return ks, nil
}

// AccessTTL is the lifetime of new access tokens.
func (s *Service) AccessTTL() time.Duration { return s.opts.AccessTTL }

// RefreshTTL is the lifetime of new refresh tokens, and so the longest any
// token of a session can still be presented.
func (s *Service) RefreshTTL() time.Duration { return s.opts.RefreshTTL }

// Leeway is the clock skew tolerated on verify.
func (s *Service) Leeway() time.Duration { return s.opts.Leeway }

// NewID returns a fresh random identifier (uuid4 by default).
func (s *Service) NewID() string { return s.opts.NewID() }

// Subject is who a token is issued to.
type Subject struct {
	Name  string
	Roles []string
	// Generation becomes the gen claim: the user's generation read with the
	// password hash at login, carried unchanged through refreshes.
	Generation int64
	// Claims are the user's own claims (users.User.Claims), written as
	// top-level claims; names must pass CheckClaimName.
	Claims map[string]string
}

// Issued is a signed token with the claims it carries.
type Issued struct {
	Token  string
	Claims Claims
}

// Issue signs a token of type typ for sub in session sid.
func (s *Service) Issue(typ Type, sub Subject, sid string, fresh bool) (Issued, error) {
	return s.issue(typ, sub, sid, fresh, "")
}

// issue signs a token; csrf is its csrf claim, a new value when empty
// (none with OmitCSRF).
func (s *Service) issue(typ Type, sub Subject, sid string, fresh bool, csrf string) (Issued, error) {
	if csrf == "" && !s.opts.OmitCSRF {
		csrf = s.opts.NewID()
	}
	now := s.opts.Clock()
	ttl := s.opts.AccessTTL
	if typ == Refresh {
		ttl = s.opts.RefreshTTL
		fresh = false // refresh tokens are never fresh, as in flask-jwt-extended
	}
	roles := sub.Roles
	if roles == nil {
		roles = []string{}
	}
	c := Claims{
		Fresh: FreshBool(fresh),
		Type:  typ,
		CSRF:  csrf,
		SID:   sid,
		Roles: roles,
		Gen:   sub.Generation,
		Extra: sub.Claims,
		names: s.names,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   sub.Name,
			ID:        s.opts.NewID(),
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: s.nbf(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			Issuer:    s.opts.Issuer,
			Audience:  s.opts.Audience,
		},
	}
	ks, err := s.current()
	if err != nil {
		return Issued{}, err
	}
	t := jwt.NewWithClaims(s.method, c)
	signing := ks.keys[0]
	if signing.ID != "" {
		t.Header["kid"] = signing.ID
	}
	key, err := signing.signingKey()
	if err != nil {
		return Issued{}, err
	}
	signed, err := t.SignedString(key)
	if err != nil {
		return Issued{}, fmt.Errorf("tokens: sign: %w", err)
	}
	return Issued{Token: signed, Claims: c}, nil
}

// nbf is the nbf claim of a token issued at now: now, or none with OmitNBF.
func (s *Service) nbf(now time.Time) *jwt.NumericDate {
	if s.opts.OmitNBF {
		return nil
	}
	return jwt.NewNumericDate(now)
}

// Pair is what a login or refresh hands out.
type Pair struct {
	Access, Refresh Issued
}

// IssuePair signs an access and a refresh token of one session.
func (s *Service) IssuePair(sub Subject, sid string, fresh bool) (Pair, error) {
	a, err := s.Issue(Access, sub, sid, fresh)
	if err != nil {
		return Pair{}, err
	}
	r, err := s.Issue(Refresh, sub, sid, false)
	if err != nil {
		return Pair{}, err
	}
	return Pair{Access: a, Refresh: r}, nil
}

// Rotate signs what a refresh hands out: a new access token (never
// fresh) and a new refresh token whose csrf claim is refreshCSRF, the value
// of the refresh token it replaces (a new one when empty). A session's
// refresh CSRF value thus stays the same for the whole login, as
// flask-jwt-extended's does (its refresh never replaces the refresh
// cookie). With rotation it must: two requests of one page that refresh at
// once each read csrf_refresh_token before sending, and the browser sends
// whichever refresh cookie is current when the request leaves; a new value
// per rotation made the late one a CSRF mismatch. Nothing is lost: the
// value only proves the caller can read the site's cookies, and the
// refresh token beside it still changes at every rotation.
func (s *Service) Rotate(sub Subject, sid, refreshCSRF string) (Pair, error) {
	a, err := s.issue(Access, sub, sid, false, "")
	if err != nil {
		return Pair{}, err
	}
	r, err := s.issue(Refresh, sub, sid, false, refreshCSRF)
	if err != nil {
		return Pair{}, err
	}
	return Pair{Access: a, Refresh: r}, nil
}

// Parse verifies token and returns its claims. On ErrExpired the claims of
// the otherwise valid token are returned too, so a caller can run the CSRF
// compare first, as flask-jwt-extended does. The token type is not checked
// here; see CheckType.
func (s *Service) Parse(token string) (*Claims, error) {
	if len(token) > s.opts.MaxTokenBytes {
		return nil, refuse(ErrTooLarge, "Token is too large")
	}
	ks, err := s.current()
	if err != nil {
		return nil, err
	}
	numeric := s.numericIdentities()
	c := Claims{names: s.names, numericIdentity: numeric}
	t, err := s.parser.ParseWithClaims(token, &c, ks.keyfunc)
	if errors.Is(err, ErrUnknownKey) && s.reload() {
		c = Claims{names: s.names, numericIdentity: numeric}
		t, err = s.parser.ParseWithClaims(token, &c, s.keys.Load().keyfunc)
	}
	if err != nil {
		return s.explain(token, t, &c, err)
	}
	if err := s.requireClaims(&c); err != nil {
		return nil, err
	}
	if err := s.unexpectedAudience(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// numericIdentities reports whether Parse may read an integer identity
// (of a token without sid) now: only while the legacy window is open with
// MapLegacyIdentities on. Everywhere else an integer identity is refused,
// as PyJWT 2.10 refuses it.
func (s *Service) numericIdentities() bool {
	lu := s.opts.LegacyUntil
	return s.opts.MapLegacyIdentities && !lu.IsZero() && s.opts.Clock().Before(lu)
}

// CheckType refuses a token of the wrong type with flask's messages, and
// flask's rule: a refresh route takes only type "refresh"; an access route
// takes every token but a refresh token (a token without a type claim is
// an access token, and so is one of any other type).
func CheckType(c *Claims, want Type) error {
	switch {
	case want == Refresh && c.Type != Refresh:
		return refuse(ErrWrongType, "Only refresh tokens are allowed")
	case want != Refresh && c.Type == Refresh:
		return refuse(ErrWrongType, "Only non-refresh tokens are allowed")
	}
	return nil
}

// MsgLegacyClosed is the answer to a token without sid once the legacy
// window is over.
const MsgLegacyClosed = "Token from before the migration is no longer accepted, log in again"

// requireClaims checks the claims jwtgate needs beyond flask's: sid (session
// revocation), iat (user cut-offs) and, on refresh tokens, jti (rotation
// consumes the token by it). A missing type reads as "access" and a
// missing jti on an access token as none, as in flask. During the legacy
// window a token without sid (flask-jwt-extended's) passes as Legacy; with
// MapLegacyIdentities its identity moves to LegacyIdentity.
func (s *Service) requireClaims(c *Claims) error {
	if c.Type == "" {
		c.Type = Access
	}
	// A legacy token needs its jti: logout and revoke --jti revoke it by id.
	identified := c.Subject != "" || c.LegacyIdentity != ""
	if c.SID == "" && (c.Type == Access || c.Type == Refresh) && identified && c.ID != "" && c.IssuedAt != nil {
		lu := s.opts.LegacyUntil
		switch {
		case lu.IsZero():
		case s.opts.Clock().Before(lu):
			// flask-jwt-extended's token: no session, no roles (a roles
			// claim it might carry is its own, not ours).
			c.Legacy, c.Roles, c.Gen, c.Extra = true, nil, 0, nil
			if s.opts.MapLegacyIdentities {
				// The Flask app's identity, not a username: the caller maps it.
				if c.LegacyIdentity == "" {
					c.LegacyIdentity = canonicalString(c.Subject)
				}
				c.Subject = ""
			}
			return nil
		default:
			return refuse(ErrLegacyWindow, MsgLegacyClosed)
		}
	}
	switch {
	case c.LegacyIdentity != "":
		// An integer identity read for a token that is not a legacy one
		// after all (a type of its own, no jti or iat): refused as it is
		// outside the window.
		return s.identityNotString()
	case c.Subject == "":
		return refuse(ErrMissingClaim, "Missing claim: "+s.opts.IdentityClaim)
	case c.ID == "" && c.Type == Refresh:
		return refuse(ErrMissingClaim, "Missing claim: jti")
	case c.SID == "":
		return refuse(ErrMissingClaim, "Missing claim: sid")
	case c.IssuedAt == nil:
		return refuse(ErrMissingClaim, "Missing claim: iat")
	}
	return nil
}

// keyFor is the golang-jwt Keyfunc over ks: the key the token's kid names,
// in the form its alg verifies with; a key of another algorithm family is
// never offered (an RS256 public key is not an HS256 secret).
func (ks *keySet) keyFor(allowed map[string]bool) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		alg := t.Method.Alg()
		if !allowed[alg] {
			return nil, ErrAlgorithm
		}
		kidRaw, has := t.Header["kid"]
		has = has && kidRaw != nil // PyJWT reads "kid": null as no kid
		if k, ok := ks.byID[""]; !has && ok {
			// A key without an id signs tokens without a kid.
			if _, ok := k.verifyKey(alg); ok && len(k.Secret) > 0 {
				return ks.secrets[""], nil
			}
		}
		if !has {
			// Tokens from before key ids were configured: try every key
			// that can verify alg.
			set := jwt.VerificationKeySet{}
			for _, k := range ks.keys {
				if vk, ok := k.verifyKey(alg); ok {
					set.Keys = append(set.Keys, vk)
				}
			}
			if len(set.Keys) == 0 {
				return nil, ErrAlgorithm
			}
			return set, nil
		}
		kid, ok := kidRaw.(string)
		if !ok {
			return nil, errKidType
		}
		k, ok := ks.byID[kid]
		if !ok {
			return nil, ErrUnknownKey
		}
		vk, ok := k.verifyKey(alg)
		if !ok {
			return nil, ErrAlgorithm
		}
		if len(k.Secret) > 0 {
			return ks.secrets[kid], nil
		}
		return vk, nil
	}
}

// explain maps golang-jwt's errors to ours. PyJWT checks claims in the order
// iat, nbf, exp, iss, aud and reports the first failure, so we do too.
func (s *Service) explain(raw string, t *jwt.Token, c *Claims, err error) (*Claims, error) {
	var typed *ValidationError
	if errors.As(err, &typed) {
		// A claim of the wrong type (Claims.UnmarshalJSON), found while
		// decoding, before golang-jwt checks the signature. PyJWT checks the
		// signature first, and so must we: a forger learns only that.
		if st, serr := s.signatureOnly(raw); serr != nil {
			return s.explain(raw, st, c, serr)
		}
		return nil, typed
	}
	switch {
	case errors.Is(err, ErrAlgorithm):
		return nil, refuse(ErrAlgorithm, "The specified alg value is not allowed")
	case errors.Is(err, errKidType):
		return nil, refuse(ErrMalformed, "Key ID header parameter must be a string") // PyJWT's wording
	case errors.Is(err, ErrUnknownKey):
		return nil, refuse(ErrUnknownKey, "Unknown signing key")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, refuse(ErrMalformed, malformedMessage(raw, err))
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		// WithValidMethods reports a disallowed alg as a bad signature.
		if t != nil && !s.allowed[t.Method.Alg()] {
			return nil, refuse(ErrAlgorithm, "The specified alg value is not allowed")
		}
		return nil, refuse(ErrSignature, "Signature verification failed")
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return nil, refuse(ErrAlgorithm, "The specified alg value is not allowed")
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return nil, refuse(ErrNotYetValid, "The token is not yet valid (iat)")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return nil, refuse(ErrNotYetValid, "The token is not yet valid (nbf)")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		if c.Subject == "" && c.LegacyIdentity == "" && missingClaim(err) == "exp" {
			// flask checks the identity claim first and PyJWT does not
			// require exp: a token missing both reports the identity.
			return nil, refuse(ErrMissingClaim, "Missing claim: "+s.opts.IdentityClaim)
		}
		return nil, refuse(ErrMissingClaim, fmt.Sprintf("Token is missing the %q claim", missingClaim(err)))
	case errors.Is(err, jwt.ErrTokenExpired):
		if errors.Is(err, jwt.ErrTokenInvalidIssuer) {
			return nil, refuse(ErrIssuer, "Invalid issuer")
		}
		if errors.Is(err, jwt.ErrTokenInvalidAudience) {
			return nil, refuse(ErrAudience, "Invalid audience")
		}
		if mErr := s.requireClaims(c); mErr != nil {
			return nil, mErr
		}
		// An expired token's claims still serve logout: only if its
		// audience would pass too.
		if aErr := s.unexpectedAudience(c); aErr != nil {
			return nil, aErr
		}
		return c, refuse(ErrExpired, "Token has expired")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, refuse(ErrIssuer, "Invalid issuer")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, refuse(ErrAudience, "Invalid audience")
	}
	return nil, refuse(ErrMalformed, "Invalid token")
}

// signatureOnly verifies raw's algorithm, key and signature alone, into
// claims that accept any JSON, for a token whose typed claims did not
// decode; it returns golang-jwt's token and error, nil for a good
// signature.
func (s *Service) signatureOnly(raw string) (*jwt.Token, error) {
	p := jwt.NewParser(jwt.WithValidMethods(s.opts.DecodeAlgorithms), jwt.WithoutClaimsValidation())
	return p.ParseWithClaims(raw, jwt.MapClaims{}, s.keys.Load().keyFor(s.allowed))
}

// missingClaim names the required claim golang-jwt found missing: exp
// always, iss and aud when a decode issuer or audience is configured. Its
// errors name the claim only in their text ("iss claim is required"). iss
// and aud come first: PyJWT requires them and reports them before flask
// looks at the identity, while exp is jwtgate's own requirement.
func missingClaim(err error) string {
	for _, c := range []string{"iss", "aud", "exp"} {
		if strings.Contains(err.Error(), c+" claim is required") {
			return c
		}
	}
	return "exp"
}

// malformedMessage picks PyJWT's wording for the part that failed to decode.
func malformedMessage(raw string, err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		// Field is the path from the root: "RegisteredClaims.sub" for the
		// embedded registered claims.
		if typeErr.Field == "sub" || strings.HasSuffix(typeErr.Field, ".sub") {
			return "Subject must be a string"
		}
		if typeErr.Field == "" && typeErr.Value != "object" {
			return "Invalid payload string: must be a json object"
		}
		return "Invalid payload string"
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return "Not enough segments"
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "JSON decode header"):
		// Valid base64, not a JSON object. PyJWT appends its JSON parser's
		// detail ("Expecting value: line 1 column 1 (char 0)"), which Go's
		// parser cannot reproduce.
		return "Invalid header string"
	case strings.Contains(msg, "JSON decode claim"):
		return "Invalid payload string"
	case strings.Contains(msg, "header"):
		return "Invalid header padding"
	case strings.Contains(msg, "claim"):
		return "Invalid payload padding"
	case strings.Contains(msg, "signature"):
		return "Invalid crypto padding"
	}
	return "Invalid token"
}
