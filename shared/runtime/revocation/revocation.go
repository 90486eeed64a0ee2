package revocation

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrRevoked is the verdict for a token that must no longer be accepted.
var ErrRevoked = errors.New("revocation: token revoked")

// Record marks Key dead from At until ExpiresAt; after ExpiresAt the record
// means nothing (every token it could match has expired by then). Build
// records with Lifetimes, which gives each kind the lifetime it needs.
type Record struct {
	Key       string
	At        time.Time
	ExpiresAt time.Time
	// MinGeneration, on a user cut-off, is the lowest token generation
	// (the "gen" claim; absent is 0) still valid: every token of the user
	// with a lower one is revoked. It only ever rises (Put refuses to lower
	// it), so a cut-off cannot be undone by an older or slower writer.
	MinGeneration int64
	// Consumed marks a token record written by refresh's rotation
	// (Consume): the token was used, and may be used again within the reuse
	// grace. Any other token record is a revocation and refuses the token
	// at once.
	Consumed bool
	// Session, on the consumed record of a legacy (flask-jwt-extended)
	// refresh token, is the jwtgate session its one use opened: a reuse
	// after the grace revokes that session, as the reuse of one of ours
	// revokes the token's own session, and so does a logout presenting it.
	Session string
}

// Live reports whether r still counts at now.
func (r Record) Live(now time.Time) bool { return now.Before(r.ExpiresAt) }

// Key prefixes keep the three kinds apart in one table.
const (
	tokenPrefix   = "jti#"
	sessionPrefix = "sid#"
	userPrefix    = "sub#"
)

// TokenKey is the key of one token's record.
func TokenKey(jti string) string { return tokenPrefix + jti }

// SessionKey is the key of a session's record.
func SessionKey(sid string) string { return sessionPrefix + sid }

// UserKey is the key of a user's cut-off record.
func UserKey(sub string) string { return userPrefix + sub }

// Subject is what a verdict needs to know about a token.
type Subject struct {
	JTI, SID, Sub string
	IssuedAt      time.Time
	// Generation is the token's "gen" claim: the user's generation when
	// the session was opened (0 for tokens without the claim).
	Generation int64
}

// Keys returns the keys Check looks at, for one batched lookup:
// TokenKey(JTI), SessionKey(SID), UserKey(Sub). They are cut from one
// string, one allocation instead of three on every authorization.
func (s Subject) Keys() []string {
	all := tokenPrefix + s.JTI + sessionPrefix + s.SID + userPrefix + s.Sub
	i := len(tokenPrefix) + len(s.JTI)
	j := i + len(sessionPrefix) + len(s.SID)
	return []string{all[:i], all[i:j], all[j:]}
}

// Check returns ErrRevoked when records (a lookup of s.Keys()) revoke s at
// now: the token itself, its session, or a user cut-off above its
// generation. A token without a jti or a sid (flask-jwt-extended's, during
// the migration window) is never revoked by the record of the empty id:
// every such token shares it, so a "sid#" written for one of them (as
// /password did for its caller's session before it learned not to, and
// such a record lives 30 days) would end every other user's too.
func Check(records map[string]Record, s Subject, now time.Time) error {
	if len(records) == 0 {
		return nil // the usual case: nothing revoked, no keys to build
	}
	if r, ok := records[TokenKey(s.JTI)]; ok && s.JTI != "" && r.Live(now) {
		return ErrRevoked
	}
	if r, ok := records[SessionKey(s.SID)]; ok && s.SID != "" && r.Live(now) {
		return ErrRevoked
	}
	if r, ok := records[UserKey(s.Sub)]; ok && r.Live(now) && r.cuts(s) {
		return ErrRevoked
	}
	return nil
}

// cuts reports whether the user cut-off r revokes s. A cut-off carries a
// generation; one without (written before generations existed) still
// compares iat, so upgrading resurrects no token it had revoked.
func (r Record) cuts(s Subject) bool {
	if r.MinGeneration > 0 {
		return s.Generation < r.MinGeneration
	}
	return s.IssuedAt.Before(r.At)
}

// MemoryStore keeps records in a map. It is what `jwtgate dev` and the unit
// tests use; the DynamoDB store has the same methods and semantics.
type MemoryStore struct {
	mu     sync.Mutex
	recs   map[string]Record
	clock  func() time.Time
	writes int
}

// NewMemoryStore returns an empty store that reads time from clock.
func NewMemoryStore(clock func() time.Time) *MemoryStore {
	if clock == nil {
		clock = time.Now
	}
	return &MemoryStore{recs: map[string]Record{}, clock: clock}
}

// Lookup returns the live records among keys, in one step.
func (m *MemoryStore) Lookup(_ context.Context, keys ...string) (map[string]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	out := make(map[string]Record, len(keys))
	for _, k := range keys {
		if r, ok := m.recs[k]; ok && r.Live(now) {
			out[k] = r
		}
	}
	return out, nil
}

// Put writes r, replacing any record with the same key unless that one
// lives longer (a revocation is never shortened). A user cut-off
// (MinGeneration set) never moves backwards: against a record with an equal
// or higher generation, expired or not, r only lengthens its life; and a
// newer cut-off keeps the later of the two expiries (the writer's clock
// decides nothing).
func (m *MemoryStore) Put(_ context.Context, r Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.recs[r.Key]
	if ok && r.MinGeneration > 0 {
		if old.MinGeneration >= r.MinGeneration {
			r, old = old, r // the stored one stays, lengthened below
		}
		if old.ExpiresAt.After(r.ExpiresAt) {
			r.ExpiresAt = old.ExpiresAt
		}
		m.recs[r.Key] = r
		m.sweep()
		return nil
	}
	if ok && old.Live(m.clock()) && old.ExpiresAt.After(r.ExpiresAt) {
		r.ExpiresAt = old.ExpiresAt
	}
	m.recs[r.Key] = r
	m.sweep()
	return nil
}

// Consume writes r only if no live record has its key, atomically. It
// returns the record already there and false when it lost the race.
func (m *MemoryStore) Consume(_ context.Context, r Record) (Record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.recs[r.Key]; ok && old.Live(m.clock()) {
		return old, false, nil
	}
	m.recs[r.Key] = r
	m.sweep()
	return r, true, nil
}

// sweep drops expired records every 1024 writes, so a long-running dev
// gateway does not grow without bound (the TTL's job in DynamoDB).
func (m *MemoryStore) sweep() {
	m.writes++
	if m.writes%1024 != 0 {
		return
	}
	now := m.clock()
	for k, r := range m.recs {
		if !r.Live(now) {
			delete(m.recs, k)
		}
	}
}
