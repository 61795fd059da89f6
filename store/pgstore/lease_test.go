package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestClaimTickRace: replicas (two pools, many goroutines each) race for
// each tick of a source; exactly one wins every tick, whoever it is.
func TestClaimTickRace(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	stores := []*Store{openTest(t, dsn, Options{}), openTest(t, dsn, Options{})}
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const racers, ticks = 16, 5
	for k := range ticks {
		tick := base.Add(time.Duration(k) * time.Minute)
		var wins atomic.Int32
		var winner atomic.Value
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range racers {
			wg.Go(func() {
				owner := fmt.Sprintf("replica-%d", i)
				<-start
				won, err := stores[i%2].ClaimTick(ctx, "feed", tick, owner, time.Minute)
				if err != nil {
					t.Error(err)
				}
				if won {
					wins.Add(1)
					winner.Store(owner)
				}
			})
		}
		close(start)
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("tick %d: %d winners, want exactly 1", k, n)
		}
		owner := winner.Load().(string)
		l, err := stores[0].TickLease(ctx, "feed")
		if err != nil || l.Owner != owner || !l.Tick.Equal(tick) {
			t.Fatalf("tick %d: lease %+v (%v), want owner %s tick %v", k, l, err, owner, tick)
		}
		if err := stores[1].ReleaseTick(ctx, "feed", tick, owner); err != nil {
			t.Fatal(err)
		}
	}
}

// TestClaimTickSequence walks one source's lease through its cases on an
// injected clock: a tick is claimed once, a live lease blocks later ticks,
// an expired one is taken over, a released one frees the next tick at once,
// and the replica that lost its lease is told so.
func TestClaimTickSequence(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := openTest(t, pgtest.NewDatabase(t), Options{Now: c.Now})
	ctx := context.Background()
	t0 := c.Now()
	tick := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }
	type step struct {
		name  string
		at    time.Duration // since t0
		do    string        // claim, renew, release
		owner string
		tick  int
		ttl   time.Duration
		won   bool  // for claim
		err   error // for renew, release
	}
	steps := []step{
		{name: "first claim wins", do: "claim", owner: "a", tick: 1, ttl: time.Minute, won: true},
		{name: "same tick loses", at: time.Second, do: "claim", owner: "b", tick: 1, ttl: time.Minute},
		{name: "same tick, same owner loses", at: time.Second, do: "claim", owner: "a", tick: 1, ttl: time.Minute},
		{name: "later tick waits for a live lease", at: 30 * time.Second, do: "claim", owner: "b", tick: 2, ttl: time.Minute},
		{name: "lease still live at its last instant", at: time.Minute - time.Microsecond, do: "claim", owner: "b", tick: 2, ttl: time.Minute},
		{name: "expired lease is taken for a later tick", at: time.Minute, do: "claim", owner: "b", tick: 2, ttl: time.Minute, won: true},
		{name: "the dead owner's release is refused", at: 61 * time.Second, do: "release", owner: "a", tick: 1, err: ErrLeaseLost},
		{name: "the dead owner's renew is refused", at: 61 * time.Second, do: "renew", owner: "a", tick: 1, ttl: time.Minute, err: ErrLeaseLost},
		{name: "an older tick arriving late loses", at: 62 * time.Second, do: "claim", owner: "a", tick: 1, ttl: time.Minute},
		{name: "owner releases", at: 63 * time.Second, do: "release", owner: "b", tick: 2},
		{name: "released tick stays claimed", at: 64 * time.Second, do: "claim", owner: "a", tick: 2, ttl: time.Minute},
		{name: "next tick free at once after release", at: 65 * time.Second, do: "claim", owner: "a", tick: 3, ttl: time.Minute, won: true},
		{name: "renew extends", at: 100 * time.Second, do: "renew", owner: "a", tick: 3, ttl: 10 * time.Minute},
		{name: "renewed lease blocks past its first expiry", at: 5 * time.Minute, do: "claim", owner: "b", tick: 4, ttl: time.Minute},
		{name: "renewed lease expires", at: 100*time.Second + 10*time.Minute, do: "claim", owner: "b", tick: 4, ttl: time.Minute, won: true},
	}
	for _, st := range steps {
		c.Set(t0.Add(st.at))
		var err error
		switch st.do {
		case "claim":
			var won bool
			won, err = s.ClaimTick(ctx, "feed", tick(st.tick), st.owner, st.ttl)
			if err == nil && won != st.won {
				t.Fatalf("%s: %s claims tick %d: won = %v, want %v", st.name, st.owner, st.tick, won, st.won)
			}
		case "renew":
			err = s.RenewTick(ctx, "feed", tick(st.tick), st.owner, st.ttl)
		case "release":
			err = s.ReleaseTick(ctx, "feed", tick(st.tick), st.owner)
		}
		if !errors.Is(err, st.err) {
			t.Fatalf("%s: %s %s tick %d: err = %v, want %v", st.name, st.owner, st.do, st.tick, err, st.err)
		}
	}
	l, err := s.TickLease(ctx, "feed")
	if err != nil {
		t.Fatal(err)
	}
	want := Lease{Source: "feed", Owner: "b", Tick: tick(4), Claimed: c.Now(), Expires: c.Now().Add(time.Minute)}
	if l != want {
		t.Errorf("lease = %+v, want %+v", l, want)
	}
}

// TestClaimTickSources: leases are per source, and a never-claimed source
// has none.
func TestClaimTickSources(t *testing.T) {
	t.Parallel()
	s := openTest(t, pgtest.NewDatabase(t), Options{})
	ctx := context.Background()
	tick := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, src := range []string{"a", "b"} {
		if won, err := s.ClaimTick(ctx, src, tick, "r1", time.Minute); err != nil || !won {
			t.Fatalf("claim %s = %v, %v; want a win", src, won, err)
		}
	}
	if _, err := s.TickLease(ctx, "c"); !errors.Is(err, ErrNotFound) {
		t.Errorf("lease of unclaimed source: %v, want ErrNotFound", err)
	}
	// With the database's clock (Options.Now nil) the lease runs from now.
	l, err := s.TickLease(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(l.Claimed); d < -time.Minute || d > time.Minute {
		t.Errorf("claimed %v is not about now", l.Claimed)
	}
	if got := l.Expires.Sub(l.Claimed); got != time.Minute {
		t.Errorf("lease length %v, want 1m", got)
	}
}
