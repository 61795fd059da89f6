package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/flood"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
)

// FloodStore is noise control's part of the contract (issue 14): flood
// windows, held articles and digests.
type FloodStore interface {
	FloodState(ctx context.Context) (map[string]flood.Window, []flood.Bucket, error)
	OpenDigests(ctx context.Context) ([]flood.Bucket, error)
	StoryHeld(ctx context.Context, storyID int64, channel string) (flood.Bucket, bool, error)
	HeldArticles(ctx context.Context, id int64) ([]flood.Held, error)
	PostDigest(ctx context.Context, id int64, parts []model.Alert) (bool, error)
	RescheduleDigests(ctx context.Context, bs []flood.Bucket) error
	HeldCounts(ctx context.Context) ([]store.HeldCount, error)
}

// floodBucket is channel's flood digest opened at opened, due 10 minutes on.
func floodBucket(channel string, opened time.Time) flood.Bucket {
	return flood.Bucket{Channel: channel, Key: flood.FloodKey, Opened: opened, Due: opened.Add(10 * time.Minute)}
}

// holdRec is a record of item key held in b.
func holdRec(key string, b flood.Bucket) store.Record {
	return store.Record{
		Item: store.Item{Source: "src", Key: key, CanonicalLink: "https://example.com/" + key, FirstSeen: T0},
		Holds: []store.Hold{{Bucket: b, Rules: []string{"r"},
			Article: model.Article{Source: "src", Title: "t " + key, Link: "https://example.com/" + key}}},
	}
}

// newStory records a story with an alert-free item and returns its id.
func newStory(t *testing.T, s Store, key string, band int64) int64 {
	t.Helper()
	res := record(t, s, store.Fetch{Source: "src", Records: []store.Record{{
		Item:     store.Item{Source: "src", Key: key, FirstSeen: T0},
		NewStory: &store.NewStory{Signature: []byte(key), Bands: []int64{band}},
	}}})
	if res[0].Err != nil || res[0].StoryID == 0 {
		t.Fatalf("record story %s: %+v", key, res[0])
	}
	return res[0].StoryID
}

func testHolds(t *testing.T, s Store, _ *clock) {
	ctx := context.Background()
	bc, bd := floodBucket("#c", T0), floodBucket("#d", T0.Add(time.Minute))
	recs := []store.Record{holdRec("a", bc), holdRec("b", bc), holdRec("c", bd)}
	recs[0].Windows = []store.WindowState{{Channel: "#c", Window: flood.Window{Start: T0, Singles: 10}}}
	for _, r := range record(t, s, store.Fetch{Source: "src", Records: recs}) {
		must(t, r.Err)
	}
	windows, buckets, err := s.FloodState(ctx)
	must(t, err)
	if w := windows["#c"]; !w.Start.Equal(T0) || w.Singles != 10 || len(windows) != 1 {
		t.Errorf("windows = %+v, want #c from T0 with 10 singles", windows)
	}
	if len(buckets) != 2 || buckets[0].Channel != "#c" || buckets[1].Channel != "#d" ||
		!buckets[0].Opened.Equal(T0) || !buckets[0].Due.Equal(bc.Due) || buckets[0].Key != flood.FloodKey {
		t.Fatalf("open digests = %+v, want #c's then #d's (due first)", buckets)
	}
	held, err := s.HeldArticles(ctx, buckets[0].ID)
	must(t, err)
	if len(held) != 2 || held[0].Article.Title != "t a" || held[1].Article.Title != "t b" ||
		held[0].BucketID != buckets[0].ID || held[0].Channel != "#c" || held[0].Rules[0] != "r" || !held[0].Created.Equal(T0) {
		t.Errorf("held in #c = %+v, want a and b in order", held)
	}
	counts, err := s.HeldCounts(ctx)
	must(t, err)
	if len(counts) != 2 || counts[0].Channel != "#c" || counts[0].Held != 2 || !counts[0].Due.Equal(bc.Due) ||
		counts[1].Channel != "#d" || counts[1].Held != 1 || !counts[1].Due.Equal(bd.Due) {
		t.Errorf("HeldCounts = %+v", counts)
	}

	// The same item held again (a changed copy) stays held once, in the
	// same digest.
	record(t, s, store.Fetch{Source: "src", Records: []store.Record{holdRec("a", bc)}})
	if held, _ := s.HeldArticles(ctx, buckets[0].ID); len(held) != 2 {
		t.Errorf("after a second hold of a: %d held, want 2", len(held))
	}
	if open, _ := s.OpenDigests(ctx); len(open) != 2 {
		t.Errorf("after a second hold of a: open digests %+v, want still 2", open)
	}

	// A fetch that fails holds nothing: the hold is in its transaction.
	bad := []store.Record{holdRec("x", bc), {Item: store.Item{Source: "src", Key: "y"}, StoryOf: 5}}
	if _, err := s.RecordFetch(ctx, store.Fetch{Source: "src", Records: bad}); err == nil {
		t.Fatal("RecordFetch with a bad StoryOf succeeded")
	}
	if held, _ := s.HeldArticles(ctx, buckets[0].ID); len(held) != 2 {
		t.Errorf("after a failed fetch: %d held, want 2", len(held))
	}

	// A held story is found by StoryHeld, open; an unheld one is not.
	story := newStory(t, s, "s1", 1)
	rec := holdRec("h1", bd)
	rec.Item.StoryID = story
	record(t, s, store.Fetch{Source: "src", Records: []store.Record{rec}})
	b, posted, err := s.StoryHeld(ctx, story, "#d")
	if err != nil || posted || b.ID != buckets[1].ID {
		t.Errorf("StoryHeld = %+v, %v, %v; want #d's open digest", b, posted, err)
	}
	if _, _, err := s.StoryHeld(ctx, story, "#c"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StoryHeld in another channel: %v, want ErrNotFound", err)
	}
}

func testPostDigest(t *testing.T, s Store, c *clock) {
	ctx := context.Background()
	story := newStory(t, s, "s1", 1)
	rec := holdRec("h1", floodBucket("#c", T0))
	rec.Item.StoryID = story
	record(t, s, store.Fetch{Source: "src", Records: []store.Record{rec}})
	b, posted, err := s.StoryHeld(ctx, story, "#c")
	if err != nil || posted {
		t.Fatalf("StoryHeld = %+v, %v, %v; want open", b, posted, err)
	}
	parts := make([]model.Alert, 3)
	for i := range parts {
		parts[i] = model.Alert{Channel: "#c", Digest: &model.Digest{Channel: "#c", Part: i + 1, Parts: 3,
			Entries: []model.DigestEntry{{StoryID: story, Article: model.Article{Title: "t"}}}}}
	}

	// A transaction that cannot commit leaves the digest open, with no part.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.PostDigest(cctx, b.ID, parts); err == nil {
		t.Fatal("PostDigest on a cancelled context succeeded")
	}
	if open, _ := s.OpenDigests(ctx); len(open) != 1 {
		t.Fatalf("after a failed post: open digests %+v, want 1", open)
	}
	if n, _ := s.AlertCounts(ctx); n.Pending != 0 {
		t.Fatalf("after a failed post: %d pending, want 0", n.Pending)
	}

	ok, err := s.PostDigest(ctx, b.ID, parts)
	if err != nil || !ok {
		t.Fatalf("PostDigest = %v, %v", ok, err)
	}
	again, err := s.PostDigest(ctx, b.ID, parts)
	if err != nil || again {
		t.Fatalf("second PostDigest = %v, %v; want false, nil", again, err)
	}
	if n, _ := s.AlertCounts(ctx); n.Pending != 3 {
		t.Fatalf("pending = %d, want the 3 parts once", n.Pending)
	}
	if open, _ := s.OpenDigests(ctx); len(open) != 0 {
		t.Errorf("open digests after posting = %+v", open)
	}
	if counts, _ := s.HeldCounts(ctx); len(counts) != 0 {
		t.Errorf("HeldCounts after posting = %+v, want none", counts)
	}
	if _, posted, err := s.StoryHeld(ctx, story, "#c"); err != nil || !posted {
		t.Errorf("StoryHeld after posting: posted %v, %v", posted, err)
	}
	pending, err := s.PendingAlerts(ctx, 10)
	must(t, err)
	if len(pending) != 3 || !strings.HasPrefix(pending[0].Title, "digest part 1/3 of") {
		t.Errorf("pending alerts = %+v, want the 3 parts titled as digest parts", pending)
	}

	// Part 1 goes first; parts 2 and 3 follow in its thread.
	due, err := s.DueAlerts(ctx, c.t, 10)
	if err != nil || len(due) != 1 || due[0].Kind != model.AlertDigest || due[0].Digest == nil || due[0].Digest.Part != 1 {
		t.Fatalf("due = %+v, %v; want part 1 alone", due, err)
	}
	first := due[0].ID
	must(t, s.MarkSent(ctx, first, "111.1"))
	due, err = s.DueAlerts(ctx, c.t, 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due after part 1 = %+v, %v", due, err)
	}
	for i, a := range due {
		if a.Kind != model.AlertDigestPart || a.ThreadTS != "111.1" || a.Digest.Part != i+2 || a.ParentID != first {
			t.Errorf("part %d = kind %v ts %q parent %d digest %+v", i+2, a.Kind, a.ThreadTS, a.ParentID, a.Digest)
		}
	}

	// A digest with no parts is only closed (nothing was held).
	one := floodBucket("#e", T0)
	record(t, s, store.Fetch{Source: "src", Records: []store.Record{holdRec("h2", one)}})
	open, err := s.OpenDigests(ctx)
	must(t, err)
	if len(open) != 1 {
		t.Fatalf("open digests = %+v, want #e's", open)
	}
	if ok, err := s.PostDigest(ctx, open[0].ID, onePart("#e")); err != nil || !ok {
		t.Errorf("PostDigest of #e = %v, %v", ok, err)
	}
	if n, _ := s.AlertCounts(ctx); n.Pending != 3 {
		t.Errorf("pending after #e's digest = %d, want 3 (parts 2 and 3, #e's)", n.Pending)
	}
	story2 := newStory(t, s, "s2", 2)
	rec = holdRec("h3", floodBucket("#f", T0))
	rec.Holds = nil
	rec.Item.StoryID = story2
	record(t, s, store.Fetch{Source: "src", Records: []store.Record{rec}})
	if ok, err := s.PostDigest(ctx, openID(t, s, "#f"), nil); ok || err != nil {
		t.Errorf("PostDigest of a digest never opened = %v, %v; want false", ok, err)
	}
}

// testRelease: a story's copies held for a rule's digest leave holding
// when the story is posted single: as follow-ups in its alert's thread, or
// into the flood digest.
func testRelease(t *testing.T, s Store, _ *clock) {
	ctx := context.Background()
	ruleB := flood.Bucket{Channel: "#c", Key: flood.RuleKey("daily"), Opened: T0, Due: T0.Add(24 * time.Hour)}
	s1, s2 := newStory(t, s, "s1", 1), newStory(t, s, "s2", 2)
	var recs []store.Record
	for _, st := range []struct {
		key string
		id  int64
	}{{"s1-a", s1}, {"s1-b", s1}, {"s2-a", s2}} {
		r := holdRec(st.key, ruleB)
		r.Item.StoryID = st.id
		recs = append(recs, r)
	}
	record(t, s, store.Fetch{Source: "src", Records: recs})

	// s1 posted single: its two held copies follow in its thread.
	single := store.Record{Item: store.Item{Source: "src", Key: "s1-c", StoryID: s1, FirstSeen: T0},
		Alerts:   []model.Alert{{Kind: model.AlertNew, Channel: "#c", StoryID: s1, Rules: []string{"r"}, Article: model.Article{Title: "s1-c"}}},
		Releases: []store.Release{{Channel: "#c"}}}
	for _, r := range record(t, s, store.Fetch{Source: "src", Records: []store.Record{single}}) {
		must(t, r.Err)
	}
	parent, err := s.StoryAlert(ctx, s1, "#c")
	must(t, err)
	if n, _ := s.AlertCounts(ctx); n.Pending != 3 {
		t.Errorf("pending after the release = %d, want the alert and 2 follow-ups", n.Pending)
	}
	pending, err := s.PendingAlerts(ctx, 10)
	must(t, err)
	titles := map[string]bool{}
	for _, p := range pending {
		titles[p.Title] = true
	}
	if !titles["s1-c"] || !titles["t s1-a"] || !titles["t s1-b"] {
		t.Errorf("pending = %+v, want s1-c and its held copies", pending)
	}
	if parent == 0 {
		t.Error("no AlertNew for s1")
	}
	if _, _, err := s.StoryHeld(ctx, s1, "#c"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("s1 after release: StoryHeld %v, want ErrNotFound", err)
	}

	// s2 goes into the flood digest instead: its copy moves there.
	fb := floodBucket("#c", T0.Add(time.Minute))
	into := store.Record{Item: store.Item{Source: "src", Key: "s2-b", StoryID: s2, FirstSeen: T0},
		Releases: []store.Release{{Channel: "#c", To: &fb}}}
	record(t, s, store.Fetch{Source: "src", Records: []store.Record{into}})
	b, posted, err := s.StoryHeld(ctx, s2, "#c")
	if err != nil || posted || b.Key != flood.FloodKey || !b.Opened.Equal(fb.Opened) {
		t.Errorf("s2 after release into the flood digest: %+v, %v, %v", b, posted, err)
	}
	if held, _ := s.HeldArticles(ctx, b.ID); len(held) != 1 || held[0].Article.Title != "t s2-a" {
		t.Errorf("flood digest holds %+v, want s2-a", held)
	}
}

func testRescheduleAndPrune(t *testing.T, s Store, c *clock) {
	ctx := context.Background()
	story := newStory(t, s, "s1", 1)
	recs := []store.Record{holdRec("a", floodBucket("#c", T0)), holdRec("b", floodBucket("#d", T0))}
	recs[0].Item.StoryID = story
	record(t, s, store.Fetch{Source: "src", Records: recs})
	open, err := s.OpenDigests(ctx)
	must(t, err)
	if len(open) != 2 {
		t.Fatalf("open = %+v", open)
	}
	// #d's digest moved before #c's.
	var d flood.Bucket
	for _, b := range open {
		if b.Channel == "#d" {
			d = b
		}
	}
	d.Due = T0.Add(time.Minute)
	must(t, s.RescheduleDigests(ctx, []flood.Bucket{d}))
	open, err = s.OpenDigests(ctx)
	must(t, err)
	if len(open) != 2 || open[0].Channel != "#d" || !open[0].Due.Equal(d.Due) {
		t.Errorf("after reschedule: %+v, want #d's first, due %v", open, d.Due)
	}

	// A posted digest is pruned with its held rows; an open one stays.
	var cb flood.Bucket
	for _, b := range open {
		if b.Channel == "#c" {
			cb = b
		}
	}
	if ok, err := s.PostDigest(ctx, cb.ID, onePart("#c")); err != nil || !ok {
		t.Fatalf("PostDigest = %v, %v", ok, err)
	}
	if _, posted, err := s.StoryHeld(ctx, story, "#c"); err != nil || !posted {
		t.Fatalf("StoryHeld before prune: %v, %v; want posted", posted, err)
	}
	c.t = T0.Add(48 * time.Hour)
	must(t, s.Prune(ctx, T0.Add(time.Hour)))
	if _, _, err := s.StoryHeld(ctx, story, "#c"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StoryHeld after prune: %v, want ErrNotFound (the posted digest pruned)", err)
	}
	if open, _ := s.OpenDigests(ctx); len(open) != 1 || open[0].Channel != "#d" {
		t.Errorf("open after prune = %+v, want #d's kept", open)
	}
}

// onePart is the one part of a digest of one article in channel.
func onePart(channel string) []model.Alert {
	return []model.Alert{{Channel: channel, Digest: &model.Digest{Channel: channel, Part: 1, Parts: 1, Total: 1,
		Entries: []model.DigestEntry{{Article: model.Article{Title: "t"}}}}}}
}

// openID is the id of channel's open digest, or 0.
func openID(t *testing.T, s Store, channel string) int64 {
	t.Helper()
	open, err := s.OpenDigests(context.Background())
	must(t, err)
	for _, b := range open {
		if b.Channel == channel {
			return b.ID
		}
	}
	return 0
}
