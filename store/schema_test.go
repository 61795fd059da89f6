package store

import (
	"context"
	"strings"
	"testing"
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
		{"story candidates", candidatesSQL(3), []any{1, 2, 3, 0}, "USING PRIMARY KEY (band=? AND created>?)"},
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
