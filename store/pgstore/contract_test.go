package pgstore

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// The first of the contract tests: the same checks run against the SQLite
// store and this one, through the methods both have. The rest follow as
// pgstore gains the store's methods.

// fetchStates is the fetch-state part of the store interface.
type fetchStates interface {
	FetchState(ctx context.Context, source string) (store.FetchState, error)
	SaveFetchState(ctx context.Context, fs store.FetchState) error
	FetchStates(ctx context.Context) ([]store.FetchState, error)
}

// bothStores runs f against a fresh SQLite store and a fresh PostgreSQL one.
func bothStores(t *testing.T, f func(t *testing.T, s fetchStates)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		f(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, openTest(t, pgtest.NewDatabase(t), Options{}))
	})
}

func TestContractFetchState(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 123456000, time.UTC)
	bothStores(t, func(t *testing.T, s fetchStates) {
		ctx := context.Background()
		if _, err := s.FetchState(ctx, "never"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("FetchState(never) err = %v, want store.ErrNotFound", err)
		}
		for _, in := range []store.FetchState{
			{Source: "guardian", ETag: `"abc"`, LastModified: "Wed, 25 Nov 2026 10:00:00 GMT",
				LastFetch: t0, LastResult: "ok", Fetched: true},
			{Source: "guardian", ETag: `"abc"`, LastFetch: t0.Add(time.Minute),
				LastResult: "error", LastError: "status 503", ConsecutiveFailures: 3,
				NextAttempt: t0.Add(8 * time.Minute), Fetched: true},
			{Source: "kremlin", LastResult: "error", LastError: "timeout", ConsecutiveFailures: 1},
		} {
			if err := s.SaveFetchState(ctx, in); err != nil {
				t.Fatal(err)
			}
			got, err := s.FetchState(ctx, in.Source)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, in) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, in)
			}
		}
		all, err := s.FetchStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || all[0].Source != "guardian" || all[1].Source != "kremlin" || all[0].ConsecutiveFailures != 3 {
			t.Errorf("FetchStates = %+v, want guardian (3 failures), kremlin", all)
		}
	})
}
