package pgstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// The cost of the coordination primitives, one call at a time on one
// connection's round trips to the local server (go test -bench . -run ^$
// ./store/pgstore/; docs/benchmarks.md, "PostgreSQL coordination").

func BenchmarkClaimTick(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	runs := 0
	b.Run("win", func(b *testing.B) {
		runs++ // -count reruns this on the same database
		src := fmt.Sprintf("feed-%d", runs)
		for i := 0; b.Loop(); i++ {
			// Each claim a later tick of a done lease: the update path.
			tick := t0.Add(time.Duration(i) * time.Minute)
			if won, err := s.ClaimTick(ctx, src, tick, "r1", time.Minute); err != nil || !won {
				b.Fatal(won, err)
			}
			if err := s.ReleaseTick(ctx, src, tick, "r1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lose", func(b *testing.B) {
		if _, err := s.ClaimTick(ctx, "held", t0, "r1", time.Hour); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if won, err := s.ClaimTick(ctx, "held", t0, "r2", time.Hour); err != nil || won {
				b.Fatal(won, err)
			}
		}
	})
}

func BenchmarkReserveSend(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := s.ReserveSend(ctx, "C1", t0, time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHeartbeat(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	r := Replica{ID: "r1", Host: "h", PID: 1, Version: "v", ConfigHash: "c"}
	for b.Loop() {
		if err := s.Heartbeat(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLockBands: a transaction that takes a story's 42 band locks
// and commits, against the same without locks.
func BenchmarkLockBands(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	bands := bandSet(1, 42, true)
	for _, lock := range []bool{false, true} {
		b.Run(fmt.Sprintf("locks=%v", lock), func(b *testing.B) {
			for b.Loop() {
				err := inTx(ctx, s.Pool(), func(tx pgx.Tx) error {
					if lock {
						return LockBands(ctx, tx, bands)
					}
					_, err := tx.Exec(ctx, `SELECT 1`)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStoryCandidates: the band look-up in the database with n
// stories of 42 bands in the window, for the bands of one of them (a
// copy: one candidate) and for bands no story has (a new story).
func BenchmarkStoryCandidates(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("stories=%d", n), func(b *testing.B) {
			s := openBench(b)
			ctx := context.Background()
			fillStories(b, s, n)
			var hit []int64
			if err := s.Pool().QueryRow(ctx, `SELECT array_agg(band) FROM story_bands WHERE story_id = $1`, n/2).Scan(&hit); err != nil {
				b.Fatal(err)
			}
			miss := bandSet(1, 42, false) // the fill's keys are hashes; these small ones are not among them
			for name, bands := range map[string][]int64{"copy": hit, "new": miss} {
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						if _, err := s.StoryCandidates(ctx, bands, time.UnixMicro(0)); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// fillStories writes n stories of 42 pseudo-random band keys in SQL.
func fillStories(b *testing.B, s *Store, n int) {
	b.Helper()
	ctx := context.Background()
	if _, err := s.Pool().Exec(ctx, `INSERT INTO stories (id, signature, created)
		SELECT i, '\x00', i FROM generate_series(1, $1::bigint) AS i`, n); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO story_bands (band, created, story_id)
		SELECT ('x' || substr(md5(i || ':' || j), 1, 16))::bit(64)::bigint, i, i
		FROM generate_series(1, $1::bigint) AS i, generate_series(1, 42) AS j`, n); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

func openBench(b *testing.B) *Store {
	b.Helper()
	s, err := Open(context.Background(), pgtest.NewDatabase(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	return s
}
