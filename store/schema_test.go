package store

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	versions := func(t *testing.T, s *SQLite) []int {
		t.Helper()
		rows, err := s.r.QueryContext(ctx, `SELECT version FROM schema_version ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var vs []int
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		return vs
	}
	pragma := func(t *testing.T, s *SQLite, name string) string {
		t.Helper()
		var v string
		if err := s.w.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	t.Run("fresh", func(t *testing.T) {
		s, _, _ := openTest(t)
		if got := versions(t, s); len(got) != schemaVersion() || got[len(got)-1] != schemaVersion() {
			t.Errorf("versions = %v, want 1..%d", got, schemaVersion())
		}
		for name, want := range map[string]string{
			"journal_mode": "wal", "foreign_keys": "1", "synchronous": "1", "busy_timeout": "5000",
		} {
			if got := pragma(t, s, name); got != want {
				t.Errorf("PRAGMA %s = %q, want %q", name, got, want)
			}
		}
	})

	t.Run("reopen is idempotent", func(t *testing.T) {
		s, c, path := openTest(t)
		if err := s.SaveFetchState(ctx, FetchState{Source: "a", ETag: "x"}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		for range 2 {
			s2, err := OpenSQLite(ctx, path, c.now)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			if got := versions(t, s2); len(got) != schemaVersion() {
				t.Errorf("versions after reopen = %v", got)
			}
			if fs, err := s2.FetchState(ctx, "a"); err != nil || fs.ETag != "x" {
				t.Errorf("FetchState after reopen = %+v, %v", fs, err)
			}
			s2.Close()
		}
	})

	t.Run("newer database refused", func(t *testing.T) {
		s, c, path := openTest(t)
		if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_version (version, applied) VALUES (999, 0)`); err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err := OpenSQLite(ctx, path, c.now)
		if err == nil || !strings.Contains(err.Error(), "newer") {
			t.Errorf("OpenSQLite on a newer schema: err = %v, want 'newer'", err)
		}
	})

	t.Run("bad path", func(t *testing.T) {
		for _, p := range []string{"", "a?b.db"} {
			if _, err := OpenSQLite(ctx, p, nil); err == nil {
				t.Errorf("OpenSQLite(%q) succeeded", p)
			}
		}
	})
}

// TestQueryPlans checks that the hot lookups use their indexes.
func TestQueryPlans(t *testing.T) {
	s, _, _ := openTest(t)
	tests := []struct {
		name, query string
		args        []any
		want        string
	}{
		{"item by link", `SELECT key FROM items WHERE canonical_link = ?`, []any{"x"}, "USING INDEX items_canonical_link"},
		{"story alert", `SELECT id FROM outbox WHERE story_id = ? AND channel = ? AND kind = 'new'`, []any{1, "c"},
			"USING COVERING INDEX outbox_new_per_story_channel"},
		{"due alerts", `SELECT o.id FROM outbox o LEFT JOIN outbox p ON p.id = o.parent_id
			WHERE ` + dueWhere + ` AND o.next_attempt <= ? ORDER BY o.created, o.id LIMIT ?`, []any{0, 10},
			"SEARCH o USING INDEX outbox_due"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := s.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+tt.query, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if got := strings.Join(plan, "\n"); !strings.Contains(got, tt.want) {
				t.Errorf("plan:\n%s\nwant it to contain %q", got, tt.want)
			}
		})
	}
}

// TestMigrateBandsIntoStories opens a version 1 database, whose band keys
// are rows of story_bands, and checks that migration 2 moved them into the
// stories and that the index built from them finds the stories.
func TestMigrateBandsIntoStories(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	c := &clock{t: t0}
	db, err := openPool(ctx, path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(ctx, db, 1, c.now); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO stories (id, signature, created) VALUES (1, x'01', 100), (2, x'02', 200), (3, x'03', 300)`,
		`INSERT INTO story_bands (band, created, story_id) VALUES
			(7, 100, 1), (-5, 100, 1), (-9223372036854775808, 100, 1),
			(7, 200, 2), (9223372036854775807, 200, 2)`, // story 3 has no bands
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
	tests := []struct {
		bands []int64
		want  []int64
	}{
		{[]int64{7}, []int64{1, 2}},
		{[]int64{-5}, []int64{1}},
		{[]int64{math.MinInt64}, []int64{1}},
		{[]int64{math.MaxInt64}, []int64{2}},
		{[]int64{0, 1, 3}, nil},
	}
	for _, tt := range tests {
		if got := candidateIDs(t, s, tt.bands, time.UnixMicro(0)); !slices.Equal(got, tt.want) {
			t.Errorf("bands %v: %v, want %v", tt.bands, got, tt.want)
		}
	}
	var blob []byte
	if err := s.r.QueryRowContext(ctx, `SELECT bands FROM stories WHERE id = 1`).Scan(&blob); err != nil {
		t.Fatal(err)
	}
	if got, err := decodeBands(blob); err != nil || !slices.Equal(slices.Sorted(slices.Values(got)), []int64{math.MinInt64, -5, 7}) {
		t.Errorf("story 1 bands = %v, %v", got, err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT bands FROM stories WHERE id = 3`).Scan(&blob); err != nil || len(blob) != 0 {
		t.Errorf("story 3 bands = %x, %v, want empty", blob, err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = 'story_bands'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("story_bands still there: %d, %v", n, err)
	}
}
