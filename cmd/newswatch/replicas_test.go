package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store/pgstore"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestReplicasEndToEnd: three `newswatch run` processes of the built
// binary on one PostgreSQL database, the crash test's feeds (stories
// appearing over time, some republished by a second outlet) and its fake
// Slack. One replica is SIGKILLed mid-run and started again. Every story
// is posted exactly once, its copies threaded under it; each feed is
// fetched at most once per tick across the replicas. The leases are
// shortened (NEWSWATCH_TICK_LEASE, NEWSWATCH_CLAIM_LEASE) so that what the
// killed replica held passes to the others within the test.
func TestReplicasEndToEnd(t *testing.T) {
	bin := newswatchBinary(t)
	dsn := pgtest.NewDatabase(t)
	dir := t.TempDir()
	slack := newCrashSlack(t)
	slack.accept = 30 * time.Millisecond
	feeds := newCrashFeeds(t, rand.New(rand.NewPCG(13, 13)), crashKeywords, 4, 2)
	var mu sync.Mutex
	hits := map[string]int{}
	counted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		feeds.serve(w, r)
	}))
	defer counted.Close()
	cfgPath := writeCrashConfig(t, dir, counted.URL, slack.URL, crashKeywords, false)
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "state: "+filepath.Join(dir, "state.db"), "state: "+dsn, 1))
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	procs := make([]*daemonProc, 3)
	for i := range procs {
		procs[i] = startReplica(t, bin, cfgPath, filepath.Join(dir, fmt.Sprintf("replica%d.log", i)))
	}
	time.Sleep(2500 * time.Millisecond)
	procs[1].signal(syscall.SIGKILL)
	<-procs[1].done
	time.Sleep(time.Second)
	procs[1] = startReplica(t, bin, cfgPath, filepath.Join(dir, "replica1-again.log"))

	want := 0
	for _, st := range feeds.stories {
		want += len(st)
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if len(deliveredTitles(slack, false)) >= want && feeds.revealed() > 4 && pending(t, dsn) == 0 {
			break
		}
	}
	for _, p := range procs {
		p.signal(syscall.SIGTERM)
	}
	for i, p := range procs {
		<-p.done
		if p.code != 0 {
			t.Errorf("replica %d: exit code %d after SIGTERM", i, p.code)
		}
	}
	elapsed := time.Since(start)

	got := deliveredTitles(slack, false)
	for kw, stories := range feeds.stories {
		for i := range stories {
			key := fmt.Sprintf("%s dispatch %d", kw, i)
			if got[key] != 1 {
				t.Errorf("%s posted %d times, want once", key, got[key])
			}
		}
	}
	checkThreads(t, slack)
	mu.Lock()
	defer mu.Unlock()
	// "@every 1s": one fetch a tick, plus a boundary's.
	for path, n := range hits {
		if max := int(elapsed/time.Second) + 2; n > max {
			t.Errorf("%s fetched %d times in %s, want at most %d (one per tick)", path, n, elapsed.Round(time.Millisecond), max)
		}
	}
	t.Logf("%d stories in %s; fetches per feed %v", want, elapsed.Round(time.Millisecond), hits)
}

// startReplica runs the binary as one replica, without start jitter and
// with short leases.
func startReplica(t *testing.T, bin, cfg, logPath string) *daemonProc {
	t.Helper()
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	p := startDaemon(t, bin, cfg, log, "NEWSWATCH_TICK_LEASE=3s", "NEWSWATCH_CLAIM_LEASE=4s")
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	return p
}

func pending(t *testing.T, dsn string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pg, err := pgstore.Open(ctx, dsn, pgstore.Options{ReadOnly: true})
	if err != nil {
		return -1
	}
	defer pg.Close()
	c, err := pg.AlertCounts(ctx)
	if err != nil {
		return -1
	}
	return c.Pending
}

// checkThreads: every reply is in the thread of a top-level post, and no
// story has two threads.
func checkThreads(t *testing.T, s *crashSlack) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var tops []string
	for _, m := range s.msgs {
		if m.threadTS == "" {
			tops = append(tops, m.ts)
		}
	}
	replies := 0
	for _, m := range s.msgs {
		if m.threadTS != "" {
			replies++
			if !slices.Contains(tops, m.threadTS) {
				t.Errorf("reply %q threads under %s, which is no post", m.text, m.threadTS)
			}
		}
	}
	if replies == 0 {
		t.Error("no copy was threaded (the copies feed republishes stories)")
	}
}
