package main

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestReplicasDatabaseRestart: three `newswatch run` replicas of the built
// binary on a PostgreSQL cluster of the test's own (pgtest.NewCluster: the
// machine's server, which other packages' tests use meanwhile, stays up),
// with the replicas test's feeds and fake Slack. Twice, right after the
// fake Slack stored a post and before it answered (so that post's
// MarkSent meets a dead database), the cluster is stopped: first
// immediately, a crash that drops every connection mid-transaction, for
// three seconds while the feeds keep publishing; later fast, for a second
// and a half. Every story is posted once, every copy threaded once under
// it, each feed fetched at most once per tick; /readyz fails on every
// replica while the database is down and passes again after; every
// replica claims ticks again.
func TestReplicasDatabaseRestart(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	r := startReplicaRun(t, cluster.URL, 17, 10, "127.0.0.1:0")
	addrs := listenAddrs(t, r.logs)

	waitPosts(t, r.slack, 4)
	stopUnderPost(t, r.slack, func() { cluster.Stop(pgtest.Immediate) })
	time.Sleep(500 * time.Millisecond)
	checkReadyz(t, addrs, http.StatusServiceUnavailable, "while the database is down")
	time.Sleep(2500 * time.Millisecond) // across ticks; stories keep appearing
	cluster.Start()
	checkReadyz(t, addrs, http.StatusOK, "after the database returned")

	waitPosts(t, r.slack, postCount(r.slack)+4)
	stopUnderPost(t, r.slack, func() { cluster.Stop(pgtest.Fast) })
	time.Sleep(1500 * time.Millisecond)
	cluster.Start()
	back := time.Now()
	checkReadyz(t, addrs, http.StatusOK, "after the second restart")
	// What is left takes about 10 s of Slack's pacing; 30 s is well past
	// that, and short of a replica's 30 s outbox poll interval: a replica
	// that slept it out after the outage, instead of looking again soon,
	// fails here.
	if !waitDelivered(r.slack, r.feeds, cluster.URL, 30*time.Second) {
		t.Errorf("not every alert delivered within 30 s of the database's return")
	}
	drained := time.Since(back)
	elapsed := r.finish(t)
	adopted := 0
	for _, l := range r.logs {
		b, _ := os.ReadFile(l)
		if !strings.Contains(string(b), "claiming ticks again") {
			t.Errorf("%s: the replica did not claim ticks again after the restarts", filepath.Base(l))
		}
		adopted += strings.Count(string(b), "earlier post found in Slack")
	}
	t.Logf("%d stories, %d posts (%d adopted after a lookup) in %s, the last %s after the database's second return; fetches per feed %v",
		storyCount(r.feeds), postCount(r.slack), adopted, elapsed.Round(time.Millisecond), drained.Round(time.Millisecond), r.counted.counts())
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// listenAddrs waits for each replica's log to say where it serves HTTP.
func listenAddrs(t *testing.T, logs []string) []string {
	t.Helper()
	addrs := make([]string, len(logs))
	for i, l := range logs {
		for deadline := time.Now().Add(20 * time.Second); addrs[i] == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			b, _ := os.ReadFile(l)
			if m := listening.FindSubmatch(b); m != nil {
				addrs[i] = string(m[1])
			}
		}
		if addrs[i] == "" {
			t.Fatalf("%s: no listening address logged", filepath.Base(l))
		}
	}
	return addrs
}

func postCount(s *crashSlack) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// waitPosts waits until the fake Slack holds n posts.
func waitPosts(t *testing.T, s *crashSlack, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); postCount(s) < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d posts after 20 s, want %d", postCount(s), n)
		}
	}
}

// stopUnderPost runs stop once the fake Slack has stored the next post,
// holding that post's answer until stop has returned: the replica that
// made it learns its ts only when the database is down.
func stopUnderPost(t *testing.T, s *crashSlack, stop func()) {
	t.Helper()
	fired, stopped := make(chan struct{}), make(chan struct{})
	s.arm(func() { close(fired); <-stopped })
	defer close(stopped)
	select {
	case <-fired:
		stop()
	case <-time.After(20 * time.Second):
		s.arm(nil)
		t.Fatal("no post within 20 s to stop the database under")
	}
}

// checkReadyz requires every replica's /readyz to answer want within 15 s.
func checkReadyz(t *testing.T, addrs []string, want int, when string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	for _, addr := range addrs {
		got := 0
		for deadline := time.Now().Add(15 * time.Second); got != want && time.Now().Before(deadline); {
			got = 0
			if resp, err := client.Get("http://" + addr + "/readyz"); err == nil {
				got = resp.StatusCode
				resp.Body.Close()
			}
			if got != want {
				time.Sleep(100 * time.Millisecond)
			}
		}
		if got != want {
			t.Errorf("%s /readyz %s = %d, want %d", addr, when, got, want)
		}
	}
}
