//go:build unix

package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

// benchWindow is the story window of the benchmarks (the SPEC's example).
const benchWindow = 72 * time.Hour

// benchStories is how many stories are in the window before measuring.
const benchStories = 100_000

// randomStory returns a story like story.Sign and story.Bands make: a
// 128-byte signature and 42 band keys, each carrying its band's index in its
// top bits and random below.
func randomStory(rng *rand.Rand) *NewStory {
	sig := make([]byte, 128)
	for i := range sig {
		sig[i] = byte(rng.Uint32())
	}
	bands := make([]int64, 42)
	for i := range bands {
		bands[i] = int64(uint64(i)<<56 | rng.Uint64()&(1<<56-1))
	}
	return &NewStory{Signature: sig, Bands: bands}
}

// benchItem is the item of the i-th article of a benchmark.
func benchItem(i int) Item {
	link := fmt.Sprintf("https://www.example.com/world/2026/nov/26/article-%d", i)
	return Item{Source: "guardian-world", Key: link, CanonicalLink: link,
		ContentHash: "0123456789abcdef0123456789abcdef", Rules: []string{"kremlin"}}
}

// seedStories fills the store at path with n stories (and their items)
// spread over the window ending at now, in one transaction, then reopens it
// (building the band index from the table, as a restarted daemon does) and
// returns the reopened store.
func seedStories(b *testing.B, s *SQLite, path string, rng *rand.Rand, n int, now time.Time) *SQLite {
	b.Helper()
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	for i := range n {
		created := now.Add(-time.Duration(rng.Int64N(int64(benchWindow - time.Hour))))
		it := benchItem(-i - 1)
		st, err := s.insertStory(ctx, tx, randomStory(rng), created)
		if err != nil {
			b.Fatal(err)
		}
		it.StoryID = st.id
		if err := s.upsertItem(ctx, tx, it, created); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	// A daemon's database is checkpointed; one big seeding transaction
	// would otherwise leave every page in the WAL.
	if _, err := s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	s.Close()
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start, c0 := time.Now(), cpuTime()
	s, err = OpenSQLite(ctx, path, func() time.Time { return now })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	wall, cpu := time.Since(start), cpuTime()-c0
	runtime.GC()
	runtime.ReadMemStats(&m1)
	b.Logf("reopen with %d stories: %v wall, %v CPU; heap %.0f MB after, %.0f MB before",
		n, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(m1.HeapAlloc)/1e6, float64(m0.HeapAlloc)/1e6)
	return s
}

// BenchmarkStoryLookupInsert is the per-article story step of the pipeline
// with 100,000 stories in the window: look up candidates by the new
// article's band keys, then record the article with a new story, either in
// its own transaction (Record) or with the other articles of its fetch
// (RecordBatch of 30, a feed's worth).
func BenchmarkStoryLookupInsert(b *testing.B) {
	s, _, path := openTest(b)
	rng := rand.New(rand.NewPCG(1, 2))
	s = seedStories(b, s, path, rng, benchStories, t0)
	since := t0.Add(-benchWindow)
	n := 0 // article numbers continue across sub-benchmarks
	b.Run("lookup-only", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		c0, ops := cpuTime(), 0
		for b.Loop() {
			if _, err := s.StoryCandidates(ctx, randomStory(rng).Bands, since); err != nil {
				b.Fatal(err)
			}
			ops++
		}
		reportRates(b, ops, c0, "lookups")
	})
	for _, batch := range []int{1, 30} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			var pending []Record
			flush := func() {
				if batch == 1 {
					_, err := s.Record(ctx, pending[0])
					pending = pending[:0]
					if err != nil {
						b.Fatal(err)
					}
					return
				}
				res, err := s.RecordBatch(ctx, pending)
				pending = pending[:0]
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range res {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
				}
			}
			start, c0 := n, cpuTime()
			for b.Loop() {
				ns := randomStory(rng)
				if _, err := s.StoryCandidates(ctx, ns.Bands, since); err != nil {
					b.Fatal(err)
				}
				pending = append(pending, Record{Item: benchItem(n), NewStory: ns})
				if len(pending) == batch {
					flush()
				}
				n++
			}
			if len(pending) > 0 {
				flush()
			}
			reportRates(b, n-start, c0, "articles")
		})
	}
}

// BenchmarkRecord measures Record alone for the shapes an article takes: a
// seen-before item, an item with a new story, and one that also alerts.
func BenchmarkRecord(b *testing.B) {
	cases := []struct {
		name   string
		record func(rng *rand.Rand, i int) Record
	}{
		{"item", func(_ *rand.Rand, i int) Record { return Record{Item: benchItem(i)} }},
		{"item+story", func(rng *rand.Rand, i int) Record {
			return Record{Item: benchItem(i), NewStory: randomStory(rng)}
		}},
		{"item+story+alert", func(rng *rand.Rand, i int) Record {
			a := newAlert(model.AlertNew, "#news", fmt.Sprintf("Kremlin says %d", i))
			a.Article.Body = strings.Repeat("Kremlin talks continue in Moscow. ", 60) // ~2 KB
			return Record{Item: benchItem(i), NewStory: randomStory(rng), Alerts: []model.Alert{a}}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			s, _, _ := openTest(b)
			rng := rand.New(rand.NewPCG(3, 4))
			b.ReportAllocs()
			n, c0 := 0, cpuTime()
			for b.Loop() {
				if _, err := s.Record(ctx, c.record(rng, n)); err != nil {
					b.Fatal(err)
				}
				n++
			}
			reportRates(b, n, c0, "records")
		})
	}
}

// reportRates reports n operations per wall-clock second and per CPU second
// of the process (user + system, since c0). The machine the numbers are
// taken on is shared, so the CPU rate is the steadier "on one core" figure.
func reportRates(b *testing.B, n int, c0 time.Duration, unit string) {
	cpu := cpuTime() - c0
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), unit+"/s")
	b.ReportMetric(float64(n)/cpu.Seconds(), unit+"/cpu-s")
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
