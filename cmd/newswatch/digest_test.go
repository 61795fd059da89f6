package main

// The noise-control end-to-end test (issue 14): the built binary under
// `run`, an httptest feed and the fake Slack Web API of the crash test.

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// digestFeed is one RSS feed of n distinct articles under prefix, with
// titles long enough that 190 of them need a digest in two parts.
func digestFeed(base, prefix, keyword string, n int) string {
	r := rand.New(rand.NewPCG(uint64(n), uint64(len(prefix))))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><link>http://example.com/</link><description>d</description>`)
	pub := time.Now().Add(-time.Hour).UTC().Format(time.RFC1123Z)
	for i := range n {
		var words []string
		for range 40 {
			words = append(words, fmt.Sprintf("w%x", r.Uint64()))
		}
		fmt.Fprintf(&b, `<item><guid isPermaLink="false">%s-%d</guid><title>%s %s item %d %s</title><link>%s/%s/%d</link><description>%s</description><pubDate>%s</pubDate></item>`,
			prefix, i, keyword, prefix, i, strings.Join(words[:12], " "), base, prefix, i, strings.Join(words, " "), pub)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// linkedArticles returns, per message of channel (top-level or in a
// thread), the article numbers under prefix it links.
func linkedArticles(s *crashSlack, channel, prefix string) (singles, digests []map[int]bool) {
	re := regexp.MustCompile(`/` + prefix + `/(\d+)[|>]`)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.channel != channel {
			continue
		}
		ids := map[int]bool{}
		for _, sm := range re.FindAllStringSubmatch(m.blocks, -1) {
			var n int
			fmt.Sscan(sm[1], &n)
			ids[n] = true
		}
		if isDigest(m) {
			digests = append(digests, ids)
		} else {
			singles = append(singles, ids)
		}
	}
	return singles, digests
}

// TestFloodAndDigestEndToEnd: 200 distinct matching articles in one pass
// against burst 10 are 10 single alerts and digest messages that together
// link each of the other 190 exactly once; later passes add nothing; a rule
// with digest: "@every 8s" posts nothing before its tick, then one digest;
// a SIGKILL while articles are held loses and repeats nothing.
func TestFloodAndDigestEndToEnd(t *testing.T) {
	bin := newswatchBinary(t)
	slack := newCrashSlack(t)
	slack.accept = 0
	mux := http.NewServeMux()
	feeds := httptest.NewServer(mux)
	t.Cleanup(feeds.Close)
	flood := digestFeed(feeds.URL, "a", "alphakw", 200)
	sched := digestFeed(feeds.URL, "b", "bravokw", 5)
	serve := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("If-None-Match") == `"v1"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, body)
		}
	}
	mux.HandleFunc("/a.xml", serve(flood))
	mux.HandleFunc("/b.xml", serve(sched))

	dir := t.TempDir()
	chA, chB := channelIDFor("alphakw"), channelIDFor("bravokw")
	cfg := fmt.Sprintf(`state: %s
listen: ""
schedule: "@every 1s"
flood:
  burst: 10
  window: 4s
slack:
  token: xoxb-digest-test
  channel: %s
  api_url: %s/api/
sources:
  - {name: a, feed: "%s/a.xml", allow_private: true}
  - {name: b, feed: "%s/b.xml", allow_private: true}
rules:
  - {name: alpha, query: alphakw, channel: %s}
  - {name: bravo, query: bravokw, channel: %s, digest: "@every 8s"}
`, filepath.Join(dir, "state.db"), chA, slack.URL, feeds.URL, feeds.URL, chA, chB)
	cfgPath := filepath.Join(dir, "newswatch.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "daemon.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	defer func() {
		if t.Failed() {
			out, _ := os.ReadFile(log.Name())
			t.Logf("daemon log:\n%s", out)
		}
	}()

	started := time.Now()
	p := startDaemon(t, bin, cfgPath, log)
	// Kill it once a few single alerts are out: the rest are held (or
	// queued as a digest), and must survive.
	waitFor(t, 30*time.Second, func() bool { s, _ := linkedArticles(slack, chA, "a"); return len(s) >= 3 })
	p.signal(syscall.SIGKILL)
	<-p.done
	p = startDaemon(t, bin, cfgPath, log)
	defer func() { p.signal(syscall.SIGKILL); <-p.done }()

	waitFor(t, 90*time.Second, func() bool {
		_, d := linkedArticles(slack, chA, "a")
		n := 0
		for _, ids := range d {
			n += len(ids)
		}
		_, db := linkedArticles(slack, chB, "b")
		return n >= 190 && len(db) >= 1
	})
	time.Sleep(3 * time.Second) // later passes, and anything wrongly repeated, would show by now

	singles, digests := linkedArticles(slack, chA, "a")
	seen := map[int]int{}
	for _, ids := range append(singles, digests...) {
		for id := range ids {
			seen[id]++
		}
	}
	if len(singles) != 10 {
		t.Errorf("%d single alerts in the flooded channel, want 10", len(singles))
	}
	if len(digests) < 2 {
		t.Errorf("%d digest messages in the flooded channel, want a digest continued in its thread", len(digests))
	}
	slack.mu.Lock()
	var first string
	for _, m := range slack.msgs {
		if m.channel != chA || !isDigest(m) {
			continue
		}
		switch {
		case first == "" && m.threadTS == "":
			first = m.ts
		case first == "":
			t.Errorf("a digest part in a thread (%s) before the first part", m.threadTS)
		case m.threadTS != first:
			t.Errorf("digest part threaded under %q, want the first part %q", m.threadTS, first)
		}
	}
	slack.mu.Unlock()
	for i := range 200 {
		if seen[i] != 1 {
			t.Errorf("article a/%d is linked %d times, want exactly once", i, seen[i])
		}
	}

	bs, bd := linkedArticles(slack, chB, "b")
	if len(bs) != 0 || len(bd) != 1 {
		t.Errorf("scheduled channel: %d singles, %d digests; want 0 and 1", len(bs), len(bd))
	} else if len(bd[0]) != 5 {
		t.Errorf("scheduled digest links %d articles, want 5", len(bd[0]))
	}
	slack.mu.Lock()
	for _, m := range slack.msgs {
		if m.channel == chB {
			var sec int64
			fmt.Sscan(strings.SplitN(m.ts, ".", 2)[0], &sec)
			if time.Unix(sec+1, 0).Before(started.Add(8 * time.Second)) {
				t.Errorf("scheduled digest posted at %s, before its first tick (8s after %s)", m.ts, started)
			}
		}
	}
	slack.mu.Unlock()
}

// isDigest tells a digest message by its heading ("N more articles
// matched in the last …", "N articles matched RULE since …").
func isDigest(m crashMsg) bool { return strings.Contains(m.text, " matched ") }

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
