package pgstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestFencedStateNeedsTheLease: a fence names an owner and a tick (the
// contract's FencedFetchState has the lease lost to another replica); a write
// fenced by a lease never taken, by another owner's, or by an earlier tick
// of the same owner is refused, and its live lease's write is not.
func TestFencedStateNeedsTheLease(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := openTest(t, pgtest.NewDatabase(t), Options{Now: c.Now})
	ctx := context.Background()
	t0 := c.Now()
	save := func(owner string, tick time.Time) error {
		return s.SaveFetchState(ctx, store.FetchState{Source: "feed", ETag: owner, Fence: &store.Fence{Owner: owner, Tick: tick}})
	}
	if err := save("a", t0); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("fenced by a lease never claimed: %v, want ErrLeaseLost", err)
	}
	claim(t, s, t0, "a")
	if err := save("b", t0); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("fenced by another owner: %v, want ErrLeaseLost", err)
	}
	if err := s.ReleaseTick(ctx, "feed", t0, "a"); err != nil {
		t.Fatal(err)
	}
	claim(t, s, t0.Add(time.Minute), "a")
	if err := save("a", t0); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("fenced by the owner's earlier tick: %v, want ErrLeaseLost", err)
	}
	if err := save("a", t0.Add(time.Minute)); err != nil {
		t.Errorf("fenced by the live lease: %v", err)
	}
	// Unfenced writes (migrate-state, a single process) are not checked.
	if err := s.SaveFetchState(ctx, store.FetchState{Source: "other", ETag: "x"}); err != nil {
		t.Errorf("unfenced save: %v", err)
	}
}

func claim(t *testing.T, s *Store, tick time.Time, owner string) {
	t.Helper()
	won, err := s.ClaimTick(context.Background(), "feed", tick, owner, time.Minute)
	if err != nil || !won {
		t.Fatalf("%s claims %v = %v, %v; want a win", owner, tick, won, err)
	}
}
