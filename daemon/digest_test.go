package daemon

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/flood"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// holdingReplica is the daemon's state with another replica holding one
// article into a digest right after this one first reads the digest's
// held articles: the race PostDigest refuses (pgstore.ErrDigestChanged).
type holdingReplica struct {
	State
	t     *testing.T
	other *pgstore.Store
	once  sync.Once
}

func (s *holdingReplica) HeldArticles(ctx context.Context, id int64) ([]flood.Held, error) {
	held, err := s.State.HeldArticles(ctx, id)
	s.once.Do(func() {
		open, err := s.State.OpenDigests(ctx)
		if err != nil || len(open) != 1 || open[0].ID != id {
			s.t.Errorf("open digests = %+v, %v; want digest %d", open, err, id)
			return
		}
		link := "https://example.com/late"
		res, err := s.other.RecordFetch(ctx, store.Fetch{Source: "other", Records: []store.Record{{
			Item:  store.Item{Source: "other", Key: "late", CanonicalLink: link},
			Holds: []store.Hold{{Bucket: open[0], Rules: []string{"kremlin"}, Article: model.Article{Source: "other", Title: "Kremlin late copy", Link: link}}},
		}}})
		if err != nil || res[0].Err != nil {
			s.t.Errorf("the other replica's hold: %v %+v", err, res)
		}
	})
	return held, err
}

// TestDigestChangedByAnotherReplica: a digest that another replica holds
// an article into while this one assembles it is refused by the store and
// assembled again at once, the late article in it; an expected race,
// logged at info, not as an error.
func TestDigestChangedByAnotherReplica(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	srv := newFeedServer(t)
	clock := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	srv.set("/wire.xml", "application/rss+xml", rss(distinctItems(srv, "f", 5, clock.now().Add(-time.Hour))...))
	h := newClockHarnessOn(t, floodCapConfig(srv.URL), clock, dsn)
	if code := h.once(); code != ExitDelivered {
		t.Fatalf("first pass: once = %d", code)
	}
	other, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	h.d.state = &holdingReplica{State: h.d.state, t: t, other: other}
	clock.add(11 * time.Minute)
	var seen int
	h.newOutput(&seen)
	if code := h.once(); code != ExitDelivered {
		t.Fatalf("second pass: once = %d", code)
	}
	out := h.newOutput(&seen)
	if !strings.Contains(out, "3 more articles matched") || !strings.Contains(out, "Kremlin late copy") {
		t.Errorf("digest should hold the 2 held here and the other replica's late one:\n%s", out)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, `level=INFO msg="digest changed by another replica while assembled: assembling it again"`) {
		t.Errorf("the refused assembly is not logged at info:\n%s", logs)
	}
	if strings.Contains(logs, "level=ERROR") {
		t.Errorf("an expected race logged as an error:\n%s", logs)
	}
}
