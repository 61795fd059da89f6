package daemon

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// testClock is a settable clock for the daemon.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// distinctItems are n matching articles that are no copies of each other:
// each body is words of its own.
func distinctItems(srv *feedServer, prefix string, n int, pub time.Time) []rssItem {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	items := make([]rssItem, n)
	for i := range items {
		var words []string
		for range 40 {
			words = append(words, fmt.Sprintf("w%x", r.Uint64()))
		}
		items[i] = rssItem{guid: fmt.Sprintf("%s-%d", prefix, i), link: fmt.Sprintf("%s/%s/%d", srv.URL, prefix, i),
			title: fmt.Sprintf("Kremlin %s report %d %s", prefix, i, words[0]), desc: strings.Join(words, " "), pub: pub}
	}
	return items
}

func newClockHarness(t *testing.T, yaml string, c *testClock) *harness {
	t.Helper()
	return newClockHarnessOn(t, yaml, c, "")
}

// newClockHarnessOn is newClockHarness on the state state (a postgres://
// URL, or "" for a SQLite file).
func newClockHarnessOn(t *testing.T, yaml string, c *testClock, state string) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), out: &syncBuffer{}, logs: &syncBuffer{}, cfgSrc: yaml, now: c.now, state: state}
	h.start()
	return h
}

func (h *harness) status() string {
	h.t.Helper()
	var b bytes.Buffer
	if err := writeStatus(context.Background(), &b, h.d.Config(), h.d.state); err != nil {
		h.t.Fatal(err)
	}
	return b.String()
}

func (h *harness) metric(name string) string {
	rec := httptest.NewRecorder()
	h.d.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		return ""
	}
	return m[1]
}

// TestFloodCapHoldsTheRestForOneDigest: with burst 3, a pass of 8 matching
// articles is 3 alerts; the other 5 are held (status says so), durable
// across a restart, and posted as one digest when the window ends, each
// once; a later pass posts nothing. On SQLite and on PostgreSQL.
func TestFloodCapHoldsTheRestForOneDigest(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testFloodCap(t, "") })
	t.Run("postgres", func(t *testing.T) { testFloodCap(t, pgtest.NewDatabase(t)) })
}

// floodCapConfig watches base's /wire.xml with a flood cap of 3 singles a
// 10-minute window.
func floodCapConfig(base string) string {
	return `
state: STATE
listen: ""
flood:
  burst: 3
  window: 10m
sources:
  - name: wire
    feed: ` + base + `/wire.xml
rules:
  - name: kremlin
    query: Kremlin
`
}

func testFloodCap(t *testing.T, state string) {
	srv := newFeedServer(t)
	clock := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	items := distinctItems(srv, "f", 8, clock.now().Add(-time.Hour))
	srv.set("/wire.xml", "application/rss+xml", rss(items...))
	h := newClockHarnessOn(t, floodCapConfig(srv.URL), clock, state)
	var seen int
	if code := h.once(); code != ExitDelivered {
		t.Fatalf("once = %d", code)
	}
	out := h.newOutput(&seen)
	if got := strings.Count(out, "▶ Kremlin"); got != 3 {
		t.Errorf("first pass: %d single alerts, want 3:\n%s", got, out)
	}
	if st := h.status(); !strings.Contains(st, "held stdout: 5 articles") {
		t.Errorf("status lacks the held line:\n%s", st)
	}
	if got := h.metric(`newswatch_alerts_delivered_total{delivery="single"}`); got != "3" {
		t.Errorf("delivered single = %q, want 3", got)
	}

	h.restart()
	clock.add(5 * time.Minute)
	h.once()
	if out := h.newOutput(&seen); out != "" {
		t.Errorf("before the window ends: %q, want nothing", out)
	}

	clock.add(6 * time.Minute)
	h.once()
	out = h.newOutput(&seen)
	if !strings.Contains(out, "5 more articles matched in the last 10 minutes") {
		t.Errorf("digest heading missing:\n%s", out)
	}
	for i, it := range items {
		want := 0
		if i >= 3 {
			want = 1
		}
		if got := strings.Count(out, it.link+"\n"); got != want {
			t.Errorf("digest links %s %d times, want %d", it.link, got, want)
		}
	}
	if st := h.status(); strings.Contains(st, "held ") {
		t.Errorf("status still shows held articles:\n%s", st)
	}
	// Counted since the restart: the digest's 5 articles, no single.
	for label, want := range map[string]string{"digest": "5", "single": "0", "reply": "0"} {
		if got := h.metric(`newswatch_alerts_delivered_total{delivery="` + label + `"}`); got != want {
			t.Errorf("delivered %s = %q, want %s", label, got, want)
		}
	}

	clock.add(20 * time.Minute)
	h.once()
	if out := h.newOutput(&seen); out != "" {
		t.Errorf("a later pass printed %q, want nothing", out)
	}
}

// TestDigestRuleWaitsForItsTick: a rule with digest: posts nothing until
// its schedule ticks, then one digest; an article matching it and an
// immediate rule is one alert naming both; a reload that removes the
// digest: posts what it held at once.
func TestDigestRuleWaitsForItsTick(t *testing.T) {
	srv := newFeedServer(t)
	clock := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	items := distinctItems(srv, "d", 4, clock.now().Add(-time.Hour))
	items[0].title += " Witkoff"
	srv.set("/wire.xml", "application/rss+xml", rss(items...))
	cfg := `
state: STATE
listen: ""
sources:
  - name: wire
    feed: ` + srv.URL + `/wire.xml
rules:
  - name: broad
    query: Kremlin
    digest: "@every 1h"
  - name: witkoff
    query: Witkoff
`
	h := newClockHarness(t, cfg, clock)
	var seen int
	h.once()
	out := h.newOutput(&seen)
	if strings.Count(out, "▶ ") != 1 || !strings.Contains(out, "rules: broad, witkoff") {
		t.Errorf("first pass: want one alert naming both rules:\n%s", out)
	}
	if st := h.status(); !strings.Contains(st, "held stdout: 3 articles") {
		t.Errorf("status lacks the held line:\n%s", st)
	}
	clock.add(30 * time.Minute)
	h.once()
	if out := h.newOutput(&seen); out != "" {
		t.Errorf("before the tick: %q", out)
	}
	clock.add(31 * time.Minute)
	h.once()
	out = h.newOutput(&seen)
	if !strings.Contains(out, "3 articles matched broad since") {
		t.Errorf("digest missing:\n%s", out)
	}
	for _, it := range items[1:] {
		if strings.Count(out, it.link+"\n") != 1 {
			t.Errorf("digest does not link %s once:\n%s", it.link, out)
		}
	}

	// Held again, then the rule's digest: removed by a reload: posted at once.
	more := distinctItems(srv, "e", 2, clock.now().Add(-time.Minute))
	srv.set("/wire.xml", "application/rss+xml", rss(append(items, more...)...))
	h.once()
	if out := h.newOutput(&seen); out != "" {
		t.Errorf("held pass printed %q", out)
	}
	h.writeConfig(strings.Replace(cfg, `    digest: "@every 1h"`+"\n", "", 1))
	sched := newScheduler(t.Context(), h.d, 0)
	h.d.reload(h.configPath(), sched)
	sched.stop()
	if n, err := h.d.flushDigests(t.Context()); err != nil || n != 1 {
		t.Fatalf("flush after reload = %d, %v; want the one digest", n, err)
	}
	if err := h.d.deliverer.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	out = h.newOutput(&seen)
	if !strings.Contains(out, "2 articles matched broad") {
		t.Errorf("digest after removing digest: missing:\n%s", out)
	}
}

// TestImmediateCopyReleasesAHeldStory: a story held for a rule's schedule
// is alerted when a copy matching an immediate rule arrives, and the held
// copy becomes a reply in its thread: each copy once, none waiting. On
// SQLite and on PostgreSQL.
func TestImmediateCopyReleasesAHeldStory(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testImmediateCopyReleases(t, "") })
	t.Run("postgres", func(t *testing.T) { testImmediateCopyReleases(t, pgtest.NewDatabase(t)) })
}

func testImmediateCopyReleases(t *testing.T, state string) {
	srv := newFeedServer(t)
	clock := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	first := rssItem{guid: "w-1", link: srv.URL + "/wire/1", title: "Witkoff and Putin talk for five hours in the Kremlin", desc: wireStory, pub: recent(2 * time.Hour)}
	srv.set("/wire.xml", "application/rss+xml", rss(first))
	h := newClockHarnessOn(t, `
state: STATE
listen: ""
sources:
  - name: wire
    feed: `+srv.URL+`/wire.xml
rules:
  - name: broad
    query: Kremlin
    digest: "@every 1h"
  - name: marathon
    query: marathon
`, clock, state)
	var seen int
	h.once()
	if out := h.newOutput(&seen); out != "" {
		t.Fatalf("held pass printed %q", out)
	}
	srv.set("/wire.xml", "application/rss+xml", rss(first,
		rssItem{guid: "o-1", link: srv.URL + "/other/1", title: "Putin receives US envoy Witkoff for marathon Kremlin talks", desc: wireCopy, pub: recent(time.Hour)}))
	h.once()
	out := h.newOutput(&seen)
	if strings.Count(out, "▶ ") != 1 || !strings.Contains(out, "▶ Putin receives US envoy") {
		t.Errorf("want the immediate copy alerted:\n%s", out)
	}
	if !strings.Contains(out, "also reported by wire: Witkoff and Putin talk") {
		t.Errorf("want the held copy in its thread:\n%s", out)
	}
	if st := h.status(); strings.Contains(st, "held ") {
		t.Errorf("status still shows held articles:\n%s", st)
	}
	clock.add(2 * time.Hour)
	h.once()
	if out := h.newOutput(&seen); out != "" {
		t.Errorf("the rule's tick printed %q, want nothing (nothing left held)", out)
	}
}

// TestReloadMovesTheFloodWindow: a shorter flood.window on reload moves
// the end of the open window; what is held stays held and goes out then.
func TestReloadMovesTheFloodWindow(t *testing.T) {
	srv := newFeedServer(t)
	clock := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	items := distinctItems(srv, "r", 3, clock.now().Add(-time.Hour))
	srv.set("/wire.xml", "application/rss+xml", rss(items...))
	cfg := `
state: STATE
listen: ""
flood:
  burst: 1
  window: WINDOW
sources:
  - name: wire
    feed: ` + srv.URL + `/wire.xml
rules:
  - name: kremlin
    query: Kremlin
`
	h := newClockHarness(t, strings.Replace(cfg, "WINDOW", "2h", 1), clock)
	var seen int
	h.once()
	if out := h.newOutput(&seen); strings.Count(out, "▶ ") != 1 {
		t.Fatalf("first pass: want one single alert:\n%s", out)
	}
	clock.add(15 * time.Minute)
	if n, err := h.d.flushDigests(t.Context()); err != nil || n != 0 {
		t.Fatalf("flush inside the 2h window = %d, %v; want nothing due", n, err)
	}
	h.writeConfig(strings.Replace(cfg, "WINDOW", "10m", 1))
	sched := newScheduler(t.Context(), h.d, 0)
	h.d.reload(h.configPath(), sched)
	sched.stop()
	if n, err := h.d.flushDigests(t.Context()); err != nil || n != 1 {
		t.Fatalf("flush after shortening the window = %d, %v; want the digest", n, err)
	}
	if err := h.d.deliverer.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	out := h.newOutput(&seen)
	if !strings.Contains(out, "2 more articles matched in the last 10 minutes") {
		t.Errorf("digest after reload missing:\n%s", out)
	}
}
