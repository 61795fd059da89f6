package pgstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/flood"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// sqliteState writes a small state through the SQLite store's own methods
// (fetch state, two stories, items in them and one without, a new alert
// sent and its follow-up pending) and returns the file's path.
func sqliteState(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s, err := store.OpenSQLite(ctx, path, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.SaveFetchState(ctx, store.FetchState{Source: "guardian", ETag: `"e1"`, LastFetch: at, LastResult: "ok", Fetched: true}))
	must(s.SaveFetchState(ctx, store.FetchState{Source: "kremlin", LastResult: "error", LastError: "timeout", ConsecutiveFailures: 2, NextAttempt: at.Add(time.Hour)}))
	alert := func(kind model.AlertKind, title string) model.Alert {
		return model.Alert{Kind: kind, Channel: "#news", Rules: []string{"r"}, Article: model.Article{Title: title}, Created: at}
	}
	story1, err := s.Record(ctx, store.Record{
		Item:     store.Item{Source: "guardian", Key: "g1", CanonicalLink: "https://example.com/a", Rules: []string{"r"}, Published: at},
		NewStory: &store.NewStory{Signature: []byte("sig1"), Bands: []int64{-3, 1, 2, 2}},
		Alerts:   []model.Alert{alert(model.AlertNew, "first")},
	})
	must(err)
	parent, err := s.StoryAlert(ctx, story1, "#news")
	must(err)
	must(s.MarkSent(ctx, parent, "1700000000.000100"))
	follow := alert(model.AlertFollowUp, "copy")
	follow.StoryID, follow.ParentID = story1, parent
	_, err = s.Record(ctx, store.Record{
		Item:   store.Item{Source: "kremlin", Key: "k1", CanonicalLink: "https://example.org/b", StoryID: story1},
		Alerts: []model.Alert{follow},
	})
	must(err)
	_, err = s.Record(ctx, store.Record{
		Item:     store.Item{Source: "guardian", Key: "g2"},
		NewStory: &store.NewStory{Signature: []byte("sig2"), Bands: []int64{7, 8}},
	})
	must(err)
	_, err = s.Record(ctx, store.Record{Item: store.Item{Source: "guardian", Key: "g3", CanonicalLink: "https://example.com/c"}})
	must(err)
	return path
}

// openSQLiteRaw opens the file read-only with database/sql, as
// migrate-state will (after taking the state lock).
func openSQLiteRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestCopyFromSQLite: every copied table holds, column for column, what
// the SQLite file holds; band blobs become story_bands rows; a second copy
// is refused, or with Replace gives the same; new ids follow the copied.
func TestCopyFromSQLite(t *testing.T) {
	t.Run("as it is", func(t *testing.T) { testCopy(t, sqliteState(t)) })
	t.Run("version 4", func(t *testing.T) { testCopy(t, toVersion4(t, sqliteState(t))) })
}

// toVersion4 applies the delivery branch's SQLite migration 4 (the outbox's
// attempt mark, notes) to a state still at 3, with a note and a mark set,
// so the copy of a version 4 state is tested before that branch lands.
func toVersion4(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v == 3 {
		if _, err := db.Exec(`ALTER TABLE outbox ADD COLUMN attempt_started INTEGER;
			CREATE TABLE notes (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated INTEGER NOT NULL);
			INSERT INTO schema_version (version, applied) VALUES (4, 0)`); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO notes (key, value, updated) VALUES ('test.note', 'v', 5)
		ON CONFLICT (key) DO NOTHING;
		UPDATE outbox SET attempt_started = 1795600800000001 WHERE state = 'pending'`); err != nil {
		t.Fatal(err)
	}
	return path
}

func testCopy(t *testing.T, path string) {
	t.Parallel()
	db := openSQLiteRaw(t, path)
	pg := openTest(t, pgtest.NewDatabase(t), Options{})
	ctx := context.Background()
	stats, err := pg.CopyFromSQLite(ctx, db, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := CopyStats{"fetch_state": 2, "stories": 2, "story_bands": 5, "items": 4, "outbox": 2}
	var version int
	if err := db.QueryRow(`SELECT MAX(version) FROM schema_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version >= 4 {
		var notes int64
		if err := db.QueryRow(`SELECT count(*) FROM notes`).Scan(&notes); err != nil {
			t.Fatal(err)
		}
		want["notes"] = notes
	}
	if version >= 5 { // noise control's tables, empty here (TestCopyFromSQLiteHeld fills them)
		want["flood_windows"], want["digests"], want["held"] = 0, 0, 0
	}
	if !reflect.DeepEqual(stats, want) {
		t.Errorf("stats = %v, want %v", stats, want)
	}
	sameTables(t, db, pg, version)

	// Bands: the copied stories are candidates for their keys, repeats dropped.
	c, err := pg.StoryCandidates(ctx, []int64{-3}, time.UnixMicro(0))
	if err != nil || len(c) != 1 || string(c[0].Signature) != "sig1" {
		t.Errorf("candidates for band -3 = %+v, %v; want story sig1", c, err)
	}

	if _, err := pg.CopyFromSQLite(ctx, db, CopyOptions{}); !errors.Is(err, ErrTargetNotEmpty) {
		t.Fatalf("second copy: %v, want ErrTargetNotEmpty", err)
	}
	again, err := pg.CopyFromSQLite(ctx, db, CopyOptions{Replace: true})
	if err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("copy with replace = %v, %v; want %v", again, err, want)
	}
	sameTables(t, db, pg, version)

	var maxID int64
	if err := db.QueryRow(`SELECT max(id) FROM stories`).Scan(&maxID); err != nil {
		t.Fatal(err)
	}
	if id := newStory(t, pg, "sig3", []int64{99}, time.Now()); id != maxID+1 {
		t.Errorf("next story id = %d, want %d (after the copied ones)", id, maxID+1)
	}
}

// emptyOK are the tables sameTables may find empty: noise control's, which
// only TestCopyFromSQLiteHeld fills.
var emptyOK = map[string]bool{"flood_windows": true, "digests": true, "held": true}

// sameTables compares each copied table's rows on both sides.
func sameTables(t *testing.T, db *sql.DB, pg *Store, version int) {
	t.Helper()
	ctx := context.Background()
	for _, tab := range copyTables(version) {
		if tab.expand != nil {
			continue // story_bands: checked through StoryCandidates
		}
		from := strings.TrimPrefix(tab.source, "SELECT "+strings.Join(tab.cols, ", ")+" FROM ")
		rows, err := db.QueryContext(ctx, tab.source)
		if err != nil {
			t.Fatal(err)
		}
		var src [][]any
		for rows.Next() {
			r, err := scanRow(rows, tab.kinds)
			if err != nil {
				t.Fatal(err)
			}
			src = append(src, r)
		}
		rows.Close()
		from = strings.ReplaceAll(from, "rowid", "seq") // held's order of holding
		prow, err := pg.Pool().Query(ctx, `SELECT `+strings.Join(tab.cols, ", ")+` FROM `+from)
		if err != nil {
			t.Fatal(err)
		}
		var dst [][]any
		for prow.Next() {
			v, err := prow.Values()
			if err != nil {
				t.Fatal(err)
			}
			for i, x := range v {
				if n, ok := x.(int32); ok { // INTEGER columns; scanRow reads int64
					v[i] = int64(n)
				}
			}
			dst = append(dst, v)
		}
		prow.Close()
		if len(src) == 0 && !emptyOK[tab.target] {
			t.Errorf("%s: the SQLite state has no rows: the test compares nothing", tab.target)
		}
		if !reflect.DeepEqual(src, dst) {
			t.Errorf("%s differs:\nsqlite   %v\npostgres %v", tab.target, src, dst)
		}
	}
}

// TestCopyFromSQLiteRefuses: a file that is not a newswatch state, or is
// at a version this copier does not read, is refused, and nothing is
// written.
func TestCopyFromSQLiteRefuses(t *testing.T) {
	t.Parallel()
	pg := openTest(t, pgtest.NewDatabase(t), Options{})
	ctx := context.Background()
	for name, setup := range map[string]string{
		"not a state": `CREATE TABLE other (x INTEGER)`,
		"too new":     `CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied INTEGER); INSERT INTO schema_version VALUES (99, 0)`,
		"too old":     `CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied INTEGER); INSERT INTO schema_version VALUES (1, 0)`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(setup); err != nil {
				t.Fatal(err)
			}
			if _, err := pg.CopyFromSQLite(ctx, db, CopyOptions{}); err == nil {
				t.Fatal("copy succeeded")
			} else {
				t.Log(err)
			}
		})
	}
	// A bad row half-way (after fetch_state and stories have gone in)
	// fails the copy, and the transaction leaves nothing behind.
	t.Run("bad band blob", func(t *testing.T) {
		path := sqliteState(t)
		db := openSQLiteRaw(t, path)
		rw, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer rw.Close()
		if _, err := rw.Exec(`UPDATE stories SET bands = x'0102' WHERE id = 2`); err != nil {
			t.Fatal(err)
		}
		_, err = pg.CopyFromSQLite(ctx, db, CopyOptions{})
		if err == nil || !strings.Contains(err.Error(), "not a list of 8-byte keys") {
			t.Fatalf("copy = %v, want the bad blob named", err)
		}
	})
	var n int
	if err := pg.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM stories) + (SELECT count(*) FROM fetch_state)`).Scan(&n); err != nil || n != 0 {
		t.Errorf("rows after refusals: %d, %v", n, err)
	}
}

// TestCopyFromSQLiteHeld: noise control's state is copied too: a flood
// window, an open digest with its held articles in order, a posted digest
// and its undelivered parts, threaded; new digest ids follow the copied.
func TestCopyFromSQLiteHeld(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := openTest(t, pgtest.NewDatabase(t), Options{})
	path := sqliteState(t)
	rw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if _, err := rw.Exec(`INSERT INTO flood_windows (channel, start, singles) VALUES ('#news', 5, 10);
		INSERT INTO digests (id, channel, key, opened, due) VALUES (7, '#news', 'flood', 5, 600000005);
		INSERT INTO digests (id, channel, key, opened, due, posted) VALUES (3, '#news', 'rule:daily', 1, 2, 3);
		INSERT INTO held (channel, source, item_key, story_id, digest_id, rules, article, created)
		VALUES ('#news', 'guardian', 'g9', NULL, 7, '["r"]', '{"title":"second"}', 20),
		       ('#news', 'guardian', 'g8', 1, 7, '["r"]', '{"title":"first"}', 10);
		INSERT INTO outbox (id, kind, channel, payload, state, next_attempt, created, updated)
		VALUES (100, 'digest', '#news', '{}', 'sent', 0, 0, 0),
		       (101, 'digest_part', '#news', '{}', 'pending', 0, 0, 0);
		UPDATE outbox SET parent_id = 100 WHERE id = 101;
		UPDATE digests SET outbox_id = 100 WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	stats, err := pg.CopyFromSQLite(ctx, openSQLiteRaw(t, path), CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stats["digests"] != 2 || stats["held"] != 2 || stats["flood_windows"] != 1 {
		t.Errorf("stats = %v, want 2 digests, 2 held, 1 window", stats)
	}
	windows, open, err := pg.FloodState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w := windows["#news"]; w.Singles != 10 || w.Start.UnixMicro() != 5 {
		t.Errorf("window = %+v", w)
	}
	if len(open) != 1 || open[0].ID != 7 || open[0].Due.UnixMicro() != 600000005 {
		t.Fatalf("open digests = %+v, want 7", open)
	}
	held, err := pg.HeldArticles(ctx, 7)
	if err != nil || len(held) != 2 || held[0].Article.Title != "first" || held[0].StoryID != 1 || held[1].Article.Title != "second" {
		t.Errorf("held = %+v, %v; want first (story 1) then second", held, err)
	}
	sameTables(t, openSQLiteRaw(t, path), pg, 5)
	if _, posted, err := pg.StoryHeld(ctx, 1, "#news"); err != nil || posted {
		t.Errorf("StoryHeld(1) = %v, %v; want open", posted, err)
	}
	var parent int64
	var kind string
	if err := pg.Pool().QueryRow(ctx, `SELECT kind, parent_id FROM outbox WHERE id = 101`).Scan(&kind, &parent); err != nil || kind != "digest_part" || parent != 100 {
		t.Errorf("digest part = %s under %d, %v; want digest_part under 100", kind, parent, err)
	}
	// A new digest's id follows the copied ones.
	id, err := openDigestTx(ctx, pg)
	if err != nil || id <= 7 {
		t.Errorf("new digest id = %d, %v; want > 7", id, err)
	}
}

func openDigestTx(ctx context.Context, pg *Store) (int64, error) {
	tx, err := pg.Pool().Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	return openDigest(ctx, tx, flood.Bucket{Channel: "#x", Key: flood.FloodKey})
}
