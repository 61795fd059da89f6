package main

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestReplicasEndToEnd: three `newswatch run` processes of the built
// binary on one PostgreSQL database, the crash test's feeds (stories
// appearing over time, some republished by a second outlet) and its fake
// Slack. One replica is SIGKILLed mid-run and started again, then another
// is stopped with SIGTERM and started again. Every story
// is posted exactly once, its copies threaded under it; each feed is
// fetched at most once per tick across the replicas. The leases are
// shortened (NEWSWATCH_TICK_LEASE, NEWSWATCH_CLAIM_LEASE) so that what the
// killed replica held passes to the others within the test.
func TestReplicasEndToEnd(t *testing.T) {
	r := startReplicaRun(t, pgtest.NewDatabase(t), 13, 4, "")
	time.Sleep(2500 * time.Millisecond)
	r.procs[1].signal(syscall.SIGKILL)
	<-r.procs[1].done
	time.Sleep(time.Second)
	r.restart(t, 1)
	// And another replica is restarted cleanly (a rolling deploy): the
	// claims it gives back on SIGTERM go to the others at once.
	time.Sleep(1500 * time.Millisecond)
	r.procs[2].signal(syscall.SIGTERM)
	<-r.procs[2].done
	r.restart(t, 2)

	waitDelivered(r.slack, r.feeds, r.dsn, 60*time.Second)
	elapsed := r.finish(t)
	t.Logf("%d stories in %s; fetches per feed %v", storyCount(r.feeds), elapsed.Round(time.Millisecond), r.counted.counts())
}

// replicaRun is three replicas of the built binary on the database dsn,
// with the crash test's feeds (counted) and fake Slack.
type replicaRun struct {
	bin, dir, cfg, dsn string
	slack              *crashSlack
	feeds              *crashFeeds
	counted            *countedFeeds
	start              time.Time
	procs              []*daemonProc
	logs               []string
}

// restart starts replica i again (after it was stopped), logging to a
// file of its own that a failure shows too, and waits until it runs: a
// SIGTERM that came before its signal handler would kill it outright.
func (r *replicaRun) restart(t *testing.T, i int) {
	log := filepath.Join(r.dir, fmt.Sprintf("replica%d-again-%d.log", i, len(r.logs)))
	r.logs = append(r.logs, log)
	r.procs[i] = startReplica(t, r.bin, r.cfg, log)
	waitFor(t, 20*time.Second, func() bool {
		b, _ := os.ReadFile(log)
		return strings.Contains(string(b), "newswatch running")
	})
}

// startReplicaRun starts the replicas: perKeyword stories per keyword from
// seed, HTTP on listen ("" none). On failure the test logs the end of each
// replica's log.
func startReplicaRun(t *testing.T, dsn string, seed uint64, perKeyword int, listen string) *replicaRun {
	t.Helper()
	r := &replicaRun{bin: newswatchBinary(t), dir: t.TempDir(), dsn: dsn, slack: newCrashSlack(t)}
	r.slack.accept = 30 * time.Millisecond
	r.feeds = newCrashFeeds(t, rand.New(rand.NewPCG(seed, seed)), crashKeywords, perKeyword, 2)
	r.counted = newCountedFeeds(t, r.feeds)
	r.cfg = writeReplicaConfig(t, r.dir, r.counted.URL, r.slack.URL, dsn, listen)
	r.start = time.Now()
	for i := range 3 {
		r.logs = append(r.logs, filepath.Join(r.dir, fmt.Sprintf("replica%d.log", i)))
		r.procs = append(r.procs, startReplica(t, r.bin, r.cfg, r.logs[i]))
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range r.logs {
				b, _ := os.ReadFile(l)
				t.Logf("%s (last 3 KiB):\n%s", filepath.Base(l), b[max(0, len(b)-3072):])
			}
		}
	})
	return r
}

// finish stops the replicas with SIGTERM and checks the run: every story
// and copy delivered once, each feed fetched once per tick. It returns how
// long the run took.
func (r *replicaRun) finish(t *testing.T) time.Duration {
	t.Helper()
	stopReplicas(t, r.procs)
	elapsed := time.Since(r.start)
	checkReplicaRun(t, r.slack, r.feeds, r.dsn)
	r.counted.checkOncePerTick(t, elapsed)
	return elapsed
}

// countedFeeds serves the crash test's feeds and counts the requests per
// feed, to check that the replicas fetch each feed once per tick.
type countedFeeds struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newCountedFeeds(t *testing.T, feeds *crashFeeds) *countedFeeds {
	c := &countedFeeds{hits: map[string]int{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hits[r.URL.Path]++
		c.mu.Unlock()
		feeds.serve(w, r)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *countedFeeds) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.hits)
}

// checkOncePerTick: with "@every 1s", one fetch a tick, plus a boundary's.
func (c *countedFeeds) checkOncePerTick(t *testing.T, elapsed time.Duration) {
	t.Helper()
	for path, n := range c.counts() {
		if max := int(elapsed/time.Second) + 2; n > max {
			t.Errorf("%s fetched %d times in %s, want at most %d (one per tick)", path, n, elapsed.Round(time.Millisecond), max)
		}
	}
}

// writeReplicaConfig is the crash test's config (bot token, every story
// its own alert, "@every 1s") on the database dsn, serving HTTP on listen
// ("" none).
func writeReplicaConfig(t *testing.T, dir, feedURL, slackURL, dsn, listen string) string {
	t.Helper()
	path := writeCrashConfig(t, dir, feedURL, slackURL, crashKeywords, false)
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(cfg), "state: "+filepath.Join(dir, "state.db"), "state: "+dsn, 1)
	s = strings.Replace(s, `listen: ""`, fmt.Sprintf("listen: %q", listen), 1)
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func storyCount(feeds *crashFeeds) int {
	n := 0
	for _, st := range feeds.stories {
		n += len(st)
	}
	return n
}

// waitDelivered waits, up to timeout, until every story is in Slack, the
// feeds have published all of them and the outbox has nothing pending;
// false if that did not happen in time.
func waitDelivered(slack *crashSlack, feeds *crashFeeds, dsn string, timeout time.Duration) bool {
	perKeyword := len(feeds.stories[crashKeywords[0]])
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if len(deliveredTitles(slack, false)) >= storyCount(feeds) && feeds.revealed() > perKeyword {
			if c, err := outboxCounts(dsn); err == nil && c.Pending == 0 {
				return true
			}
		}
	}
	return false
}

// stopReplicas sends every replica SIGTERM and requires exit code 0.
func stopReplicas(t *testing.T, procs []*daemonProc) {
	t.Helper()
	for _, p := range procs {
		p.signal(syscall.SIGTERM)
	}
	for i, p := range procs {
		<-p.done
		if p.code != 0 {
			t.Errorf("replica %d: exit code %d after SIGTERM", i, p.code)
		}
	}
}

// checkReplicaRun: every story posted exactly once, every copy threaded
// once under its story's post, and the outbox has every alert sent.
func checkReplicaRun(t *testing.T, slack *crashSlack, feeds *crashFeeds, dsn string) {
	t.Helper()
	got := deliveredTitles(slack, false)
	for kw, stories := range feeds.stories {
		for i := range stories {
			key := fmt.Sprintf("%s dispatch %d", kw, i)
			if got[key] != 1 {
				t.Errorf("%s posted %d times, want once", key, got[key])
			}
		}
	}
	checkThreads(t, slack, feeds)
	c, err := outboxCounts(dsn)
	if want := storyCount(feeds) + feeds.copies*len(feeds.stories); err != nil || c.Pending != 0 || c.Failed != 0 || c.Sent != want {
		t.Errorf("outbox %+v (err %v), want all %d alerts sent", c, err, want)
	}
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

func outboxCounts(dsn string) (store.AlertCounts, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pg, err := pgstore.Open(ctx, dsn, pgstore.Options{ReadOnly: true})
	if err != nil {
		return store.AlertCounts{}, err
	}
	defer pg.Close()
	return pg.AlertCounts(ctx)
}

// checkThreads: each copy (the copies feed republishes a keyword's first
// feeds.copies stories) is one reply, in the thread of its story's post.
func checkThreads(t *testing.T, s *crashSlack, feeds *crashFeeds) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	posts := map[string]string{} // ts -> story key
	for _, m := range s.msgs {
		if m.threadTS == "" {
			posts[m.ts] = storyOf(m.text)
		}
	}
	replies := map[string]int{}
	for _, m := range s.msgs {
		if m.threadTS == "" {
			continue
		}
		key := storyOf(m.text)
		if posts[m.threadTS] != key {
			t.Errorf("reply %q threads under %s, which is not its story's post (%q)", m.text, m.threadTS, posts[m.threadTS])
		}
		replies[key]++
	}
	want := map[string]int{}
	for kw := range feeds.stories {
		for i := range feeds.copies {
			want[fmt.Sprintf("%s dispatch %d", kw, i)] = 1
		}
	}
	if !maps.Equal(replies, want) {
		t.Errorf("thread replies per story %v, want one per copy %v", replies, want)
	}
}
