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
