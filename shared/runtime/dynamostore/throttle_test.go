package dynamostore_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/throttle"
)

// throttleStores builds each implementation of throttle.Store around clock.
var throttleStores = map[string]func(t *testing.T, clock func() time.Time) (throttle.Store, string){
	"memory": func(_ *testing.T, clock func() time.Time) (throttle.Store, string) {
		return throttle.NewMemoryStore(clock), ""
	},
	"dynamodb": func(t *testing.T, clock func() time.Time) (throttle.Store, string) {
		c := server.Client(t)
		table, _ := server.CreateTables(t, c)
		return dynamostore.NewThrottle(c, table, dynamostore.WithClock(clock)), table
	},
}

// retryAfter is the wait of a *Locked error, 0 for nil; any other error
// fails the test.
func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	var locked *throttle.Locked
	switch {
	case errors.As(err, &locked):
		return locked.RetryAfter
	case err != nil:
		t.Fatal(err)
	}
	return 0
}

func TestThrottleContract(t *testing.T) {
	t.Parallel()
	policy := throttle.NewPolicy(5, time.Minute)
	for name, build := range throttleStores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := newClock()
			s, _ := build(t, clock.Now)
			now := clock.Now()
			reserve := func(key string) (throttle.Counter, error) {
				return s.Reserve(ctx, key, policy, clock.Now(), clock.Now().Add(time.Hour))
			}

			// Of 30 concurrent reservations exactly the threshold's 5 are
			// granted, the rest refused with the lock of the 5th.
			var granted, refused atomic.Int32
			var wg sync.WaitGroup
			for range 30 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := reserve("thr#user#a")
					var locked *throttle.Locked
					switch {
					case err == nil:
						granted.Add(1)
					case errors.As(err, &locked) && locked.RetryAfter == time.Second:
						refused.Add(1)
					default:
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if granted.Load() != 5 || refused.Load() != 25 {
				t.Fatalf("30 parallel reservations: %d granted, %d refused; want 5 and 25", granted.Load(), refused.Load())
			}

			// A refusal counted nothing: once the 1 s lock is over, one more
			// attempt is granted (the 6th, locking 2 s), then refused again.
			clock.Advance(time.Second)
			if c, err := reserve("thr#user#a"); err != nil || c.Failures != 6 || !c.LastFailure.Equal(clock.Now()) {
				t.Fatalf("after the lock: %+v, %v; want the 6th attempt at %v", c, err, clock.Now())
			}
			if _, err := reserve("thr#user#a"); retryAfter(t, err) != 2*time.Second {
				t.Fatalf("after the 6th: %v, want a 2s lock", err)
			}

			// Release takes one back: 5 counted, locked 1 s from the last.
			if err := s.Release(ctx, "thr#user#a"); err != nil {
				t.Fatal(err)
			}
			if _, err := reserve("thr#user#a"); retryAfter(t, err) != time.Second {
				t.Fatalf("after a release: %v, want a 1s lock", err)
			}
			// Releasing a key without a count changes nothing and fails not.
			if err := s.Release(ctx, "thr#user#nobody"); err != nil {
				t.Fatal(err)
			}
			if c, err := reserve("thr#user#nobody"); err != nil || c.Failures != 1 {
				t.Fatalf("after a release of nothing: %+v, %v; want a count of 1", c, err)
			}

			// Reset forgets the counter.
			if err := s.Reset(ctx, "thr#user#a"); err != nil {
				t.Fatal(err)
			}
			if c, err := reserve("thr#user#a"); err != nil || c.Failures != 1 {
				t.Fatalf("after Reset: %+v, %v; want a fresh count of 1", c, err)
			}

			// A counter past its TTL (still stored) starts again from one.
			if _, err := s.Reserve(ctx, "thr#ip#9", policy, now, now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			clock.Advance(2 * time.Minute)
			c, err := reserve("thr#ip#9")
			if err != nil || c.Failures != 1 {
				t.Fatalf("Reserve after expiry = %+v, %v; want a fresh count of 1", c, err)
			}
		})
	}
}

func TestLimiterLocksOutWithDoublingBackoff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newClock()
	c := server.Client(t)
	table, _ := server.CreateTables(t, c)
	l := throttle.NewLimiter(dynamostore.NewThrottle(c, table, dynamostore.WithClock(clock.Now)),
		throttle.NewPolicy(5, 15*time.Minute), throttle.NewPolicy(20, 15*time.Minute), clock.Now)

	// Five attempts are granted (and count as failures), the sixth waits.
	for i := 1; i <= 5; i++ {
		if err := l.Reserve(ctx, "bob", "10.0.0.1"); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if w := retryAfter(t, l.Reserve(ctx, "bob", "10.0.0.1")); w != want {
			t.Fatalf("after %d failures: locked for %v, want %v", 5+i, w, want)
		}
		clock.Advance(want)
		if err := l.Reserve(ctx, "bob", "10.0.0.1"); err != nil {
			t.Fatalf("after waiting %v: %v", want, err)
		}
	}
	// Another user from a different address is not affected.
	if err := l.Reserve(ctx, "carol", "10.0.0.2"); err != nil {
		t.Fatalf("carol: %v", err)
	}
	// A success resets the user's count (after the lock).
	clock.Advance(16 * time.Second)
	if err := l.Reserve(ctx, "bob", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Succeeded(ctx, "bob", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if err := l.Reserve(ctx, "bob", "10.0.0.3"); err != nil {
			t.Fatalf("after success, attempt %d: %v", i, err)
		}
	}
	// The reset wrote a zero counter, not a delete (the login function may
	// not delete items).
	if err := l.Succeeded(ctx, "bob", ""); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: throttle.UserKey("bob")}}})
	if err != nil || out.Item == nil {
		t.Fatalf("reset counter item: %v %v", out, err)
	}
	if f, ok := out.Item["failures"].(*types.AttributeValueMemberN); !ok || f.Value != "0" {
		t.Fatalf("reset counter item %v: failures is not 0", out.Item)
	}
}

// TestLimiterIPSpray: the IP's limit holds across users under concurrency,
// and a user refused by the IP lock keeps no count of its own.
func TestLimiterIPSpray(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newClock()
	c := server.Client(t)
	table, _ := server.CreateTables(t, c)
	l := throttle.NewLimiter(dynamostore.NewThrottle(c, table, dynamostore.WithClock(clock.Now)),
		throttle.NewPolicy(5, 15*time.Minute), throttle.NewPolicy(20, 15*time.Minute), clock.Now)
	var granted atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := l.Reserve(ctx, "user"+string(rune('a'+i%26))+string(rune('a'+i/26)), "192.0.2.1")
			if retryAfter(t, err) == 0 {
				granted.Add(1)
			}
		}()
	}
	wg.Wait()
	if granted.Load() != 20 {
		t.Fatalf("40 users from one IP in parallel: %d granted, want the IP limit 20", granted.Load())
	}
	// The refused users' own counts were released: each still has 5.
	for i := range 40 {
		name := "user" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		for range 4 {
			if err := l.Reserve(ctx, name, "198.51.100."+strconv.Itoa(i)); err != nil {
				t.Fatalf("%s from another IP: %v", name, err)
			}
		}
	}
}
