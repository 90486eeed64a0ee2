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
// means nothing (every token it could match has expired by then).
type Record struct {
	Key       string
	At        time.Time
	ExpiresAt time.Time
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
// now: the token itself, its session, or a user cut-off after it was issued.
func Check(records map[string]Record, s Subject, now time.Time) error {
	if len(records) == 0 {
		return nil // the usual case: nothing revoked, no keys to build
	}
	if r, ok := records[TokenKey(s.JTI)]; ok && r.Live(now) {
		return ErrRevoked
	}
	if r, ok := records[SessionKey(s.SID)]; ok && r.Live(now) {
		return ErrRevoked
	}
	if r, ok := records[UserKey(s.Sub)]; ok && r.Live(now) && s.IssuedAt.Before(r.At) {
		return ErrRevoked
	}
	return nil
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
// lives longer (a revocation is never shortened).
func (m *MemoryStore) Put(_ context.Context, r Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.recs[r.Key]; ok && old.Live(m.clock()) && old.ExpiresAt.After(r.ExpiresAt) {
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
