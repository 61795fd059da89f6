package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store"
)

// Leases is what a store shared by replicas adds (pgstore): tick leases,
// which fence fetch-state writes (store.Fence). A store without them
// (SQLite: one process, no other writer) writes a fenced state as any.
type Leases interface {
	ClaimTick(ctx context.Context, source string, tick time.Time, owner string, ttl time.Duration) (bool, error)
}

// testFence: a fenced state is written, and read back without its fence.
// Where there are leases: replica a claims tick 1 and fetches past its
// lease; b claims tick 2 and saves ETag "new"; a's late writes of ETag
// "old", a lone SaveFetchState (a 304, a failure) and a RecordFetch's
// state, are refused with ErrLeaseLost and write nothing.
func testFence(t *testing.T, s Store, c *clock) {
	ctx := context.Background()
	leases, shared := s.(Leases)
	claim := func(tick time.Time, owner string) {
		t.Helper()
		if won, err := leases.ClaimTick(ctx, "feed", tick, owner, time.Minute); err != nil || !won {
			t.Fatalf("%s claims %v = %v, %v; want a win", owner, tick, won, err)
		}
	}
	fenceA := &store.Fence{Owner: "a", Tick: T0}
	if shared {
		claim(T0, "a")
	}
	must(t, s.SaveFetchState(ctx, store.FetchState{Source: "feed", ETag: "first", Fence: fenceA}))
	if got, err := s.FetchState(ctx, "feed"); err != nil || got.ETag != "first" || got.Fence != nil {
		t.Fatalf("fenced save under its lease: read back %+v, %v; want ETag first, no fence", got, err)
	}
	if !shared {
		return
	}
	c.t = T0.Add(2 * time.Minute) // a's fetch outlived its lease
	claim(T0.Add(time.Minute), "b")
	must(t, s.SaveFetchState(ctx, store.FetchState{Source: "feed", ETag: "new", LastResult: "ok",
		Fence: &store.Fence{Owner: "b", Tick: T0.Add(time.Minute)}}))

	old := store.FetchState{Source: "feed", ETag: "old", LastResult: "error", ConsecutiveFailures: 1, Fence: fenceA}
	if err := s.SaveFetchState(ctx, old); !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("a's late SaveFetchState: err = %v, want ErrLeaseLost", err)
	}
	res, err := s.RecordFetch(ctx, store.Fetch{Source: "feed",
		Records: []store.Record{{Item: store.Item{Source: "feed", Key: "late"}}}, State: &old})
	if !errors.Is(err, store.ErrLeaseLost) || res != nil {
		t.Errorf("a's late RecordFetch = %v, %v; want nil, ErrLeaseLost", res, err)
	}
	if got, err := s.FetchState(ctx, "feed"); err != nil || got.ETag != "new" || got.ConsecutiveFailures != 0 {
		t.Errorf("state after a's late writes = %+v, %v; want b's: ETag new, no failures", got, err)
	}
	if k, err := s.KnownItems(ctx, "feed", []string{"late"}, nil); err != nil || len(k.ByKey) != 0 {
		t.Errorf("the refused fetch's item: %+v, %v; want nothing written", k.ByKey, err)
	}
}
