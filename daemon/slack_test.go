package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSlack is a Slack Web API that records chat.postMessage calls and can
// be told to fail.
type fakeSlack struct {
	*httptest.Server
	mu    sync.Mutex
	posts []slackPost
	down  bool
	next  int
	// onPost, if set, runs when a post arrives, before it is answered;
	// delay then holds the answer back.
	onPost func()
	delay  time.Duration
}

type slackPost struct {
	channel, threadTS, text, blocks, ts string
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/chat.postMessage" {
		http.NotFound(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.mu.Lock()
	onPost, delay := f.onPost, f.delay
	f.mu.Unlock()
	if onPost != nil {
		onPost()
	}
	time.Sleep(delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		http.Error(w, "upstream unavailable", http.StatusServiceUnavailable)
		return
	}
	f.next++
	ts := fmt.Sprintf("1700000000.%06d", f.next)
	f.posts = append(f.posts, slackPost{channel: r.FormValue("channel"), threadTS: r.FormValue("thread_ts"),
		text: r.FormValue("text"), blocks: r.FormValue("blocks"), ts: ts})
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": r.FormValue("channel"), "ts": ts})
}

func (f *fakeSlack) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *fakeSlack) all() []slackPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]slackPost(nil), f.posts...)
}

const slackConfig = `
state: STATE
listen: ""
slack:
  token: xoxb-test-secret-token
  channel: "#news"
  api_url: %[2]s/
sources:
  - {name: wire, feed: %[1]s/wire.xml}
  - {name: other, feed: %[1]s/other.xml}
rules:
  - name: witkoff-moscow
    query: 'Witkoff AND (Kremlin OR Putin)'
  - name: putin
    query: 'Putin'
    channel: "#kremlin"
`

// TestSlackStoriesThreadAcrossRestart: through a fake Slack, copies of a
// story become replies in the right thread in every channel the story was
// alerted in, a different report is its own alert, and a copy that arrives
// after a restart still joins the thread.
func TestSlackStoriesThreadAcrossRestart(t *testing.T) {
	srv := newFeedServer(t)
	slack := newFakeSlack(t)
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "w-1", link: srv.URL + "/wire/1", title: "Witkoff and Putin talk for five hours in the Kremlin", desc: wireStory, pub: recent(2 * time.Hour)},
		rssItem{guid: "w-2", link: srv.URL + "/wire/2", title: "Kyiv rejects deal that rewards aggression after Witkoff-Putin talks", desc: reactionPiece, pub: recent(time.Hour)},
	))
	srv.set("/other.xml", "application/rss+xml", rss())
	h := newHarness(t, fmt.Sprintf(slackConfig, srv.URL, slack.URL))
	if code := h.once(); code != ExitDelivered {
		t.Fatalf("exit = %d; logs:\n%s", code, h.logs.String())
	}
	posts := slack.all()
	// Two stories × two channels (#news for witkoff-moscow, #kremlin for putin).
	if len(posts) != 4 {
		t.Fatalf("posts = %d, want 4: %+v", len(posts), posts)
	}
	parents := map[string]string{} // channel -> ts of the wire story's alert
	for _, p := range posts {
		if p.threadTS != "" {
			t.Errorf("first pass posted a reply: %+v", p)
		}
		if strings.Contains(p.text, "five hours") {
			parents[p.channel] = p.ts
		}
	}
	if len(parents) != 2 {
		t.Fatalf("wire story alerted in %v, want #news and #kremlin", parents)
	}
	if strings.Contains(h.logs.String(), "xoxb-test-secret-token") {
		t.Error("the bot token appears in the logs")
	}

	h.restart()
	srv.set("/other.xml", "application/rss+xml", rss(
		rssItem{guid: "o-1", link: srv.URL + "/other/1?utm_source=x", title: "Putin receives US envoy Witkoff for marathon Kremlin talks", desc: wireCopy, pub: recent(time.Hour)},
		// The wire's first story again, through another feed with another GUID.
		rssItem{guid: "dup", link: strings.Replace(srv.URL, "http://", "HTTP://", 1) + "/wire/1?utm_medium=rss#x", title: "Witkoff and Putin talk for five hours in the Kremlin", desc: wireStory, pub: recent(2 * time.Hour)},
	))
	if code := h.once(); code != ExitDelivered {
		t.Fatalf("exit = %d; logs:\n%s", code, h.logs.String())
	}
	replies := slack.all()[4:]
	if len(replies) != 2 {
		t.Fatalf("after restart: %d posts, want 2 replies (one per channel): %+v", len(replies), replies)
	}
	for _, r := range replies {
		if r.threadTS == "" || r.threadTS != parents[r.channel] {
			t.Errorf("reply in %s has thread_ts %q, want %q", r.channel, r.threadTS, parents[r.channel])
		}
		if !strings.Contains(r.text, "Also reported by other") {
			t.Errorf("reply text = %q", r.text)
		}
	}
}

// TestSlackOutageKeepsAlertsForTheNextRun: alerts made while Slack is down
// stay pending (exit 1) and go out once after a restart.
func TestSlackOutageKeepsAlertsForTheNextRun(t *testing.T) {
	srv := newFeedServer(t)
	slack := newFakeSlack(t)
	slack.setDown(true)
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "w-1", link: srv.URL + "/wire/1", title: "Witkoff meets Putin", desc: "In the Kremlin.", pub: recent(time.Hour)},
	))
	srv.set("/other.xml", "application/rss+xml", rss())
	h := newHarness(t, fmt.Sprintf(slackConfig, srv.URL, slack.URL))
	h.drain = 500 * time.Millisecond
	h.restart()
	if code := h.once(); code != ExitUndelivered {
		t.Fatalf("exit with Slack down = %d, want 1", code)
	}
	if n := len(slack.all()); n != 0 {
		t.Fatalf("posts while down = %d", n)
	}
	slack.setDown(false)
	h.drain = 0
	h.restart()
	// The retry is backed off; let the clock pass it.
	h.d.now = func() time.Time { return time.Now().Add(time.Hour) }
	h.d.opts.Now = h.d.now
	if code := h.once(); code != ExitDelivered {
		t.Fatalf("exit after recovery = %d, want 0; logs:\n%s", code, h.logs.String())
	}
	if n := len(slack.all()); n != 2 {
		t.Fatalf("posts after recovery = %d, want 2 (one per channel)", n)
	}
	// The 503s may have been posts Slack made: they were looked up first.
	// This fake has no conversations.history, so the lookup could not be
	// made; status says so (at-least-once).
	var status strings.Builder
	if err := Status(context.Background(), &status, h.d.Config()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status.String(), "notice no_history:") {
		t.Errorf("status lacks the history notice:\n%s", status.String())
	}
	rec := httptest.NewRecorder()
	h.d.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `newswatch_delivery_notice{notice="no_history"} 1`) {
		t.Errorf("/metrics lacks the notice:\n%s", rec.Body.String())
	}
	h.restart()
	h.once()
	if n := len(slack.all()); n != 2 {
		t.Fatalf("a later run re-sent: %d posts", n)
	}
}
