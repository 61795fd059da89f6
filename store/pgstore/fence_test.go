package pgstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

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

// TestFencedWriteLocksTheLease: until a fenced write commits, its lease
// row is share-locked, so a claim of the next tick (an UPDATE of that row)
// waits for the write and then reads its state, never an older one.
func TestFencedWriteLocksTheLease(t *testing.T) {
	t.Parallel()
	s := openTest(t, pgtest.NewDatabase(t), Options{})
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	claim(t, s, t0, "a")
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := saveState(ctx, tx, store.FetchState{Source: "feed", ETag: "a", Fence: &store.Fence{Owner: "a", Tick: t0}}); err != nil {
		t.Fatal(err)
	}
	const lockRow = `SELECT 1 FROM tick_leases WHERE source = 'feed' FOR UPDATE NOWAIT`
	var pe *pgconn.PgError
	if _, err := s.Pool().Exec(ctx, lockRow); !errors.As(err, &pe) || pe.Code != "55P03" {
		t.Errorf("lease row during the fenced write: %v, want it locked (55P03)", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, lockRow); err != nil {
		t.Errorf("lease row after the commit: %v, want it free", err)
	}
}
