package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/jwtgate/jwtgate/shared/runtime/dynamostore"
	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
	"github.com/jwtgate/jwtgate/shared/runtime/throttle"
	"github.com/jwtgate/jwtgate/shared/testkit/fakeclock"
)

// revocationStore is what the gateway needs from a revocation store; the
// memory store and the DynamoDB store must both pass the contract below.
type revocationStore interface {
	Lookup(ctx context.Context, keys ...string) (map[string]revocation.Record, error)
	Put(ctx context.Context, r revocation.Record) error
	Consume(ctx context.Context, r revocation.Record) (revocation.Record, bool, error)
}

var (
	_ revocationStore = (*revocation.MemoryStore)(nil)
	_ revocationStore = (*dynamostore.Revocations)(nil)
)

// revocationStores builds each implementation under test around clock.
var revocationStores = map[string]func(t *testing.T, clock func() time.Time) revocationStore{
	"memory": func(_ *testing.T, clock func() time.Time) revocationStore { return revocation.NewMemoryStore(clock) },
	"dynamodb": func(t *testing.T, clock func() time.Time) revocationStore {
		c := server.Client(t)
		table, _ := server.CreateTables(t, c)
		return dynamostore.NewRevocations(c, table, dynamostore.WithClock(clock))
	},
}

func TestRevocationContract(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type env struct {
		s     revocationStore
		clock *fakeclock.Clock
		now   time.Time // the clock at the start
	}
	rec := func(key string, at, exp time.Time) revocation.Record {
		return revocation.Record{Key: key, At: at, ExpiresAt: exp}
	}
	cut := func(key string, gen int64, at, exp time.Time) revocation.Record {
		return revocation.Record{Key: key, At: at, ExpiresAt: exp, MinGeneration: gen}
	}
	tests := []struct {
		name string
		run  func(t *testing.T, e env)
	}{
		{"empty lookup", func(t *testing.T, e env) {
			got := lookup(t, e.s, "jti#a", "sid#b", "sub#c")
			if len(got) != 0 {
				t.Fatalf("Lookup = %v, want nothing", got)
			}
		}},
		{"put then lookup", func(t *testing.T, e env) {
			at := e.now.Add(-time.Second).Add(123456789) // At keeps nanoseconds
			r := rec("sub#alice", at, e.now.Add(time.Hour))
			mustPut(t, e.s, r)
			got := lookup(t, e.s, "jti#x", "sid#y", "sub#alice")
			if len(got) != 1 || !sameRecord(got["sub#alice"], r) {
				t.Fatalf("Lookup = %v, want only %v", got, r)
			}
		}},
		{"lookup returns every live key asked for", func(t *testing.T, e env) {
			a, b := rec("jti#1", e.now, e.now.Add(time.Hour)), rec("sid#2", e.now, e.now.Add(2*time.Hour))
			mustPut(t, e.s, a)
			mustPut(t, e.s, b)
			mustPut(t, e.s, rec("jti#other", e.now, e.now.Add(time.Hour)))
			got := lookup(t, e.s, "jti#1", "sid#2", "sub#3", "jti#1")
			if len(got) != 2 || !sameRecord(got["jti#1"], a) || !sameRecord(got["sid#2"], b) {
				t.Fatalf("Lookup = %v", got)
			}
		}},
		{"expired record revokes nothing", func(t *testing.T, e env) {
			mustPut(t, e.s, rec("jti#1", e.now, e.now.Add(time.Minute)))
			e.clock.Advance(time.Minute) // ExpiresAt == now: no longer live
			if got := lookup(t, e.s, "jti#1"); len(got) != 0 {
				t.Fatalf("Lookup after expiry = %v", got)
			}
		}},
		{"put never shortens a live record but takes the new At", func(t *testing.T, e env) {
			mustPut(t, e.s, rec("sub#bob", e.now, e.now.Add(10*time.Minute)))
			e.clock.Advance(time.Second)
			later := e.now.Add(time.Second)
			mustPut(t, e.s, rec("sub#bob", later, e.now.Add(5*time.Minute)))
			want := rec("sub#bob", later, e.now.Add(10*time.Minute))
			if got := lookup(t, e.s, "sub#bob")["sub#bob"]; !sameRecord(got, want) {
				t.Fatalf("record = %v, want %v", got, want)
			}
		}},
		{"put lengthens", func(t *testing.T, e env) {
			mustPut(t, e.s, rec("sid#s", e.now, e.now.Add(5*time.Minute)))
			want := rec("sid#s", e.now.Add(time.Second), e.now.Add(10*time.Minute))
			mustPut(t, e.s, want)
			if got := lookup(t, e.s, "sid#s")["sid#s"]; !sameRecord(got, want) {
				t.Fatalf("record = %v, want %v", got, want)
			}
		}},
		{"put replaces an expired longer record", func(t *testing.T, e env) {
			mustPut(t, e.s, rec("jti#j", e.now, e.now.Add(2*time.Second)))
			e.clock.Advance(3 * time.Second)
			// Shorter than the old expiry? No: the old one is dead, so any
			// new record counts as written.
			want := rec("jti#j", e.now.Add(3*time.Second), e.now.Add(4*time.Second))
			mustPut(t, e.s, want)
			if got := lookup(t, e.s, "jti#j")["jti#j"]; !sameRecord(got, want) {
				t.Fatalf("record = %v, want %v", got, want)
			}
		}},
		{"consume: first wins, second gets the winner", func(t *testing.T, e env) {
			first := rec("jti#r", e.now, e.now.Add(time.Hour))
			got, won, err := e.s.Consume(ctx, first)
			if err != nil || !won || !sameRecord(got, first) {
				t.Fatalf("first Consume = %v, %v, %v", got, won, err)
			}
			second := rec("jti#r", e.now.Add(time.Second), e.now.Add(2*time.Hour))
			got, won, err = e.s.Consume(ctx, second)
			if err != nil || won || !sameRecord(got, first) {
				t.Fatalf("second Consume = %v, %v, %v; want %v, false", got, won, err, first)
			}
			if got := lookup(t, e.s, "jti#r")["jti#r"]; !sameRecord(got, first) {
				t.Fatalf("stored = %v, want the first", got)
			}
		}},
		{"consume after expiry wins again", func(t *testing.T, e env) {
			mustConsume(t, e.s, rec("jti#e", e.now, e.now.Add(time.Second)), true)
			e.clock.Advance(2 * time.Second)
			mustConsume(t, e.s, rec("jti#e", e.now.Add(2*time.Second), e.now.Add(time.Hour)), true)
		}},
		{"a cut-off never moves backwards", func(t *testing.T, e env) {
			// Issue 12 item 2: a newer cut-off, then an older one written
			// later by a writer whose clock is 5 minutes slow (and once by
			// one whose clock is a day fast): the newer generation stays.
			newer := cut("sub#ann", 3, e.now, e.now.Add(time.Hour))
			mustPut(t, e.s, newer)
			slow := e.now.Add(-5 * time.Minute)
			mustPut(t, e.s, cut("sub#ann", 2, slow, slow.Add(time.Hour)))
			fast := e.now.Add(24 * time.Hour)
			mustPut(t, e.s, cut("sub#ann", 1, fast, e.now.Add(30*time.Minute)))
			if got := lookup(t, e.s, "sub#ann")["sub#ann"]; !sameRecord(got, newer) || got.MinGeneration != 3 {
				t.Fatalf("record = %+v, want %+v", got, newer)
			}
			// An older cut-off may still lengthen the newer one's life.
			mustPut(t, e.s, cut("sub#ann", 2, e.now, e.now.Add(2*time.Hour)))
			want := cut("sub#ann", 3, e.now, e.now.Add(2*time.Hour))
			if got := lookup(t, e.s, "sub#ann")["sub#ann"]; !sameRecord(got, want) || got.MinGeneration != 3 {
				t.Fatalf("record = %+v, want %+v", got, want)
			}
		}},
		{"a newer cut-off replaces, keeping the later expiry", func(t *testing.T, e env) {
			mustPut(t, e.s, cut("sub#bea", 1, e.now, e.now.Add(2*time.Hour)))
			slow := e.now.Add(-5 * time.Minute) // the newer writer's clock is slow
			mustPut(t, e.s, cut("sub#bea", 2, slow, slow.Add(time.Hour)))
			want := cut("sub#bea", 2, slow, e.now.Add(2*time.Hour))
			if got := lookup(t, e.s, "sub#bea")["sub#bea"]; !sameRecord(got, want) || got.MinGeneration != 2 {
				t.Fatalf("record = %+v, want %+v", got, want)
			}
		}},
		{"a cut-off replaces one without a generation", func(t *testing.T, e env) {
			// Written before generations: At only.
			mustPut(t, e.s, rec("sub#cy", e.now, e.now.Add(time.Hour)))
			want := cut("sub#cy", 1, e.now.Add(time.Second), e.now.Add(2*time.Hour))
			mustPut(t, e.s, want)
			if got := lookup(t, e.s, "sub#cy")["sub#cy"]; !sameRecord(got, want) || got.MinGeneration != 1 {
				t.Fatalf("record = %+v, want %+v", got, want)
			}
		}},
		{"consumed mark round trip; a revocation drops it", func(t *testing.T, e env) {
			used := revocation.Record{Key: "jti#u", At: e.now, ExpiresAt: e.now.Add(time.Hour), Consumed: true}
			mustConsume(t, e.s, used, true)
			if got := lookup(t, e.s, "jti#u")["jti#u"]; !got.Consumed {
				t.Fatalf("consumed record read back as %+v", got)
			}
			// `jwtgate revoke --jti` over it, shorter-lived (the update
			// path) and longer-lived (the replace path): no longer consumed.
			for _, exp := range []time.Time{e.now.Add(time.Minute), e.now.Add(2 * time.Hour)} {
				mustPut(t, e.s, rec("jti#u", e.now.Add(time.Second), exp))
				got := mustConsume(t, e.s, revocation.Record{Key: "jti#u", At: e.now, ExpiresAt: e.now.Add(time.Hour), Consumed: true}, false)
				if got.Consumed {
					t.Fatalf("revoked record (expiry %v) still reads as consumed: %+v", exp, got)
				}
			}
		}},
		{"consume loses to a put record", func(t *testing.T, e env) {
			put := rec("sid#p", e.now, e.now.Add(time.Hour))
			mustPut(t, e.s, put)
			got := mustConsume(t, e.s, rec("sid#p", e.now, e.now.Add(time.Minute)), false)
			if !sameRecord(got, put) {
				t.Fatalf("Consume returned %v, want %v", got, put)
			}
		}},
	}
	for impl, newStore := range revocationStores {
		t.Run(impl, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					c := newClock()
					tt.run(t, env{s: newStore(t, c.Now), clock: c, now: c.Now()})
				})
			}
		})
	}
}

// TestLookupIgnoresExpiredItems writes items straight into the table, as
// DynamoDB leaves them after their TTL passed but before it deleted them.
func TestLookupIgnoresExpiredItems(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := server.Client(t)
	table, _ := server.CreateTables(t, c)
	now := time.Now()
	put := func(key string, exp time.Time) {
		t.Helper()
		_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			"pk":         &types.AttributeValueMemberS{Value: key},
			"at":         &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(-time.Hour).UnixNano(), 10)},
			"expires_at": &types.AttributeValueMemberN{Value: strconv.FormatInt(exp.Unix(), 10)},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Expired a day ago by the clock; DynamoDB Local may or may not have
	// swept it yet, and either way it must not count.
	put("jti#expired", now.Add(-24*time.Hour))
	put("jti#live", now.Add(time.Hour))
	store := dynamostore.NewRevocations(c, table)
	got := lookup(t, store, "jti#expired", "jti#live")
	if _, ok := got["jti#expired"]; ok {
		t.Errorf("expired item revokes: %v", got)
	}
	if _, ok := got["jti#live"]; !ok {
		t.Errorf("live item missing: %v", got)
	}

	// Same with a clock that has moved past a still-present item: DynamoDB
	// Local does not know the store's clock, so the item is surely there.
	late := dynamostore.NewRevocations(c, table, dynamostore.WithClock(func() time.Time { return now.Add(2 * time.Hour) }))
	if got := lookup(t, late, "jti#live"); len(got) != 0 {
		t.Errorf("item past its expiry revokes: %v", got)
	}
	raw, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "jti#live"}}})
	if err != nil || len(raw.Item) == 0 {
		t.Fatalf("the item should still be in the table: %v %v", raw, err)
	}
}

func TestConsumeRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := server.Client(t)
	table, _ := server.CreateTables(t, c)
	store := dynamostore.NewRevocations(c, table)
	now := time.Now()
	const n = 50
	type result struct {
		r   revocation.Record
		won bool
		err error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			r := revocation.Record{Key: "jti#race", At: now.Add(time.Duration(i)), ExpiresAt: now.Add(time.Hour)}
			got, won, err := store.Consume(ctx, r)
			results[i] = result{got, won, err}
		})
	}
	close(start)
	wg.Wait()
	var winners []int
	for i, res := range results {
		if res.err != nil {
			t.Fatalf("goroutine %d: %v", i, res.err)
		}
		if res.won {
			winners = append(winners, i)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d winners (%v), want exactly 1", len(winners), winners)
	}
	winner := results[winners[0]].r
	if !winner.At.Equal(now.Add(time.Duration(winners[0]))) {
		t.Fatalf("winner's record %v is not its own", winner)
	}
	for i, res := range results {
		if !sameRecord(res.r, winner) {
			t.Errorf("goroutine %d got %v, want the winner's %v", i, res.r, winner)
		}
	}
}

// TestLookupIsOneBatchGet counts the SDK operations of a lookup.
func TestLookupIsOneBatchGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	counter := &opCounter{}
	c := server.Client(t, counter.install)
	table, _ := server.CreateTables(t, c)
	store := dynamostore.NewRevocations(c, table)
	now := time.Now()
	if err := store.Put(ctx, revocation.Record{Key: "sid#s", At: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	counter.reset()
	got, err := store.Lookup(ctx, revocation.Subject{JTI: "j", SID: "s", Sub: "u"}.Keys()...)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("Lookup = %v", got)
	}
	if ops := counter.snapshot(); len(ops) != 1 || ops["BatchGetItem"] != 1 {
		t.Fatalf("operations = %v, want exactly one BatchGetItem", ops)
	}
}

func TestLookupManyKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	counter := &opCounter{}
	c := server.Client(t, counter.install)
	table, _ := server.CreateTables(t, c)
	store := dynamostore.NewRevocations(c, table)
	now := time.Now()
	var keys []string
	for i := range 250 {
		keys = append(keys, fmt.Sprintf("jti#%d", i))
	}
	for _, k := range []string{"jti#0", "jti#149", "jti#249"} {
		if err := store.Put(ctx, revocation.Record{Key: k, At: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	counter.reset()
	got, err := store.Lookup(ctx, keys...)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("Lookup found %d records, want 3", len(got))
	}
	if ops := counter.snapshot(); ops["BatchGetItem"] != 3 {
		t.Fatalf("operations = %v, want 3 BatchGetItem of at most 100 keys", ops)
	}
}

// unprocessing is a fault-injecting client: for the first fail calls its
// BatchGetItem answers the first key of each request and hands the rest back
// as unprocessed; with fail < 0 it answers nothing, ever (hard throttling).
type unprocessing struct {
	dynamostore.ItemAPI
	fail  int
	calls atomic.Int32
}

func (u *unprocessing) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	n := int(u.calls.Add(1))
	if u.fail < 0 {
		return &dynamodb.BatchGetItemOutput{UnprocessedKeys: in.RequestItems}, nil
	}
	if n > u.fail {
		return u.ItemAPI.BatchGetItem(ctx, in, optFns...)
	}
	part := map[string]types.KeysAndAttributes{}
	left := map[string]types.KeysAndAttributes{}
	for table, ka := range in.RequestItems {
		first, rest := ka, ka
		first.Keys, rest.Keys = ka.Keys[:1], ka.Keys[1:]
		part[table] = first
		if len(rest.Keys) > 0 {
			left[table] = rest
		}
	}
	out, err := u.ItemAPI.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: part}, optFns...)
	if err != nil {
		return nil, err
	}
	out.UnprocessedKeys = left
	return out, nil
}

func TestLookupRetriesUnprocessedKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := server.Client(t)
	table, _ := server.CreateTables(t, c)
	now := time.Now()
	keys := []string{"jti#a", "sid#b", "sub#c"}
	for _, k := range keys {
		if err := dynamostore.NewRevocations(c, table).Put(ctx, revocation.Record{Key: k, At: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("recovers", func(t *testing.T) {
		fake := &unprocessing{ItemAPI: c, fail: 2}
		got, err := dynamostore.NewRevocations(fake, table).Lookup(ctx, keys...)
		if err != nil || len(got) != 3 {
			t.Fatalf("Lookup = %v, %v; want 3 records", got, err)
		}
	})
	t.Run("gives up", func(t *testing.T) {
		fake := &unprocessing{ItemAPI: c, fail: -1}
		_, err := dynamostore.NewRevocations(fake, table).Lookup(ctx, keys...)
		if !errors.Is(err, dynamostore.ErrUnprocessed) {
			t.Fatalf("Lookup error = %v, want ErrUnprocessed", err)
		}
		if n := fake.calls.Load(); n > 10 {
			t.Fatalf("%d calls: the retry loop is not bounded", n)
		}
	})
}

// opCounter counts SDK operations (not HTTP attempts) by name.
type opCounter struct {
	mu  sync.Mutex
	ops map[string]int
}

func (c *opCounter) install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("opCounter",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.mu.Lock()
				if c.ops == nil {
					c.ops = map[string]int{}
				}
				c.ops[awsmiddleware.GetOperationName(ctx)]++
				c.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
}

func (c *opCounter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = map[string]int{}
}

func (c *opCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.ops))
	for k, v := range c.ops {
		out[k] = v
	}
	return out
}

func lookup(t *testing.T, s revocationStore, keys ...string) map[string]revocation.Record {
	t.Helper()
	got, err := s.Lookup(context.Background(), keys...)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	return got
}

func mustPut(t *testing.T, s revocationStore, r revocation.Record) {
	t.Helper()
	if err := s.Put(context.Background(), r); err != nil {
		t.Fatalf("Put(%v): %v", r, err)
	}
}

func mustConsume(t *testing.T, s revocationStore, r revocation.Record, wantWon bool) revocation.Record {
	t.Helper()
	got, won, err := s.Consume(context.Background(), r)
	if err != nil || won != wantWon {
		t.Fatalf("Consume(%v) = %v, %v, %v; want won=%v", r, got, won, err, wantWon)
	}
	return got
}

func sameRecord(a, b revocation.Record) bool {
	return a.Key == b.Key && a.At.Equal(b.At) && a.ExpiresAt.Equal(b.ExpiresAt)
}

// newClock starts at a whole second, as DynamoDB's epoch-second TTL would
// round anyway.
func newClock() *fakeclock.Clock { return fakeclock.New(time.Now().Truncate(time.Second)) }

// hanging is a fault-injecting client whose reads and writes answer only
// when their context ends: a DynamoDB endpoint that accepted the
// connection and never replies.
type hanging struct{ dynamostore.ItemAPI }

func (hanging) BatchGetItem(ctx context.Context, _ *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (hanging) PutItem(ctx context.Context, _ *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (hanging) UpdateItem(ctx context.Context, _ *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestCallTimeout: with WithCallTimeout every call to the revocation table
// (revocations, refresh reads, failed-login counters) gives up at its bound
// with context.DeadlineExceeded, which the authorizer and the session
// handlers turn into a fail-closed refusal.
func TestCallTimeout(t *testing.T) {
	t.Parallel()
	const bound = 50 * time.Millisecond
	st := dynamostore.NewRevocations(hanging{}, "revocations", dynamostore.WithCallTimeout(bound))
	thr := dynamostore.NewThrottle(hanging{}, "revocations", dynamostore.WithCallTimeout(bound))
	rr := dynamostore.NewRefreshReads(st, dynamostore.NewUsers(hanging{}, "users"))
	now := time.Now()
	rec := revocation.Record{Key: "jti#a", At: now, ExpiresAt: now.Add(time.Hour)}
	for _, tc := range []struct {
		name string
		call func(context.Context) error
	}{
		{"Lookup", func(ctx context.Context) error { _, err := st.Lookup(ctx, "jti#a", "sid#b"); return err }},
		{"Put", func(ctx context.Context) error { return st.Put(ctx, rec) }},
		{"Consume", func(ctx context.Context) error { _, _, err := st.Consume(ctx, rec); return err }},
		{"ReadForRefresh", func(ctx context.Context) error { _, _, err := rr.ReadForRefresh(ctx, "alice", "sid#b"); return err }},
		{"Reserve", func(ctx context.Context) error {
			_, err := thr.Reserve(ctx, "thr#user#alice", throttle.NewPolicy(5, time.Minute), now, now.Add(time.Hour))
			return err
		}},
		{"Release", func(ctx context.Context) error { return thr.Release(ctx, "thr#user#alice") }},
		{"Reset", func(ctx context.Context) error { return thr.Reset(ctx, "thr#user#alice") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			err := tc.call(context.Background())
			elapsed := time.Since(start)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%s = %v, want context.DeadlineExceeded", tc.name, err)
			}
			if elapsed < bound || elapsed > 20*bound {
				t.Fatalf("%s gave up after %v, want about %v", tc.name, elapsed, bound)
			}
		})
	}
}
