package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/newswatch/newswatch/flood"
	"github.com/newswatch/newswatch/model"
)

// holdRec is a record of item key held in channel's flood bucket opened at
// opened.
func holdRec(key, channel string, opened time.Time) Record {
	return Record{
		Item: Item{Source: "src", Key: key, CanonicalLink: "https://example.com/" + key, FirstSeen: t0},
		Holds: []Hold{{
			Bucket:  flood.Bucket{Channel: channel, Key: flood.FloodKey, Opened: opened, Due: opened.Add(10 * time.Minute)},
			Rules:   []string{"r"},
			Article: model.Article{Source: "src", Title: "t " + key, Link: "https://example.com/" + key},
		}},
		Windows: []WindowState{{Channel: channel, Window: flood.Window{Start: opened, Singles: 10}}},
	}
}

func TestHoldsAreWrittenWithTheirFetch(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	recs := []Record{holdRec("a", "#c", t0), holdRec("b", "#c", t0), holdRec("c", "#d", t0)}
	res, err := s.RecordFetch(ctx, Fetch{Source: "src", Records: recs})
	if err != nil || !allOK(res) {
		t.Fatalf("RecordFetch: %v %+v", err, res)
	}
	windows, buckets, err := s.FloodState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w := windows["#c"]; !w.Start.Equal(t0) || w.Singles != 10 {
		t.Errorf("window #c = %+v", w)
	}
	if len(buckets) != 2 {
		t.Fatalf("open digests = %+v, want one per channel", buckets)
	}
	held, err := s.HeldArticles(ctx, buckets[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 2 || held[0].Article.Title != "t a" || held[1].Article.Title != "t b" {
		t.Errorf("held in %+v = %+v, want a and b in order", buckets[0], held)
	}
	counts, err := s.HeldCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []HeldCount{{"#c", 2, t0.Add(10 * time.Minute)}, {"#d", 1, t0.Add(10 * time.Minute)}}
	if len(counts) != 2 || counts[0] != want[0] || counts[1] != want[1] {
		t.Errorf("HeldCounts = %+v, want %+v", counts, want)
	}

	// The same item held again (a changed copy) stays held once.
	if _, err := s.RecordFetch(ctx, Fetch{Source: "src", Records: []Record{holdRec("a", "#c", t0)}}); err != nil {
		t.Fatal(err)
	}
	if held, _ := s.HeldArticles(ctx, buckets[0].ID); len(held) != 2 {
		t.Errorf("after a second hold of a: %d held, want 2", len(held))
	}

	// A fetch that fails holds nothing: the hold is in its transaction.
	bad := []Record{holdRec("x", "#c", t0), {Item: Item{Source: "src", Key: "y"}, StoryOf: 5}}
	if _, err := s.RecordFetch(ctx, Fetch{Source: "src", Records: bad}); err == nil {
		t.Fatal("RecordFetch with a bad StoryOf succeeded")
	}
	if held, _ := s.HeldArticles(ctx, buckets[0].ID); len(held) != 2 {
		t.Errorf("after a failed fetch: %d held, want 2", len(held))
	}
}

func TestPostDigestOnce(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	story, _ := recordStory(t, s, "s1", []int64{1})
	rec := holdRec("h1", "#c", t0)
	rec.Item.StoryID = story
	mustRecord(t, s, rec)
	b, posted, err := s.StoryHeld(ctx, story, "#c")
	if err != nil || posted {
		t.Fatalf("StoryHeld = %+v, %v, %v; want open", b, posted, err)
	}
	parts := make([]model.Alert, 3)
	for i := range parts {
		parts[i] = model.Alert{Channel: "#c", Digest: &model.Digest{Channel: "#c", Part: i + 1, Parts: 3}}
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
	if c, _ := s.AlertCounts(ctx); c.Pending != 0 {
		t.Fatalf("after a failed post: %d pending, want 0", c.Pending)
	}

	ok, err := s.PostDigest(ctx, b.ID, parts)
	if err != nil || !ok {
		t.Fatalf("PostDigest = %v, %v", ok, err)
	}
	again, err := s.PostDigest(ctx, b.ID, parts)
	if err != nil || again {
		t.Fatalf("second PostDigest = %v, %v; want false, nil", again, err)
	}
	if c, _ := s.AlertCounts(ctx); c.Pending != 3 {
		t.Fatalf("pending = %d, want the 3 parts once", c.Pending)
	}
	if open, _ := s.OpenDigests(ctx); len(open) != 0 {
		t.Errorf("open digests after posting = %+v", open)
	}
	if _, posted, err := s.StoryHeld(ctx, story, "#c"); err != nil || !posted {
		t.Errorf("StoryHeld after posting: posted %v, %v", posted, err)
	}

	// Part 1 goes first; parts 2 and 3 follow in its thread.
	due, err := s.DueAlerts(ctx, t0.Add(time.Hour), 10)
	if err != nil || len(due) != 1 || due[0].Kind != model.AlertDigest || due[0].Digest == nil || due[0].Digest.Part != 1 {
		t.Fatalf("due = %+v, %v; want part 1 alone", due, err)
	}
	if err := s.MarkSent(ctx, due[0].ID, "111.1"); err != nil {
		t.Fatal(err)
	}
	due, err = s.DueAlerts(ctx, t0.Add(time.Hour), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due after part 1 = %+v, %v", due, err)
	}
	for i, a := range due {
		if a.Kind != model.AlertDigestPart || a.ThreadTS != "111.1" || a.Digest.Part != i+2 {
			t.Errorf("part %d = kind %v ts %q digest %+v", i+2, a.Kind, a.ThreadTS, a.Digest)
		}
	}
}

func TestStoryHeldNotFound(t *testing.T) {
	s, _, _ := openTest(t)
	if _, _, err := s.StoryHeld(context.Background(), 42, "#c"); !errors.Is(err, ErrNotFound) {
		t.Errorf("StoryHeld of nothing: %v, want ErrNotFound", err)
	}
}

// TestMigrateOutboxKinds: migration 5 rebuilds the outbox; its rows, ids and
// thread links survive.
func TestMigrateOutboxKinds(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v4.db")
	c := &clock{t: t0}
	db, err := openPool(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 4; v++ {
		if err := migrateTo(ctx, db, v, c.now); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO stories (id, signature, created) VALUES (1, x'01', 100)`,
		`INSERT INTO outbox (id, kind, channel, story_id, parent_id, payload, state, next_attempt, ts, created, updated, attempt_started)
			VALUES (7, 'new', '#c', 1, NULL, '{}', 'sent', 0, '1.1', 0, 0, NULL),
			       (8, 'follow_up', '#c', 1, 7, '{}', 'pending', 0, '', 0, 0, 55)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := OpenSQLite(ctx, path, c.now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var parent, started int64
	if err := s.r.QueryRowContext(ctx, `SELECT parent_id, attempt_started FROM outbox WHERE id = 8`).Scan(&parent, &started); err != nil || parent != 7 || started != 55 {
		t.Errorf("follow-up after migration: parent %d, attempt %d, %v; want 7, 55", parent, started, err)
	}
	if id, err := s.StoryAlert(ctx, 1, "#c"); err != nil || id != 7 {
		t.Errorf("StoryAlert after migration = %d, %v", id, err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO outbox (kind, channel, payload, next_attempt, created, updated)
		VALUES ('digest', '#c', '{}', 0, 0, 0)`); err != nil {
		t.Errorf("a digest row after migration: %v", err)
	}
}
