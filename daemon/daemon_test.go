package daemon

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const baseConfig = `
state: STATE
listen: ""
max_age: 48h
sources:
  - name: wire
    feed: %s/wire.xml
  - name: other
    feed: %s/other.xml
rules:
  - name: witkoff-moscow
    query: 'Witkoff AND (Kremlin OR Putin)'
  - name: donetsk
    query: 'Donetsk OR Донецк'
`

func config2(srv *feedServer) string { return fmt.Sprintf(baseConfig, srv.URL, srv.URL) }

func recent(ago time.Duration) time.Time { return time.Now().Add(-ago) }

// TestOnceAlertsOnceAcrossPassesAndRestarts is the core promise: each
// matching article alerts exactly once, whatever happens afterwards.
func TestOnceAlertsOnceAcrossPassesAndRestarts(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "w1", link: srv.URL + "/a/1", title: "Witkoff meets Putin in the Kremlin", desc: "US envoy Steve Witkoff held talks.", pub: recent(time.Hour)},
		rssItem{guid: "w2", link: srv.URL + "/a/2", title: "Weather in Lisbon", desc: "Sunny all week.", pub: recent(time.Hour)},
		rssItem{guid: "w3", link: srv.URL + "/a/3", title: "Kremlinology is back", desc: "Witkoff studies it.", pub: recent(time.Hour)},
	))
	srv.set("/other.xml", "application/rss+xml", rss(
		rssItem{guid: "o1", link: srv.URL + "/b/1", title: "Shelling near Donetsk", desc: "Fighting continued overnight in the Donetsk region.", pub: recent(2 * time.Hour)},
	))
	h := newHarness(t, config2(srv))
	var seen int

	if code := h.once(); code != ExitDelivered {
		t.Fatalf("first pass exit = %d, want 0; logs:\n%s", code, h.logs.String())
	}
	out := h.newOutput(&seen)
	for _, want := range []string{"Witkoff meets Putin in the Kremlin", "Shelling near Donetsk"} {
		if strings.Count(out, want) == 0 {
			t.Errorf("first pass output lacks %q:\n%s", want, out)
		}
	}
	for _, not := range []string{"Weather in Lisbon", "Kremlinology"} {
		if strings.Contains(out, not) {
			t.Errorf("first pass alerted on %q:\n%s", not, out)
		}
	}

	t.Run("second pass is silent and conditional", func(t *testing.T) {
		if code := h.once(); code != ExitDelivered {
			t.Fatalf("exit = %d", code)
		}
		if out := h.newOutput(&seen); out != "" {
			t.Errorf("second pass printed:\n%s", out)
		}
		for _, p := range []string{"/wire.xml", "/other.xml"} {
			if _, nm := srv.counts(p); nm != 1 {
				t.Errorf("%s answered 304 %d times on the second pass, want 1", p, nm)
			}
		}
	})

	t.Run("restart repeats nothing", func(t *testing.T) {
		h.restart()
		if code := h.once(); code != ExitDelivered {
			t.Fatalf("exit = %d", code)
		}
		if out := h.newOutput(&seen); out != "" {
			t.Errorf("after restart printed:\n%s", out)
		}
	})

	t.Run("changed feed alerts only the new item", func(t *testing.T) {
		srv.set("/wire.xml", "application/rss+xml", rss(
			rssItem{guid: "w4", link: srv.URL + "/a/4", title: "Донецк: new strikes reported", desc: "Удары по Донецку.", pub: recent(time.Minute)},
			rssItem{guid: "w1", link: srv.URL + "/a/1", title: "Witkoff meets Putin in the Kremlin", desc: "US envoy Steve Witkoff held talks.", pub: recent(time.Hour)},
			rssItem{guid: "w2", link: srv.URL + "/a/2", title: "Weather in Lisbon", desc: "Sunny all week.", pub: recent(time.Hour)},
		))
		if code := h.once(); code != ExitDelivered {
			t.Fatalf("exit = %d", code)
		}
		out := h.newOutput(&seen)
		if !strings.Contains(out, "Донецк: new strikes reported") {
			t.Errorf("new item not alerted:\n%s", out)
		}
		if strings.Contains(out, "Witkoff meets Putin") {
			t.Errorf("old item alerted again:\n%s", out)
		}
	})
}

func TestMaxAgeAndUndatedFirstFetch(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "old", link: srv.URL + "/a/old", title: "Donetsk old news", desc: "x", pub: recent(72 * time.Hour)},
		rssItem{guid: "undated", link: srv.URL + "/a/undated", title: "Donetsk undated report", desc: "x"},
	))
	srv.set("/other.xml", "application/rss+xml", rss())
	h := newHarness(t, config2(srv))
	var seen int
	h.once()
	if out := h.newOutput(&seen); out != "" {
		t.Fatalf("old or undated item alerted on first fetch:\n%s", out)
	}
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "undated2", link: srv.URL + "/a/undated2", title: "Donetsk undated follow-up", desc: "x"},
		rssItem{guid: "old2", link: srv.URL + "/a/old2", title: "Donetsk archive piece", desc: "x", pub: recent(50 * time.Hour)},
	))
	h.once()
	out := h.newOutput(&seen)
	if !strings.Contains(out, "Donetsk undated follow-up") {
		t.Errorf("undated item after the first fetch should alert:\n%s", out)
	}
	if strings.Contains(out, "published: unknown") {
		t.Errorf("undated item's alert should show when it was first seen:\n%s", out)
	}
	if strings.Contains(out, "archive piece") {
		t.Errorf("item older than max_age alerted:\n%s", out)
	}
}

func TestChangedItemAlertsOnlyForNewRules(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/other.xml", "application/rss+xml", rss())
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "x1", link: srv.URL + "/a/x1", title: "Fighting in Donetsk", desc: "Artillery fire.", pub: recent(time.Hour)},
	))
	h := newHarness(t, config2(srv))
	var seen int
	h.once()
	if out := h.newOutput(&seen); !strings.Contains(out, "Fighting in Donetsk") {
		t.Fatalf("no first alert:\n%s", out)
	}
	// Same GUID, edited text: donetsk matched before, witkoff-moscow is new.
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "x1", link: srv.URL + "/a/x1", title: "Fighting in Donetsk", desc: "Artillery fire. Witkoff raised it with Putin.", pub: recent(time.Hour)},
	))
	h.once()
	out := h.newOutput(&seen)
	// Both rules post to one channel, where the story already has its
	// alert: the new rule's hit joins that alert's thread.
	if !strings.Contains(strings.ToLower(out), "also reported by") || strings.Count(out, "Fighting in Donetsk") != 1 {
		t.Errorf("edited item should post once, in the existing alert's thread:\n%s", out)
	}
	// Edited again, no new rule: nothing.
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "x1", link: srv.URL + "/a/x1", title: "Fighting in Donetsk", desc: "Artillery fire. Witkoff raised it with Putin. Updated.", pub: recent(time.Hour)},
	))
	h.once()
	if out := h.newOutput(&seen); out != "" {
		t.Errorf("edit without new rules alerted:\n%s", out)
	}
}

func TestSameLinkFromTwoSourcesIsOneArticle(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "wire-77", link: srv.URL + "/story/77?b=2&a=1", title: "Donetsk talks stall", desc: "Negotiators left without a deal.", pub: recent(time.Hour)},
	))
	srv.set("/other.xml", "application/rss+xml", rss(
		rssItem{guid: "other-xyz", link: strings.ToUpper(srv.URL[:4]) + srv.URL[4:] + "/story/77?a=1&utm_source=rss&b=2#top", title: "Donetsk talks stall", desc: "Negotiators left without a deal.", pub: recent(time.Hour)},
	))
	h := newHarness(t, config2(srv))
	var seen int
	h.once()
	out := h.newOutput(&seen)
	if n := strings.Count(out, "Donetsk talks stall"); n == 0 {
		t.Fatalf("no alert:\n%s", out)
	}
	if strings.Contains(out, "also reported") || strings.Count(out, "Donetsk talks stall") > 1 {
		t.Errorf("same article via two feeds alerted twice:\n%s", out)
	}
}

func TestBrokenSourcesDoNotStopOthers(t *testing.T) {
	srv := newFeedServer(t)
	cases := map[string]http.HandlerFunc{
		"/500.xml": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) },
		"/bad.xml": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><item><title>Donetsk trunc`))
		},
		"/slow.xml": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		},
	}
	for p, fn := range cases {
		srv.handle(p, fn)
	}
	srv.set("/good.xml", "application/rss+xml", rss(
		rssItem{guid: "g1", link: srv.URL + "/g/1", title: "Donetsk ceasefire holds", desc: "Quiet night.", pub: recent(time.Hour)},
	))
	cfg := fmt.Sprintf(`
state: STATE
listen: ""
sources:
  - {name: s500, feed: %[1]s/500.xml}
  - {name: bad, feed: %[1]s/bad.xml}
  - {name: slow, feed: %[1]s/slow.xml}
  - {name: good, feed: %[1]s/good.xml}
rules:
  - {name: donetsk, query: Donetsk}
`, srv.URL)
	h := newHarness(t, cfg)
	var seen int
	h.once()
	if out := h.newOutput(&seen); !strings.Contains(out, "Donetsk ceasefire holds") {
		t.Fatalf("good source's alert missing:\n%s\nlogs:\n%s", out, h.logs.String())
	}
	states, err := h.d.state.FetchStates(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	failures := map[string]int{}
	for _, fs := range states {
		failures[fs.Source] = fs.ConsecutiveFailures
	}
	for _, s := range []string{"s500", "bad", "slow"} {
		if failures[s] != 1 {
			t.Errorf("%s consecutive failures = %d, want 1", s, failures[s])
		}
	}
	if failures["good"] != 0 {
		t.Errorf("good source failures = %d", failures["good"])
	}
}

// TestChangedItemAlertsNewRuleInItsChannel: a rule routed to another
// channel gets a full alert there when an edit makes the item match it.
func TestChangedItemAlertsNewRuleInItsChannel(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/other.xml", "application/rss+xml", rss())
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "x1", link: srv.URL + "/a/x1", title: "Fighting in Donetsk", desc: "Artillery fire.", pub: recent(time.Hour)},
	))
	cfg := strings.Replace(config2(srv), "    query: 'Witkoff AND (Kremlin OR Putin)'", "    query: 'Witkoff AND (Kremlin OR Putin)'\n    channel: '#diplomacy'", 1)
	h := newHarness(t, cfg)
	var seen int
	h.once()
	if out := h.newOutput(&seen); !strings.Contains(out, "Fighting in Donetsk") || !strings.Contains(out, "donetsk") {
		t.Fatalf("no first alert:\n%s", out)
	}
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "x1", link: srv.URL + "/a/x1", title: "Fighting in Donetsk", desc: "Artillery fire. Witkoff raised it with Putin.", pub: recent(time.Hour)},
	))
	h.once()
	out := h.newOutput(&seen)
	if !strings.Contains(out, "witkoff-moscow") || strings.Contains(strings.ToLower(out), "also reported") {
		t.Errorf("edited item should make a full alert for the new rule in its own channel:\n%s", out)
	}
}

// TestOneDaemonPerStateFile: a second newswatch on the same state would
// deliver the same outbox twice, so it is refused until the first exits.
func TestOneDaemonPerStateFile(t *testing.T) {
	srv := newFeedServer(t)
	h := newHarness(t, config2(srv))
	_, err := New(t.Context(), h.loadConfig(), Options{Logger: discardLogger()})
	if err == nil || !strings.Contains(err.Error(), "in use by another newswatch") {
		t.Fatalf("second daemon on one state: err = %v", err)
	}
	h.restart() // the first one's Close releases the lock
}
