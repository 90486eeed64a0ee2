package revocation_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jwtgate/jwtgate/shared/runtime/revocation"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestKeys(t *testing.T) {
	s := revocation.Subject{JTI: "j", SID: "s", Sub: "alice"}
	want := []string{"jti#j", "sid#s", "sub#alice"}
	got := s.Keys()
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("Keys = %v, want %v", got, want)
	}
	if revocation.TokenKey("x") != "jti#x" || revocation.SessionKey("x") != "sid#x" || revocation.UserKey("x") != "sub#x" {
		t.Fatal("key prefixes changed: stored records would stop matching")
	}
}

func TestCheck(t *testing.T) {
	iat := t0
	subj := revocation.Subject{JTI: "j1", SID: "s1", Sub: "alice", IssuedAt: iat}
	now := t0.Add(time.Minute)
	live := now.Add(time.Hour)
	tests := []struct {
		name    string
		recs    []revocation.Record
		revoked bool
	}{
		{"nothing", nil, false},
		{"token", []revocation.Record{{Key: "jti#j1", At: now, ExpiresAt: live}}, true},
		{"session", []revocation.Record{{Key: "sid#s1", At: now, ExpiresAt: live}}, true},
		{"other token", []revocation.Record{{Key: "jti#j2", At: now, ExpiresAt: live}}, false},
		{"other session", []revocation.Record{{Key: "sid#s2", At: now, ExpiresAt: live}}, false},
		{"user cut-off after iat", []revocation.Record{{Key: "sub#alice", At: iat.Add(time.Second), ExpiresAt: live}}, true},
		{"user cut-off at iat", []revocation.Record{{Key: "sub#alice", At: iat, ExpiresAt: live}}, false},
		{"user cut-off before iat", []revocation.Record{{Key: "sub#alice", At: iat.Add(-time.Second), ExpiresAt: live}}, false},
		{"other user cut-off", []revocation.Record{{Key: "sub#bob", At: now, ExpiresAt: live}}, false},
		// A cut-off with a generation decides by generation alone: the
		// subject (generation 0, no gen claim) is below 1, whatever the
		// clocks say, and not below 0.
		{"cut-off above the generation, written before iat", []revocation.Record{{Key: "sub#alice", At: iat.Add(-time.Hour), ExpiresAt: live, MinGeneration: 1}}, true},
		{"cut-off above the generation, same instant", []revocation.Record{{Key: "sub#alice", At: iat, ExpiresAt: live, MinGeneration: 1}}, true},
		{"expired generation cut-off", []revocation.Record{{Key: "sub#alice", At: iat, ExpiresAt: now, MinGeneration: 1}}, false},
		{"expired token record", []revocation.Record{{Key: "jti#j1", At: t0, ExpiresAt: now}}, false},
		{"expired session record", []revocation.Record{{Key: "sid#s1", At: t0, ExpiresAt: now.Add(-time.Second)}}, false},
		{"expired user cut-off", []revocation.Record{{Key: "sub#alice", At: iat.Add(time.Second), ExpiresAt: now}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]revocation.Record{}
			for _, r := range tc.recs {
				m[r.Key] = r
			}
			err := revocation.Check(m, subj, now)
			if tc.revoked != errors.Is(err, revocation.ErrRevoked) || (!tc.revoked && err != nil) {
				t.Fatalf("Check = %v, want revoked=%v", err, tc.revoked)
			}
		})
	}
}

// TestCheckTokensWithoutIDs: the tokens flask-jwt-extended minted (the
// migration window) have no sid, and every one of them looks up the same
// "sid#" key. A record there (an earlier /password wrote one for its
// flask caller's session, the empty one) must not revoke the others; their
// jti and their user's cut-off still do.
func TestCheckTokensWithoutIDs(t *testing.T) {
	now := t0.Add(time.Minute)
	live := now.Add(time.Hour)
	empty := map[string]revocation.Record{
		revocation.SessionKey(""): {Key: revocation.SessionKey(""), At: now, ExpiresAt: live},
		revocation.TokenKey(""):   {Key: revocation.TokenKey(""), At: now, ExpiresAt: live},
	}
	tests := []struct {
		name    string
		subj    revocation.Subject
		extra   *revocation.Record
		revoked bool
	}{
		{"flask token of another user", revocation.Subject{JTI: "j1", Sub: "bob", IssuedAt: t0}, nil, false},
		{"jwtgate access token without jti", revocation.Subject{SID: "s1", Sub: "bob", IssuedAt: t0}, nil, false},
		{"flask token revoked by its jti", revocation.Subject{JTI: "j1", Sub: "bob", IssuedAt: t0},
			&revocation.Record{Key: "jti#j1", At: now, ExpiresAt: live}, true},
		{"flask token below its user's cut-off", revocation.Subject{JTI: "j1", Sub: "bob", IssuedAt: t0},
			&revocation.Record{Key: "sub#bob", At: now, ExpiresAt: live, MinGeneration: 1}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs := map[string]revocation.Record{}
			for k, r := range empty {
				recs[k] = r
			}
			if tc.extra != nil {
				recs[tc.extra.Key] = *tc.extra
			}
			err := revocation.Check(recs, tc.subj, now)
			if tc.revoked != errors.Is(err, revocation.ErrRevoked) || (!tc.revoked && err != nil) {
				t.Fatalf("Check = %v, want revoked=%v", err, tc.revoked)
			}
		})
	}
}

func TestCheckGenerations(t *testing.T) {
	now := t0
	cut := map[string]revocation.Record{"sub#alice": {Key: "sub#alice", At: now, ExpiresAt: now.Add(time.Hour), MinGeneration: 3}}
	for gen, revoked := range map[int64]bool{0: true, 2: true, 3: false, 4: false} {
		// iat after the cut-off's At: the clock would let it through.
		s := revocation.Subject{JTI: "j", SID: "s", Sub: "alice", IssuedAt: now.Add(time.Second), Generation: gen}
		if err := revocation.Check(cut, s, now); errors.Is(err, revocation.ErrRevoked) != revoked {
			t.Errorf("generation %d: Check = %v, want revoked=%v", gen, err, revoked)
		}
	}
}

func TestLifetimes(t *testing.T) {
	l := revocation.Lifetimes{RefreshTTL: time.Hour, Leeway: 30 * time.Second}
	outlive := t0.Add(time.Hour + 30*time.Second + revocation.InFlight)
	exp := t0.Add(10 * time.Minute)
	tests := []struct {
		name string
		got  revocation.Record
		want revocation.Record
	}{
		{"token", l.Token("j", t0), revocation.Record{Key: "jti#j", At: t0, ExpiresAt: outlive}},
		{"consumed", l.Consumed("j", exp, t0), revocation.Record{Key: "jti#j", At: t0, ExpiresAt: exp.Add(30 * time.Second), Consumed: true}},
		{"session", l.Session("s", t0), revocation.Record{Key: "sid#s", At: t0, ExpiresAt: outlive}},
		{"user cut-off", l.UserCutOff("alice", 7, t0), revocation.Record{Key: "sub#alice", At: t0, ExpiresAt: outlive, MinGeneration: 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %+v, want %+v", tc.got, tc.want)
			}
		})
	}
}

func TestMemoryStoreLookup(t *testing.T) {
	now := t0
	m := revocation.NewMemoryStore(func() time.Time { return now })
	ctx := context.Background()
	for _, r := range []revocation.Record{
		{Key: "jti#a", At: now, ExpiresAt: now.Add(time.Minute)},
		{Key: "sid#b", At: now, ExpiresAt: now.Add(time.Hour)},
	} {
		if err := m.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := m.Lookup(ctx, "jti#a", "sid#b", "sub#c")
	if err != nil || len(got) != 2 {
		t.Fatalf("Lookup = %v, %v; want 2 records", got, err)
	}
	now = now.Add(time.Minute) // jti#a expires exactly now
	got, _ = m.Lookup(ctx, "jti#a", "sid#b")
	if _, ok := got["jti#a"]; ok || len(got) != 1 {
		t.Fatalf("Lookup after expiry = %v, want sid#b only", got)
	}
}

func TestMemoryStorePutNeverShortens(t *testing.T) {
	now := t0
	m := revocation.NewMemoryStore(func() time.Time { return now })
	ctx := context.Background()
	long := revocation.Record{Key: "sid#s", At: now, ExpiresAt: now.Add(30 * 24 * time.Hour)}
	if err := m.Put(ctx, long); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if err := m.Put(ctx, revocation.Record{Key: "sid#s", At: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	got, _ := m.Lookup(ctx, "sid#s")
	if r := got["sid#s"]; !r.ExpiresAt.Equal(long.ExpiresAt) {
		t.Fatalf("ExpiresAt = %v after a shorter Put, want %v kept", r.ExpiresAt, long.ExpiresAt)
	}
	longer := now.Add(60 * 24 * time.Hour)
	_ = m.Put(ctx, revocation.Record{Key: "sid#s", At: now, ExpiresAt: longer})
	got, _ = m.Lookup(ctx, "sid#s")
	if r := got["sid#s"]; !r.ExpiresAt.Equal(longer) {
		t.Fatalf("ExpiresAt = %v after a longer Put, want %v", r.ExpiresAt, longer)
	}
	// An expired record does not hold anything back.
	_ = m.Put(ctx, revocation.Record{Key: "jti#x", At: now, ExpiresAt: now.Add(time.Second)})
	now = now.Add(time.Hour)
	_ = m.Put(ctx, revocation.Record{Key: "jti#x", At: now, ExpiresAt: now.Add(time.Minute)})
	got, _ = m.Lookup(ctx, "jti#x")
	if r := got["jti#x"]; !r.At.Equal(now) {
		t.Fatalf("record after re-Put = %+v, want the new one", r)
	}
}

func TestMemoryStoreConsumeRace(t *testing.T) {
	now := t0
	m := revocation.NewMemoryStore(func() time.Time { return now })
	ctx := context.Background()
	const n = 50
	type result struct {
		rec revocation.Record
		won bool
		err error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Each caller offers a distinct At, so the winner is identifiable.
			r := revocation.Record{Key: "jti#refresh", At: t0.Add(time.Duration(i) * time.Millisecond), ExpiresAt: t0.Add(time.Hour)}
			rec, won, err := m.Consume(ctx, r)
			results[i] = result{rec, won, err}
		}()
	}
	close(start)
	wg.Wait()
	winners := 0
	var winner revocation.Record
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("caller %d: %v", i, r.err)
		}
		if r.won {
			winners++
			winner = r.rec
		}
	}
	if winners != 1 {
		t.Fatalf("%d winners, want exactly 1", winners)
	}
	for i, r := range results {
		if !r.won && r.rec != winner {
			t.Errorf("caller %d saw %+v, want the winner's record %+v", i, r.rec, winner)
		}
	}
	stored, _ := m.Lookup(ctx, "jti#refresh")
	if stored["jti#refresh"] != winner {
		t.Errorf("stored %+v, want the winner's %+v", stored["jti#refresh"], winner)
	}
	// Once the record expires, the key can be consumed again.
	now = t0.Add(time.Hour)
	if _, won, _ := m.Consume(ctx, revocation.Record{Key: "jti#refresh", At: now, ExpiresAt: now.Add(time.Hour)}); !won {
		t.Errorf("Consume after expiry lost")
	}
}
