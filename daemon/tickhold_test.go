package daemon

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store/pgstore"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestLateFetchKeepsTheNewerState: replica a's fetch of tick 1 outlives
// its lease (not renewed: a paused process); b claims tick 2, fetches and
// saves ETag "new". a's fetch then returns, with ETag "old" and an item
// the feed has since dropped. a's state is refused (ETag stays "new", one
// warning), but its items are still recorded: the dropped item alerts, the
// one b recorded does not alert twice.
func TestLateFetchKeepsTheNewerState(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	srv := newFeedServer(t)
	kept := rssItem{guid: "kept", link: srv.URL + "/kept", title: "Donetsk under fire", desc: "Shelling overnight in the city centre.", pub: recent(time.Hour)}
	dropped := rssItem{guid: "dropped", link: srv.URL + "/dropped", title: "Donetsk mayor resigns", desc: "A surprise announcement at the council.", pub: recent(time.Hour)}
	var calls atomic.Int32
	started, unblock := make(chan struct{}), make(chan struct{})
	srv.handle("/wire.xml", func(w http.ResponseWriter, r *http.Request) {
		etag, body := `"new"`, rss(kept)
		if calls.Add(1) == 1 { // a's fetch, stalled past its lease
			close(started)
			<-unblock
			etag, body = `"old"`, rss(kept, dropped)
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(body))
	})
	cfg := fmt.Sprintf(replicaConfig, srv.URL, dsn)
	a, b := newHarness(t, cfg), newHarness(t, cfg)
	ctx := context.Background()
	a.d.repl.tickLease = 200 * time.Millisecond
	src := a.d.Config().Sources[0]
	tick1 := time.Now().Truncate(time.Second)
	h, err := a.d.repl.hold(ctx, src.Name, tick1)
	if h == nil {
		t.Fatalf("a claims tick 1: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.d.pollSource(ctx, a.d.Config(), src, h)
		h.release()
	}()
	<-started
	eventually(t, "b claims tick 2 once a's lease expired", func() bool {
		claimed, err := b.d.pollTick(ctx, b.d.Config(), src, tick1.Add(time.Second))
		return claimed && err == nil
	})
	close(unblock)
	<-done

	fs, err := a.d.state.FetchState(ctx, src.Name)
	if err != nil || fs.ETag != `"new"` {
		t.Errorf("fetch state after a's late fetch = %+v, %v; want b's ETag \"new\"", fs, err)
	}
	pending, err := a.d.state.PendingAlerts(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, p := range pending {
		titles = append(titles, p.Title)
	}
	slices.Sort(titles)
	if want := []string{dropped.title, kept.title}; !slices.Equal(titles, want) {
		t.Errorf("alerts queued = %q, want each item once: %q", titles, want)
	}
	logs := a.logs.String()
	if n := strings.Count(logs, `level=WARN msg="tick lease lost`); n != 1 {
		t.Errorf("lease loss warned %d times, want once:\n%s", n, logs)
	}
	if !strings.Contains(logs, "noticed_at=save") || strings.Contains(logs, "level=ERROR") {
		t.Errorf("a's log should note the refused save, and no error:\n%s", logs)
	}
}

// TestOnceSkipsSourcesBeingFetched: `once` beside replicas claims each
// source for a tick of its own (now): it fetches a source whose current
// tick a replica fetched already, skips (and says so) one that a replica
// is fetching right now, and releases its leases after.
func TestOnceSkipsSourcesBeingFetched(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	srv := newFeedServer(t)
	srv.set("/free.xml", "application/rss+xml", rss(rssItem{guid: "1", link: srv.URL + "/1", title: "Donetsk under fire", desc: "Shelling.", pub: recent(time.Hour)}))
	srv.set("/busy.xml", "application/rss+xml", rss())
	h := newHarness(t, fmt.Sprintf(`
state: %[2]s
listen: ""
sources:
  - name: free
    feed: %[1]s/free.xml
  - name: busy
    feed: %[1]s/busy.xml
rules:
  - name: donetsk
    query: Donetsk
`, srv.URL, dsn))
	ctx := context.Background()
	other, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tick := time.Now().Add(-time.Second)
	for _, src := range []string{"free", "busy"} {
		if won, err := other.ClaimTick(ctx, src, tick, "replica-2", time.Minute); err != nil || !won {
			t.Fatalf("replica-2 claims %s: %v, %v", src, won, err)
		}
	}
	if err := other.ReleaseTick(ctx, "free", tick, "replica-2"); err != nil { // fetched already
		t.Fatal(err)
	}

	if code := h.once(); code != ExitDelivered {
		t.Fatalf("once = %d", code)
	}
	if hits, _ := srv.counts("/free.xml"); hits != 1 {
		t.Errorf("free fetched %d times, want once", hits)
	}
	if hits, _ := srv.counts("/busy.xml"); hits != 0 {
		t.Errorf("busy fetched %d times while another replica fetches it, want 0", hits)
	}
	if !strings.Contains(h.out.String(), "Donetsk under fire") {
		t.Errorf("free's alert not delivered:\n%s", h.out.String())
	}
	if logs := h.logs.String(); !strings.Contains(logs, `msg="source skipped: another replica is fetching it now" source=busy`) {
		t.Errorf("once does not say it skipped busy:\n%s", logs)
	}
	l, err := other.TickLease(ctx, "free")
	if err != nil || l.Owner != h.d.repl.self.ID || !l.Done || !l.Tick.After(tick) {
		t.Errorf("free's lease after once = %+v, %v; want once's own later tick, released", l, err)
	}
	if fs, err := other.FetchState(ctx, "free"); err != nil || fs.ETag == "" || fs.LastResult != "ok" {
		t.Errorf("free's state after once = %+v, %v; want it saved under once's lease", fs, err)
	}
}
