package fakeclock_test

import (
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/testkit/fakeclock"
)

func TestAdvanceConcurrently(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := fakeclock.New(start)
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() { defer wg.Done(); c.Advance(time.Second); _ = c.Now() }()
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(start.Add(100 * time.Second)) {
		t.Fatalf("Now = %v, want %v", got, start.Add(100*time.Second))
	}
}
