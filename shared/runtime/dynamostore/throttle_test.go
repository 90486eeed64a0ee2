package dynamostore_test

import (
	"context"
	"errors"
	"sync"
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

func TestThrottleContract(t *testing.T) {
	t.Parallel()
	for name, build := range throttleStores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := newClock()
			s, _ := build(t, clock.Now)
			now := clock.Now()

			// Concurrent failures all count.
			var wg sync.WaitGroup
			for range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Fail(ctx, "thr#user#a", now, now.Add(time.Hour)); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			got, err := s.Counters(ctx, "thr#user#a", "thr#ip#1.2.3.4")
			if err != nil {
				t.Fatal(err)
			}
			if c := got["thr#user#a"]; len(got) != 1 || c.Failures != 20 || !c.LastFailure.Equal(now) {
				t.Fatalf("Counters = %+v, want 20 failures of thr#user#a at %v", got, now)
			}

			// Reset forgets the counter.
			if err := s.Reset(ctx, "thr#user#a"); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.Counters(ctx, "thr#user#a"); len(got) != 0 {
				t.Fatalf("after Reset: %+v", got)
			}

			// A counter past its TTL (still stored) counts as gone and starts
			// again from one.
			if _, err := s.Fail(ctx, "thr#ip#9", now, now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			clock.Advance(2 * time.Minute)
			if got, _ := s.Counters(ctx, "thr#ip#9"); len(got) != 0 {
				t.Fatalf("expired counter still counts: %+v", got)
			}
			c, err := s.Fail(ctx, "thr#ip#9", clock.Now(), clock.Now().Add(time.Minute))
			if err != nil || c.Failures != 1 {
				t.Fatalf("Fail after expiry = %+v, %v; want a fresh count of 1", c, err)
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
	l := &throttle.Limiter{Store: dynamostore.NewThrottle(c, table, dynamostore.WithClock(clock.Now)), Clock: clock.Now,
		User: throttle.NewPolicy(5, 15*time.Minute), IP: throttle.NewPolicy(20, 15*time.Minute)}

	wait := func() time.Duration {
		t.Helper()
		_, err := l.Check(ctx, "bob", "10.0.0.1")
		var locked *throttle.Locked
		switch {
		case errors.As(err, &locked):
			return locked.RetryAfter
		case err != nil:
			t.Fatal(err)
		}
		return 0
	}
	for i := 1; i <= 4; i++ {
		if err := l.Failed(ctx, "bob", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if w := wait(); w != 0 {
			t.Fatalf("locked after %d failures (%v); the 5th failure locks", i, w)
		}
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if err := l.Failed(ctx, "bob", "10.0.0.1"); err != nil {
			t.Fatal(err)
		}
		if w := wait(); w != want {
			t.Fatalf("failure %d: locked for %v, want %v", 5+i, w, want)
		}
	}
	clock.Advance(8 * time.Second)
	if w := wait(); w != 0 {
		t.Fatalf("still locked after the lockout: %v", w)
	}
	// Another user from a different address is not affected.
	if _, err := l.Check(ctx, "carol", "10.0.0.2"); err != nil {
		t.Fatalf("carol: %v", err)
	}
	// A success resets the user's count.
	if err := l.Succeeded(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if had, err := l.Check(ctx, "bob", "10.0.0.1"); err != nil || had {
		t.Fatalf("after success: had=%v err=%v", had, err)
	}
	// The reset wrote an expired counter, not a delete (the login function
	// may not delete items): it is still readable, with TTL in the past.
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: throttle.UserKey("bob")}}})
	if err != nil || out.Item == nil {
		t.Fatalf("reset counter item: %v %v", out, err)
	}
}
