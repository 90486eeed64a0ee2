// Package fakeclock is a settable clock for tests: jwtgate injects its
// clock everywhere (tokens, stores, gateway), so expiry, grace windows and
// lockouts are tested by advancing time instead of sleeping.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is safe for concurrent use: tests advance it while handlers read it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock reading start.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now is the clock's time; pass the method value as a func() time.Time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
