package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// openTest opens a store on a fresh database and closes it at the end.
func openTest(t *testing.T, dsn string, opts Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// versions lists schema_migrations.
func versions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(), `SELECT version FROM schema_migrations ORDER BY version`)
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

func wantVersions(t *testing.T, s *Store) {
	t.Helper()
	got := versions(t, s)
	if len(got) != SchemaVersion() {
		t.Fatalf("schema_migrations = %v, want 1..%d once each", got, SchemaVersion())
	}
	for i, v := range got {
		if v != i+1 {
			t.Fatalf("schema_migrations = %v, want 1..%d once each", got, SchemaVersion())
		}
	}
}

func TestMigrateFresh(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := openTest(t, pgtest.NewDatabase(t), Options{Now: func() time.Time { return at }})
	wantVersions(t, s)
	for _, table := range []string{"fetch_state", "stories", "story_bands", "items", "outbox",
		"notes", "tick_leases", "replicas", "channel_pacing"} {
		var n int
		if err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Errorf("table %s: %v", table, err)
		}
	}
	var applied int64
	if err := s.Pool().QueryRow(context.Background(), `SELECT applied FROM schema_migrations WHERE version = 1`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != at.UnixMicro() {
		t.Errorf("applied = %d, want the injected clock's %d", applied, at.UnixMicro())
	}
}

// TestMigrateIdempotent: opening a migrated database again changes nothing
// and keeps its rows.
func TestMigrateIdempotent(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	s := openTest(t, dsn, Options{})
	ctx := context.Background()
	if _, err := s.Pool().Exec(ctx, `INSERT INTO notes (key, value, updated) VALUES ('k', 'v', 1)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openTest(t, dsn, Options{})
	wantVersions(t, s)
	var v string
	if err := s.Pool().QueryRow(ctx, `SELECT value FROM notes WHERE key = 'k'`).Scan(&v); err != nil || v != "v" {
		t.Fatalf("note after reopen = %q, %v", v, err)
	}
}

// TestMigrateConcurrent: replicas that start at once all open, and the
// migrations run once. Without the advisory lock the losers fail on
// "relation already exists" or the schema_migrations key.
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), dsn, Options{}) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("open %d: %v", i, errs[i])
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	wantVersions(t, stores[0])
}

// TestMigrateRefusesNewer: a database a newer binary migrated is refused in
// words, and left as it was.
func TestMigrateRefusesNewer(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	s := openTest(t, dsn, Options{})
	ctx := context.Background()
	future := SchemaVersion() + 1
	if _, err := s.Pool().Exec(ctx, `INSERT INTO schema_migrations (version, applied) VALUES ($1, 0)`, future); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, dsn, Options{})
	if !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("open = %v, want ErrSchemaNewer", err)
	}
	for _, want := range []string{fmt.Sprintf("version %d", future), fmt.Sprintf("up to %d", SchemaVersion()), "at least as new"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if got := versions(t, s); len(got) != future {
		t.Errorf("versions after the refusal = %v", got)
	}
}

// TestMigrateVersion1To2: a database a version-1 newswatch made, with an
// alert in its outbox, migrates to noise control's version 2 in place:
// the alert stays, and the outbox now takes digest kinds.
func TestMigrateVersion1To2(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if err := apply(ctx, conn, 1, time.Now); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO outbox (id, kind, channel, payload, next_attempt, created, updated)
		VALUES (5, 'new', '#c', '{}', 0, 0, 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO outbox (kind, channel, payload, next_attempt, created, updated)
		VALUES ('digest', '#c', '{}', 0, 0, 0)`); err == nil {
		t.Fatal("version 1 took a digest row")
	}
	s := openTest(t, dsn, Options{})
	wantVersions(t, s)
	var n int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM outbox WHERE id = 5`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the version 1 alert after migrating: %d rows, %v", n, err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO outbox (kind, channel, payload, next_attempt, created, updated)
		VALUES ('digest_part', '#c', '{}', 0, 0, 0)`); err != nil {
		t.Errorf("a digest part after migrating: %v", err)
	}
	if open, err := s.OpenDigests(ctx); err != nil || len(open) != 0 {
		t.Errorf("OpenDigests after migrating = %v, %v", open, err)
	}
}
