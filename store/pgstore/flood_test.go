package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/flood"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// single is a record of a story's own AlertNew in #news that moves the
// channel's window from prev to next.
func single(src, key string, band int64, prev, next flood.Window) store.Record {
	return store.Record{
		Item:     store.Item{Source: src, Key: key},
		NewStory: &store.NewStory{Signature: []byte(key), Bands: []int64{band}},
		Alerts:   []model.Alert{{Kind: model.AlertNew, Channel: "#news", Rules: []string{"r"}, Article: model.Article{Title: key}}},
		Windows:  []store.WindowState{{Channel: "#news", Window: next, Prev: prev}},
	}
}

// TestRaceWindowsPostOneLastSingle: two replicas both read #news's window
// with one single left (9 of a burst of 10) and each decides to post its
// own story single. The window is written only if still the one decided
// from, under the channel's lock: exactly one record posts, the other
// fails with ErrWindowMoved (written nothing, to be decided again, then
// held). The same holds when both find the window over and open a new
// one at slightly different instants. Without the check both would post:
// 11 singles in a window of 10.
func TestRaceWindowsPostOneLastSingle(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	dsn := pgtest.NewDatabase(t)
	replicas := []*Store{openTest(t, dsn, Options{}), openTest(t, dsn, Options{})}
	ctx := context.Background()
	nine := flood.Window{Start: t0, Singles: 9}
	record := func(t *testing.T, s *Store, f store.Fetch) []store.RecordResult {
		t.Helper()
		res, err := s.RecordFetch(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := record(t, replicas[0], store.Fetch{Source: "seed", Records: []store.Record{
		single("seed", "seed", 1000, flood.Window{}, nine)}}); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	for round, tc := range []struct {
		name       string
		prev, next func(i int) flood.Window
	}{
		{"last single of the window", func(int) flood.Window { return nine },
			func(int) flood.Window { return flood.Window{Start: t0, Singles: 10} }},
		{"first single of a new window", func(int) flood.Window { return flood.Window{Start: t0, Singles: 10} },
			func(i int) flood.Window {
				return flood.Window{Start: t0.Add(time.Hour + time.Duration(i)*time.Millisecond), Singles: 1}
			}},
	} {
		fetches := make([]store.Fetch, len(replicas))
		for i := range replicas {
			src := fmt.Sprintf("feed%d", i)
			fetches[i] = store.Fetch{Source: src, Records: []store.Record{
				single(src, fmt.Sprintf("r%d-%d", round, i), int64(round*10+i), tc.prev(i), tc.next(i))}}
		}
		errs := recordAtOnce(ctx, replicas, fetches)
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("%s: record errors %v, want exactly one to fail", tc.name, errs)
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, ErrWindowMoved) {
				t.Fatalf("%s: record error %v, want ErrWindowMoved", tc.name, err)
			}
		}
		var alerts int
		if err := replicas[0].Pool().QueryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE payload::jsonb->'article'->>'title' LIKE $1`,
			fmt.Sprintf("r%d-%%", round)).Scan(&alerts); err != nil {
			t.Fatal(err)
		}
		if alerts != 1 {
			t.Errorf("%s: %d alerts posted, want 1", tc.name, alerts)
		}
	}
	windows, _, err := replicas[1].FloodState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w := windows["#news"]; w.Singles != 1 || !w.Start.After(t0) {
		t.Errorf("window = %+v, want the new window's first single", w)
	}
}

// TestWindowsChainInOneFetch: one fetch posting several singles in a
// channel chains its windows (each record's Prev the last one's window);
// a record whose Prev is stale fails alone. The window opens at a time
// finer than the stored microseconds, as the daemon's clock gives it: the
// second record's Prev is still the window the first wrote.
func TestWindowsChainInOneFetch(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.UTC)
	s := openTest(t, pgtest.NewDatabase(t), Options{})
	w := func(n int) flood.Window { return flood.Window{Start: t0, Singles: n} }
	res, err := s.RecordFetch(context.Background(), store.Fetch{Source: "f", Records: []store.Record{
		single("f", "a", 1, flood.Window{}, w(1)),
		single("f", "b", 2, w(1), w(2)),
		single("f", "c", 3, w(1), w(2)), // decided from a window already moved
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[1].Err != nil || !errors.Is(res[2].Err, ErrWindowMoved) {
		t.Fatalf("results = %+v, want a and b written, c ErrWindowMoved", res)
	}
	if c, _ := s.AlertCounts(context.Background()); c.Pending != 2 {
		t.Errorf("pending = %d, want 2", c.Pending)
	}
}

// digestParts is a one-part digest of n held articles in #news.
func digestParts(n int) []model.Alert {
	return []model.Alert{{Channel: "#news", Digest: &model.Digest{Channel: "#news", Part: 1, Parts: 1, Total: n}}}
}

// holdIn records item key held in b.
func holdIn(t *testing.T, s *Store, key string, b flood.Bucket) {
	t.Helper()
	res, err := s.RecordFetch(context.Background(), store.Fetch{Source: "f", Records: []store.Record{{
		Item:  store.Item{Source: "f", Key: key},
		Holds: []store.Hold{{Bucket: b, Rules: []string{"r"}, Article: model.Article{Title: key}}},
	}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("hold %s: %v %+v", key, err, res)
	}
}

// TestPostDigestAcrossReplicas: a digest assembled by one replica while
// another holds an article into it is not posted without that article
// (ErrDigestChanged, nothing written, still open); and two replicas
// posting one digest at once post it once.
func TestPostDigestAcrossReplicas(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	dsn := pgtest.NewDatabase(t)
	a, b := openTest(t, dsn, Options{}), openTest(t, dsn, Options{})
	ctx := context.Background()
	bucket := flood.Bucket{Channel: "#news", Key: flood.FloodKey, Opened: t0, Due: t0.Add(10 * time.Minute)}
	holdIn(t, a, "one", bucket)
	open, err := a.OpenDigests(ctx)
	if err != nil || len(open) != 1 {
		t.Fatalf("open = %+v, %v", open, err)
	}
	id := open[0].ID
	parts := digestParts(1) // assembled from "one"
	holdIn(t, b, "two", bucket)
	if ok, err := a.PostDigest(ctx, id, parts); ok || !errors.Is(err, ErrDigestChanged) {
		t.Fatalf("PostDigest of a stale assembly = %v, %v; want ErrDigestChanged", ok, err)
	}
	if c, _ := a.AlertCounts(ctx); c.Pending != 0 {
		t.Errorf("after the refusal: %d pending, want 0", c.Pending)
	}
	if open, _ := a.OpenDigests(ctx); len(open) != 1 {
		t.Errorf("after the refusal: open %+v, want the digest still open", open)
	}

	oks := make([]bool, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			oks[i], errs[i] = s.PostDigest(ctx, id, digestParts(2))
		}()
	}
	close(start)
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || oks[0] == oks[1] {
		t.Fatalf("two replicas posting = %v, %v; want exactly one true, no error", oks, errs)
	}
	if c, _ := a.AlertCounts(ctx); c.Pending != 1 {
		t.Errorf("pending = %d, want the digest once", c.Pending)
	}
}
