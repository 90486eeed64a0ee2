package throttle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrLocked means the login must wait; see Locked.RetryAfter.
var ErrLocked = errors.New("throttle: too many failed logins")

// Locked is an ErrLocked with the wait.
type Locked struct{ RetryAfter time.Duration }

func (l *Locked) Error() string { return fmt.Sprintf("%v: retry after %s", ErrLocked, l.RetryAfter) }

// Unwrap lets errors.Is match ErrLocked.
func (l *Locked) Unwrap() error { return ErrLocked }

// Counter is the failure count of one key.
type Counter struct {
	Key         string
	Failures    int
	LastFailure time.Time
	ExpiresAt   time.Time
}

// Store keeps counters. Fail must be atomic (concurrent failures all count).
type Store interface {
	// Counters returns the live counters among keys, in one call.
	Counters(ctx context.Context, keys ...string) (map[string]Counter, error)
	// Fail adds one failure at now to key and returns the new counter.
	Fail(ctx context.Context, key string, now, expiresAt time.Time) (Counter, error)
	// Reset forgets key's failures.
	Reset(ctx context.Context, key string) error
}

// Policy is the lockout rule of one kind of key.
type Policy struct {
	Threshold int           // failures allowed before the first lock; 0 disables
	Base      time.Duration // first lock
	Max       time.Duration // longest lock
}

// lockFor is how long a key with failures is locked after its last failure.
func (p Policy) lockFor(failures int) time.Duration {
	if p.Threshold <= 0 || failures < p.Threshold {
		return 0
	}
	d := p.Base
	for i := p.Threshold; i < failures && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// NewPolicy returns a lockout policy doubling from one second to max after
// threshold failures (0 disables it).
func NewPolicy(threshold int, max time.Duration) Policy {
	return Policy{Threshold: threshold, Base: time.Second, Max: max}
}

// Limiter applies a user and an IP policy over a Store.
type Limiter struct {
	Store Store
	User  Policy
	IP    Policy
	Clock func() time.Time
}

func (l *Limiter) now() time.Time {
	if l.Clock != nil {
		return l.Clock()
	}
	return time.Now()
}

// UserKey and IPKey name the counters; they share the revocation table.
func UserKey(name string) string { return "thr#user#" + name }

// IPKey is the counter key of a source IP.
func IPKey(ip string) string { return "thr#ip#" + ip }

// Check returns a *Locked error when user or ip must wait. It reports
// whether the user has a counter to reset after a success.
func (l *Limiter) Check(ctx context.Context, user, ip string) (bool, error) {
	keys := []string{UserKey(user)}
	if ip != "" {
		keys = append(keys, IPKey(ip))
	}
	cs, err := l.Store.Counters(ctx, keys...)
	if err != nil {
		return false, fmt.Errorf("throttle: %w", err)
	}
	now := l.now()
	var wait time.Duration
	uc, hasUser := cs[UserKey(user)]
	if hasUser {
		wait = max(wait, uc.LastFailure.Add(l.User.lockFor(uc.Failures)).Sub(now))
	}
	if c, ok := cs[IPKey(ip)]; ok && ip != "" {
		wait = max(wait, c.LastFailure.Add(l.IP.lockFor(c.Failures)).Sub(now))
	}
	if wait > 0 {
		return hasUser, &Locked{RetryAfter: wait}
	}
	return hasUser, nil
}

// Failed counts a failed login for user and ip.
func (l *Limiter) Failed(ctx context.Context, user, ip string) error {
	now := l.now()
	if _, err := l.Store.Fail(ctx, UserKey(user), now, now.Add(l.User.Max+l.User.window())); err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	if ip != "" {
		if _, err := l.Store.Fail(ctx, IPKey(ip), now, now.Add(l.IP.Max+l.IP.window())); err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
	}
	return nil
}

// window is how long failures are remembered after the last one beyond the
// longest lock: a quiet quarter of an hour starts the count afresh.
func (p Policy) window() time.Duration { return 15 * time.Minute }

// Succeeded resets user's counter (the IP's stays: one good password does
// not excuse a spray from that address).
func (l *Limiter) Succeeded(ctx context.Context, user string) error {
	if err := l.Store.Reset(ctx, UserKey(user)); err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	return nil
}

// MemoryStore keeps counters in a map, for `jwtgate dev` and tests.
type MemoryStore struct {
	mu    sync.Mutex
	m     map[string]Counter
	clock func() time.Time
}

// NewMemoryStore returns an empty store reading time from clock.
func NewMemoryStore(clock func() time.Time) *MemoryStore {
	if clock == nil {
		clock = time.Now
	}
	return &MemoryStore{m: map[string]Counter{}, clock: clock}
}

// Counters returns the live counters among keys.
func (s *MemoryStore) Counters(_ context.Context, keys ...string) (map[string]Counter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Counter{}
	now := s.clock()
	for _, k := range keys {
		if c, ok := s.m[k]; ok && now.Before(c.ExpiresAt) {
			out[k] = c
		}
	}
	return out, nil
}

// Fail adds one failure.
func (s *MemoryStore) Fail(_ context.Context, key string, now, expiresAt time.Time) (Counter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.m[key]
	if !now.Before(c.ExpiresAt) {
		c = Counter{Key: key}
	}
	c.Failures++
	c.LastFailure, c.ExpiresAt = now, expiresAt
	s.m[key] = c
	return c, nil
}

// Reset forgets key.
func (s *MemoryStore) Reset(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}
