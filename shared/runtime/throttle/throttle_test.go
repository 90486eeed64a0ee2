package throttle_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/throttle"
)

// fakeClock is a settable clock shared by the limiter and the store.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newLimiter(user, ip throttle.Policy) (*throttle.Limiter, *fakeClock) {
	c := &fakeClock{t: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	return &throttle.Limiter{Store: throttle.NewMemoryStore(c.now), User: user, IP: ip, Clock: c.now}, c
}

// wait returns the RetryAfter of a Check error (0 for nil) and fails the
// test on any other error.
func wait(t *testing.T, err error) time.Duration {
	t.Helper()
	if err == nil {
		return 0
	}
	var l *throttle.Locked
	if !errors.As(err, &l) || !errors.Is(err, throttle.ErrLocked) {
		t.Fatalf("Check error %v is not a *Locked ErrLocked", err)
	}
	return l.RetryAfter
}

func check(t *testing.T, l *throttle.Limiter, user, ip string) (bool, time.Duration) {
	t.Helper()
	has, err := l.Check(context.Background(), user, ip)
	return has, wait(t, err)
}

func fail(t *testing.T, l *throttle.Limiter, user, ip string, n int) {
	t.Helper()
	for range n {
		if err := l.Failed(context.Background(), user, ip); err != nil {
			t.Fatalf("Failed: %v", err)
		}
	}
}

func TestUserPolicyDoubling(t *testing.T) {
	disabled := throttle.NewPolicy(0, time.Hour)
	tests := []struct {
		name   string
		policy throttle.Policy
		want   []time.Duration // lock right after the 1st, 2nd, ... failure
	}{
		{"threshold 3 max 5s", throttle.NewPolicy(3, 5*time.Second),
			[]time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}},
		{"threshold 1 max 8s", throttle.NewPolicy(1, 8*time.Second),
			[]time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}},
		{"max below base", throttle.NewPolicy(2, 500*time.Millisecond),
			[]time.Duration{0, 500 * time.Millisecond, 500 * time.Millisecond}},
		{"threshold 0 disables", throttle.NewPolicy(0, time.Minute),
			[]time.Duration{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newLimiter(tt.policy, disabled)
			for i, want := range tt.want {
				fail(t, l, "alice", "203.0.113.10", 1)
				has, got := check(t, l, "alice", "203.0.113.10")
				if got != want {
					t.Errorf("after %d failures: RetryAfter %v, want %v", i+1, got, want)
				}
				if !has {
					t.Errorf("after %d failures: Check reports no user counter", i+1)
				}
			}
		})
	}
}

func TestLockExpires(t *testing.T) {
	l, clock := newLimiter(throttle.NewPolicy(3, 5*time.Second), throttle.NewPolicy(0, time.Hour))
	fail(t, l, "alice", "", 4) // locked 2s
	steps := []struct {
		advance time.Duration
		want    time.Duration
	}{
		{0, 2 * time.Second},
		{500 * time.Millisecond, 1500 * time.Millisecond},
		{1500 * time.Millisecond, 0}, // exactly at the end of the lock
		{time.Hour, 0},
	}
	for i, s := range steps {
		clock.advance(s.advance)
		if _, got := check(t, l, "alice", ""); got != s.want {
			t.Errorf("step %d (+%v): RetryAfter %v, want %v", i, s.advance, got, s.want)
		}
	}
	// The counter expired with the quiet hour: one more failure is the
	// first of a new count, not the fifth.
	fail(t, l, "alice", "", 1)
	if has, got := check(t, l, "alice", ""); got != 0 || !has {
		t.Errorf("after expiry and one failure: RetryAfter %v has %v, want 0 true", got, has)
	}
}

func TestIPPolicySeparate(t *testing.T) {
	user := throttle.NewPolicy(3, time.Minute)
	ip := throttle.Policy{Threshold: 5, Base: 3 * time.Second, Max: time.Minute}
	const ip1, ip2 = "203.0.113.10", "198.51.100.7"
	tests := []struct {
		name     string
		fails    func(t *testing.T, l *throttle.Limiter)
		user, ip string
		want     time.Duration
	}{
		{"user lock follows the user to another IP", func(t *testing.T, l *throttle.Limiter) {
			fail(t, l, "alice", ip1, 3)
		}, "alice", ip2, time.Second},
		{"user failures below IP threshold do not lock others", func(t *testing.T, l *throttle.Limiter) {
			fail(t, l, "alice", ip1, 3)
		}, "bob", ip1, 0},
		{"spray locks the IP with the IP policy", func(t *testing.T, l *throttle.Limiter) {
			for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
				fail(t, l, u, ip1, 1)
			}
		}, "bob", ip1, 3 * time.Second},
		{"IP lock doubles with the IP policy", func(t *testing.T, l *throttle.Limiter) {
			for _, u := range []string{"u1", "u2", "u3", "u4", "u5", "u6"} {
				fail(t, l, u, ip1, 1)
			}
		}, "bob", ip1, 6 * time.Second},
		{"spray does not lock another IP", func(t *testing.T, l *throttle.Limiter) {
			for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
				fail(t, l, u, ip1, 1)
			}
		}, "bob", ip2, 0},
		{"spray does not lock without an IP", func(t *testing.T, l *throttle.Limiter) {
			for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
				fail(t, l, u, ip1, 1)
			}
		}, "bob", "", 0},
		{"longer of user and IP lock", func(t *testing.T, l *throttle.Limiter) {
			fail(t, l, "alice", ip2, 5) // user: 4s
			for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
				fail(t, l, u, ip1, 1) // ip1: 3s
			}
		}, "alice", ip1, 4 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newLimiter(user, ip)
			tt.fails(t, l)
			if _, got := check(t, l, tt.user, tt.ip); got != tt.want {
				t.Errorf("Check(%q, %q) RetryAfter %v, want %v", tt.user, tt.ip, got, tt.want)
			}
		})
	}
}

func TestSucceededResetsUserOnly(t *testing.T) {
	const ip1, ip2 = "203.0.113.10", "198.51.100.7"
	l, _ := newLimiter(throttle.NewPolicy(3, time.Minute), throttle.NewPolicy(3, time.Minute))
	fail(t, l, "alice", ip1, 3) // alice and ip1 both locked 1s
	if err := l.Succeeded(context.Background(), "alice"); err != nil {
		t.Fatalf("Succeeded: %v", err)
	}
	tests := []struct {
		name     string
		user, ip string
		wantHas  bool
		want     time.Duration
	}{
		{"user counter gone", "alice", ip2, false, 0},
		{"IP counter kept for the same user", "alice", ip1, false, time.Second},
		{"IP counter kept for another user", "bob", ip1, false, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			has, got := check(t, l, tt.user, tt.ip)
			if has != tt.wantHas || got != tt.want {
				t.Errorf("Check(%q, %q) = %v, %v; want %v, %v", tt.user, tt.ip, has, got, tt.wantHas, tt.want)
			}
		})
	}
	// The user's count restarted: two more failures stay below threshold.
	fail(t, l, "alice", ip2, 2)
	if _, got := check(t, l, "alice", ip2); got != 0 {
		t.Errorf("after reset and 2 failures: RetryAfter %v, want 0", got)
	}
}

func TestLockedError(t *testing.T) {
	err := error(&throttle.Locked{RetryAfter: 2 * time.Second})
	if !errors.Is(err, throttle.ErrLocked) {
		t.Error("Locked does not match ErrLocked")
	}
	if want := "throttle: too many failed logins: retry after 2s"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}
