package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/model"
)

// passStats is one pass over all feeds.
type passStats struct {
	wall, cpu        time.Duration
	ok, notModified  int64
	failed, articles int64
	firstErr         error
}

// runClient makes two passes: a full one, then a conditional one with the
// validators from the first.
func runClient(ctx context.Context, cfg config, addrs []string, w io.Writer) error {
	fc := fetch.New(fetch.Options{
		UserAgent:   "newswatch-fetchbench/1.0",
		GlobalConns: cfg.global,
		Feeds:       feedPace(cfg),
		Unpaced:     cfg.rate < 0,
	})
	cr := crawler.New(crawler.Options{Fetch: fc})
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	etags := make([]string, cfg.feeds)
	fmt.Fprintf(w, "fetchbench: %d feeds on %d loopback hosts, %s latency, GOMAXPROCS=%d, global=%d pace=%+v unpaced=%v\n",
		cfg.feeds, len(addrs), cfg.latency, runtime.GOMAXPROCS(0), cfg.global, feedPace(cfg), cfg.rate < 0)
	peaks := sampleMemory(ctx)
	var passes [2]passStats
	for pass, name := range []string{"full", "conditional"} {
		st := runPass(ctx, fetcher(cfg, fc, cr), cfg.feeds, cfg.workers, addrs, etags)
		passes[pass] = st
		fmt.Fprintf(w, "pass %d (%s): wall %s, cpu %s, ok %d, 304 %d (%.1f%%), failed %d, articles %d\n",
			pass+1, name, st.wall.Round(time.Millisecond), st.cpu.Round(time.Millisecond),
			st.ok, st.notModified, 100*float64(st.notModified)/float64(cfg.feeds), st.failed, st.articles)
		if st.firstErr != nil {
			fmt.Fprintf(w, "  first error: %v\n", st.firstErr)
		}
	}
	rss := float64(maxRSS()) / 1024
	heap, stacks := peaks()
	fmt.Fprintf(w, "peak RSS (client process): %.1f MB (sampled peaks: heap in use %.1f MB, goroutine stacks %.1f MB)\n",
		rss, float64(heap)/(1<<20), float64(stacks)/(1<<20))
	if a := passes[0].articles; a > 0 {
		fmt.Fprintf(w, "cpu per article (pass 1): %.1f µs\n", float64(passes[0].cpu.Microseconds())/float64(a))
	}
	fmt.Fprintf(w, "targets (issue 12, at 10,000 feeds): pass 1 <= 10s %s; pass 2 <= 5s %s; peak RSS <= 150 MB %s; every feed 304 on pass 2 %s\n",
		verdict(passes[0].wall <= 10*time.Second), verdict(passes[1].wall <= 5*time.Second), verdict(rss <= 150),
		verdict(passes[1].notModified == int64(cfg.feeds)))
	return nil
}

// feedPace is the default feed pace with the flags' changes.
func feedPace(cfg config) fetch.Pace {
	p := fetch.DefaultFeedPace
	if cfg.rate > 0 {
		p.Rate = rate.Limit(cfg.rate)
	}
	if cfg.burst > 0 {
		p.Burst = cfg.burst
	}
	if cfg.perHost > 0 {
		p.Conns = cfg.perHost
	}
	return p
}

func verdict(ok bool) string {
	if ok {
		return "MET"
	}
	return "MISSED"
}

// runPass fetches every feed once, all at the same time, as a cron tick
// that fires every source would; fetch's limits do the pacing. With
// workers > 0 only that many fetches are under way at once (as `once`
// runs its pass), so fewer callers wait inside fetch.
func runPass(ctx context.Context, get getFunc, feeds, workers int, addrs []string, etags []string) passStats {
	var st passStats
	var ok, nm, failed, arts atomic.Int64
	var errOnce sync.Once
	cpu0, start := cpuTime(), time.Now()
	var wg sync.WaitGroup
	if workers <= 0 {
		workers = feeds
	}
	sem := make(chan struct{}, workers)
	for i := 0; i < feeds; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := get(ctx, i, feedURL(addrs, i), etags[i])
			switch {
			case err != nil:
				failed.Add(1)
				errOnce.Do(func() { st.firstErr = err })
			case res.NotModified:
				nm.Add(1)
			default:
				ok.Add(1)
				arts.Add(int64(len(res.Articles)))
				etags[i] = res.ETag
			}
		})
	}
	wg.Wait()
	st.wall, st.cpu = time.Since(start), cpuTime()-cpu0
	st.ok, st.notModified, st.failed, st.articles = ok.Load(), nm.Load(), failed.Load(), arts.Load()
	return st
}

// getFunc fetches feed i; it returns a crawler.Result either way.
type getFunc func(ctx context.Context, i int, url, etag string) (*crawler.Result, error)

// fetcher reads a feed through the crawler (fetch, charset, gofeed, text
// extraction, canonical links), or with -fetch-only through fetch.Get alone.
func fetcher(cfg config, fc *fetch.Client, cr *crawler.Crawler) getFunc {
	if cfg.fetchOnly {
		return func(ctx context.Context, i int, url, etag string) (*crawler.Result, error) {
			resp, err := fc.Get(ctx, fetch.Request{URL: url, ETag: etag, AllowPrivate: true})
			if err != nil {
				return nil, err
			}
			return &crawler.Result{NotModified: resp.NotModified, ETag: resp.ETag}, nil
		}
	}
	return func(ctx context.Context, i int, url, etag string) (*crawler.Result, error) {
		src := model.Source{Name: fmt.Sprintf("feed-%d", i), Feed: url}
		return cr.Fetch(ctx, crawler.Request{Source: src, ETag: etag})
	}
}

// sampleMemory records the peaks of heap and stack memory every 50 ms, to
// say what the peak RSS is made of; the returned function reads them.
func sampleMemory(ctx context.Context) func() (heap, stacks uint64) {
	var mu sync.Mutex
	var h, st uint64
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			mu.Lock()
			h, st = max(h, ms.HeapInuse), max(st, ms.StackInuse)
			mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		mu.Lock()
		defer mu.Unlock()
		return h, st
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// maxRSS is the peak resident set size in KiB (Linux reports ru_maxrss in KiB).
func maxRSS() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}
