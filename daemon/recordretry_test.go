package daemon

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// beforeRecord runs hook once, just before the first RecordFetch: between
// a fetch's decisions and its write.
type beforeRecord struct {
	State
	once sync.Once
	hook func()
}

func (s *beforeRecord) RecordFetch(ctx context.Context, f store.Fetch) ([]store.RecordResult, error) {
	s.once.Do(s.hook)
	return s.State.RecordFetch(ctx, f)
}

// TestCopiesRecordedAtOnceByTwoReplicas: replicas a and b record copies
// of one new story at the same instant: b's write lands between a's
// decision (a new story, an alert) and a's write. a's record is refused
// (one story, one alert) and decided again at once, so a's copy joins b's
// story as a follow-up in this fetch and a's fetch state advances, rather
// than the copy waiting for the next tick, by which its feed may have
// dropped it.
func TestCopiesRecordedAtOnceByTwoReplicas(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "w-1", link: srv.URL + "/wire/1", title: "Witkoff and Putin talk for five hours in the Kremlin", desc: wireStory, pub: recent(time.Hour)},
	))
	srv.set("/other.xml", "application/rss+xml", rss(
		rssItem{guid: "o-1", link: srv.URL + "/other/1", title: "Putin receives US envoy Witkoff for marathon Kremlin talks", desc: wireCopy, pub: recent(time.Hour)},
	))
	cfg := strings.Replace(config2(srv), "STATE", dsn, 1)
	a, b := newHarness(t, cfg), newHarness(t, cfg)
	ctx := t.Context()
	wire, other := a.d.Config().Sources[0], b.d.Config().Sources[1]
	a.d.state = &beforeRecord{State: a.d.state, hook: func() {
		if n := b.d.pollSource(ctx, b.d.Config(), other, nil); n != 1 {
			t.Errorf("b queued %d alerts for its copy, want 1 (it founds the story)", n)
		}
	}}
	if n := a.d.pollSource(ctx, a.d.Config(), wire, nil); n != 1 {
		t.Errorf("a queued %d alerts for its copy, want 1 (a follow-up in b's story's thread)", n)
	}

	if !strings.Contains(a.logs.String(), "deciding them again") {
		t.Errorf("a's records were not decided again after b's write\n%s", a.logs.String())
	}
	counts, err := a.d.state.AlertCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Pending != 2 {
		t.Errorf("pending alerts = %d, want 2 (b's alert and a's follow-up)", counts.Pending)
	}
	fs, err := a.d.state.FetchState(ctx, wire.Name)
	if err != nil || fs.LastResult != "ok" {
		t.Errorf("a's fetch state = %+v, %v; want it advanced (ok)", fs, err)
	}
	// Delivered: one post, and the copy in its thread.
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.d.deliverer.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	out := a.out.String()
	if n := strings.Count(strings.ToLower(out), "also reported by"); n != 1 {
		t.Errorf("want one follow-up, got %d:\n%s", n, out)
	}
	if n := strings.Count(out, "marathon Kremlin talks"); n != 1 {
		t.Errorf("b's alert printed %d times, want once:\n%s", n, out)
	}
}
