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

// Counter is the attempt count of one key. Failures counts every reserved
// attempt that has not been released, so attempts still being checked
// count as failures: that is what bounds a parallel burst.
type Counter struct {
	Key         string
	Failures    int
	LastFailure time.Time
	ExpiresAt   time.Time
}

// Store keeps counters. Reserve must decide and count in one atomic step:
// of any number of concurrent Reserve calls on one key, only as many as the
// policy allows before its lock may succeed.
type Store interface {
	// Reserve counts one attempt on key at now and extends its life to
	// expiresAt, unless p locks the key at now: then it changes nothing
	// and returns a *Locked error. A counter past its expiry starts again
	// from one.
	Reserve(ctx context.Context, key string, p Policy, now, expiresAt time.Time) (Counter, error)
	// Release takes back one reserved attempt that turned out not to be a
	// failure; a key without a live count is left alone.
	Release(ctx context.Context, key string) error
	// Reset forgets key's failures.
	Reset(ctx context.Context, key string) error
}

// Policy is the lockout rule of one kind of key.
type Policy struct {
	Threshold int           // failures allowed before the first lock; 0 disables
	Base      time.Duration // first lock
	Max       time.Duration // longest lock
}

// LockFor is how long a key with failures is locked after its last
// failure: nothing below Threshold, then Base doubling per failure up to Max.
func (p Policy) LockFor(failures int) time.Duration {
	if p.Threshold <= 0 || failures < p.Threshold {
		return 0
	}
	d := p.Base
	for i := p.Threshold; i < failures && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// RetryAfter is how long c stays locked at now (0: not locked).
func (p Policy) RetryAfter(c Counter, now time.Time) time.Duration {
	if !now.Before(c.ExpiresAt) {
		return 0 // an expired counter counts nothing
	}
	return max(0, c.LastFailure.Add(p.LockFor(c.Failures)).Sub(now))
}

// NewPolicy returns a lockout policy doubling from one second to max after
// threshold failures (0 disables it).
func NewPolicy(threshold int, max time.Duration) Policy {
	return Policy{Threshold: threshold, Base: time.Second, Max: max}
}

// window is how long failures are remembered after the last one beyond the
// longest lock: a quiet quarter of an hour starts the count afresh.
func (p Policy) window() time.Duration { return 15 * time.Minute }

// Limiter applies a user and an IP policy over a Store. A login reserves
// an attempt on both keys before any password is checked (Reserve), and
// only a success gives it back (Succeeded); a failure needs no second
// write, since the reservation already counted it. That makes the lock
// exact under any concurrency: with a threshold of 5, a burst of 40
// parallel guesses gets 5 password checks and 35 answers of 429.
// Build it with NewLimiter, which applies the clock's default once.
type Limiter struct {
	store Store
	user  Policy
	ip    Policy
	clock func() time.Time
}

// NewLimiter returns the limiter of the user and ip policies over store,
// reading time from clock (time.Now when nil).
func NewLimiter(store Store, user, ip Policy, clock func() time.Time) *Limiter {
	if clock == nil {
		clock = time.Now
	}
	return &Limiter{store: store, user: user, ip: ip, clock: clock}
}

func (l *Limiter) now() time.Time { return l.clock() }

// UserKey names the counter of a username; counters share the revocation
// table.
func UserKey(name string) string { return "thr#user#" + name }

// IPKey is the counter key of a source IP.
func IPKey(ip string) string { return "thr#ip#" + ip }

// slot is one counter an attempt reserves, with its policy.
type slot struct {
	key    string
	policy Policy
}

// slots are the counters of user and ip whose policy is enabled; an empty
// ip has none.
func (l *Limiter) slots(user, ip string) []slot {
	var out []slot
	if l.user.Threshold > 0 {
		out = append(out, slot{UserKey(user), l.user})
	}
	if ip != "" && l.ip.Threshold > 0 {
		out = append(out, slot{IPKey(ip), l.ip})
	}
	return out
}

// Reserve counts one attempt for user and ip (an empty ip counts none)
// before the password is checked. It returns a *Locked error, counting
// nothing, when either must wait; any other error means the store failed
// and the login must fail closed.
//
// The user's counter is reserved first and the IP's only after it was
// granted, so attempts the user lock refuses never touch the IP counter:
// a burst against one user cannot crowd its own granted attempts out of
// the IP limit. An attempt the IP refuses gives its user reservation back.
func (l *Limiter) Reserve(ctx context.Context, user, ip string) error {
	now := l.now()
	var done []string
	for _, s := range l.slots(user, ip) {
		_, err := l.store.Reserve(ctx, s.key, s.policy, now, now.Add(s.policy.Max+s.policy.window()))
		if err == nil {
			done = append(done, s.key)
			continue
		}
		for _, k := range done {
			// A release that fails leaves one attempt too many counted:
			// the safe direction, so it does not change the answer.
			_ = l.store.Release(ctx, k)
		}
		if errors.Is(err, ErrLocked) {
			return err
		}
		return fmt.Errorf("throttle: %w", err)
	}
	return nil
}

// Release gives back the attempt Reserve counted for user and ip when no
// password was checked after all (the user store failed).
func (l *Limiter) Release(ctx context.Context, user, ip string) error {
	var errs error
	for _, s := range l.slots(user, ip) {
		errs = errors.Join(errs, l.store.Release(ctx, s.key))
	}
	if errs != nil {
		return fmt.Errorf("throttle: %w", errs)
	}
	return nil
}

// Succeeded ends a reserved attempt that proved the password: the user's
// counter is reset, and the IP's reservation released (one good password
// does not excuse a spray from that address).
func (l *Limiter) Succeeded(ctx context.Context, user, ip string) error {
	var errs error
	for _, s := range l.slots(user, ip) {
		if s.key == UserKey(user) {
			errs = errors.Join(errs, l.store.Reset(ctx, s.key))
		} else {
			errs = errors.Join(errs, l.store.Release(ctx, s.key))
		}
	}
	if errs != nil {
		return fmt.Errorf("throttle: %w", errs)
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

// Reserve counts one attempt unless p locks key.
func (s *MemoryStore) Reserve(_ context.Context, key string, p Policy, now, expiresAt time.Time) (Counter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.m[key]
	if !now.Before(c.ExpiresAt) {
		c = Counter{Key: key}
	}
	if wait := p.RetryAfter(c, now); wait > 0 {
		return c, &Locked{RetryAfter: wait}
	}
	c.Failures++
	c.LastFailure, c.ExpiresAt = now, expiresAt
	s.m[key] = c
	return c, nil
}

// Release takes back one attempt.
func (s *MemoryStore) Release(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.m[key]; ok && s.clock().Before(c.ExpiresAt) && c.Failures > 0 {
		c.Failures--
		s.m[key] = c
	}
	return nil
}

// Reset forgets key.
func (s *MemoryStore) Reset(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
	return nil
}
