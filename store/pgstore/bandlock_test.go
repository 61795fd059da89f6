package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// inTx runs f in a transaction on pool and commits.
func inTx(ctx context.Context, pool *pgxpool.Pool, f func(pgx.Tx) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// bandSet is n keys from lo, in ascending order, or descending if rev.
func bandSet(lo, n int64, rev bool) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = lo + int64(i)
	}
	if rev {
		slices.Reverse(s)
	}
	return s
}

// TestLockBandsNoDeadlock: two recorders lock overlapping band sets over and
// over, one handing its keys in ascending order and the other descending
// (and with negative keys, where int64 and uint64 order differ). Unsorted,
// they deadlock and PostgreSQL aborts one (SQLSTATE 40P01); sorted, they
// queue.
func TestLockBandsNoDeadlock(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	pools := []*pgxpool.Pool{openTest(t, dsn, Options{}).Pool(), openTest(t, dsn, Options{}).Pool()}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sets := [][]int64{bandSet(-20, 42, false), bandSet(-10, 42, true)}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for g := range 2 {
		wg.Go(func() {
			for i := 0; i < 100 && errs[g] == nil; i++ {
				errs[g] = inTx(ctx, pools[g], func(tx pgx.Tx) error {
					if g == 1 {
						u := make([]uint64, len(sets[g]))
						for j, k := range sets[g] {
							u[j] = uint64(k)
						}
						return LockBands(ctx, tx, u)
					}
					return LockBands(ctx, tx, sets[g])
				})
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// waiters counts sessions waiting for an advisory lock on the database.
func waiters(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var n int
	err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n)
	return n, err
}

// TestLockBandsSerialises: while one transaction holds bands {1,2,3}, a
// second that wants {3,4} waits (PostgreSQL shows it waiting), one that
// wants {5,6} does not; the second goes on once the first commits.
func TestLockBandsSerialises(t *testing.T) {
	t.Parallel()
	pool := openTest(t, pgtest.NewDatabase(t), Options{}).Pool()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(ctx)
	if err := LockBands(ctx, first, []int64{3, 1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := inTx(ctx, pool, func(tx pgx.Tx) error { return LockBands(ctx, tx, []int64{5, 6}) }); err != nil {
		t.Fatalf("disjoint bands: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- inTx(ctx, pool, func(tx pgx.Tx) error { return LockBands(ctx, tx, []int64{4, 3}) }) }()
	for {
		n, err := waiters(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the overlapping transaction finished (%v) while the first held band 3", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("after the first committed: %v", err)
	}
}

// TestLockBandsFoldsCopies is the race the locks exist for: replicas
// record copies of one story at the same instant, each in a transaction
// that looks for a story sharing a band and makes one if there is none.
// The copies' band sets overlap but differ, as near duplicates' do. With
// the locks they make one story and every copy joins it; without them,
// several look-ups run before any insert commits and make several stories.
func TestLockBandsFoldsCopies(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	pools := []*pgxpool.Pool{openTest(t, dsn, Options{}).Pool(), openTest(t, dsn, Options{}).Pool()}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const copies = 8
	var wg sync.WaitGroup
	errs := make([]error, copies)
	start := make(chan struct{})
	for i := range copies {
		// A core of 30 bands every copy has, and 12 of its own.
		bands := append(bandSet(1000, 30, i%2 == 0), bandSet(int64(2000+100*i), 12, false)...)
		wg.Go(func() {
			<-start
			errs[i] = inTx(ctx, pools[i%2], func(tx pgx.Tx) error {
				if err := LockBands(ctx, tx, bands); err != nil {
					return err
				}
				return recordCopy(ctx, tx, fmt.Sprintf("copy-%d", i), bands)
			})
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var stories, items, folded int
	err := pools[0].QueryRow(ctx, `SELECT (SELECT count(*) FROM stories), (SELECT count(*) FROM items),
		(SELECT count(*) FROM items WHERE story_id = (SELECT min(id) FROM stories))`).Scan(&stories, &items, &folded)
	if err != nil {
		t.Fatal(err)
	}
	if stories != 1 || items != copies || folded != copies {
		t.Errorf("%d stories, %d items, %d in the first story; want 1 story holding all %d copies", stories, items, folded, copies)
	}
}

// recordCopy is the shape of a recorder's transaction: find a story in the
// window sharing a band, else create one with its bands, then write the
// item in it.
func recordCopy(ctx context.Context, tx pgx.Tx, key string, bands []int64) error {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cands, err := CandidatesTx(ctx, tx, bands, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	var story int64
	if len(cands) > 0 {
		story = cands[0].ID
	} else if story, err = insertStory(ctx, tx, store.NewStory{Signature: []byte(key), Bands: bands}, now); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO items (source, key, story_id, first_seen) VALUES ('s', $1, $2, 1)`, key, story)
	return err
}

func TestLinkKey(t *testing.T) {
	a, b := LinkKey("https://example.com/a"), LinkKey("https://example.com/b")
	if a == b || a != LinkKey("https://example.com/a") {
		t.Errorf("LinkKey: a %d, b %d: want stable and distinct", a, b)
	}
}
