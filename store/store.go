// Package store keeps newswatch's state in SQLite: each source's fetch state,
// the items seen (and the rules they matched), stories with their LSH band
// keys, and the alert outbox that the notifier drains. Every write that
// belongs together (an item, its story and its alerts) is one transaction, so
// a crash at any instant leaves a consistent store.
//
// The database is opened with two pools: a single write connection (so
// writers in this process queue in Go instead of meeting SQLITE_BUSY, and
// transactions take the write lock up front with BEGIN IMMEDIATE) and a few
// read-only connections, which WAL lets run beside the writer.
//
// Stories and the band index. The stories table is the durable copy: one
// row per story with its signature, creation time and band keys (a blob of
// 8-byte keys; the store never computes bands, it keeps what NewStory.Bands
// says). The index that StoryCandidates reads lives in memory and holds
// only the stories inside the story window (the "since" it is asked for):
// built from the table at the first lookup (1.2 to 2 s of CPU and about
// 90 MB of heap for 100,000 stories of 42 bands in the window), shed of
// stories as the window moves past them, and changed by Record,
// RecordFetch and Prune only after their transaction commits, so a
// rolled-back write leaves no phantom candidate. Writing a new story is then one appended row instead of a
// random insert per band into a large index. The index knows the stories in
// the file at open and those this store has written since: stories another
// process writes to the same file are not seen until a reopen.
//
// Throughput (one core, 100,000 stories of 42 bands in the window): the
// lookup takes ~8 µs; lookup plus recording the article with a new story
// runs at ~12,500-18,000 articles per CPU-second with RecordFetch (a fetch's
// articles in one transaction) and ~5,500-6,800 with Record, whose commit
// (WAL frames for the item's and story's pages) is most of its cost. See
// docs/benchmarks.md ("store benchmarks").
//
// Two articles of one story recorded at once may both try to create its
// AlertNew in a channel; the partial unique index on (story_id, channel)
// stops the second, and Record reports ErrDuplicateAlert so the caller can
// make it a follow-up instead (StoryAlert gives the parent).
//
// PostgreSQL. When several replicas share the work a pgx implementation of
// the same methods can follow. The SQL here is kept portable where that is
// cheap: ON CONFLICT upserts, partial indexes, timestamps as integer Unix
// microseconds (Postgres' precision), JSON payloads as text, no SQLite
// functions in queries. What a Postgres store needs differently: BIGSERIAL
// ids with RETURNING; band lookup in the database, because another
// replica's stories are not in this process's memory (bands as a BIGINT[]
// column with a GIN index and "bands && $1", or a band table with
// "band = ANY($1)"), or an in-memory index refreshed from the stories
// created since its last refresh before each lookup; and for the outbox a
// claim step (SELECT ... FOR UPDATE SKIP LOCKED plus a lease column) so two
// replicas never deliver the same alert; DueAlerts then becomes "claim due
// alerts". The attempt mark (MarkAttempt) and notes (a key-value table) are
// plain columns and rows and port as they are. Method shapes (context first, values in and out, ErrNotFound
// instead of nil results) already fit that.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrDuplicateAlert is returned (wrapped) by Record when a story already has
// an AlertNew in one of the alert's channels; nothing of the record is written.
var ErrDuplicateAlert = errors.New("store: story already has an alert in this channel")

// ErrNotPending is returned (wrapped) by MarkSent, MarkRetry and MarkFailed
// when the alert exists but is no longer pending.
var ErrNotPending = errors.New("store: alert is not pending")

// readConns is the size of the read-only pool.
const readConns = 4

// cacheKiB is each connection's page cache limit (filled only as used).
const cacheKiB = 32 << 10

// busyTimeout is how long a connection waits for another process's lock.
const busyTimeout = 5 * time.Second

// SQLite is the SQLite-backed store. It is safe for concurrent use.
type SQLite struct {
	w    *sql.DB // one connection: all writes
	r    *sql.DB // read-only connections
	now  func() time.Time
	stmt stmts

	stories *storyIndex // the band index; see storyIndex
	// storyWrites is held by the writes that add or delete stories, from
	// their BEGIN to their index update, so that the index applies them in
	// commit order (a Prune cannot delete a story before it is indexed).
	storyWrites sync.Mutex
}

// OpenSQLite opens the database at path, applies any pending migrations
// and returns the store. now supplies timestamps; nil means time.Now.
//
// A new state is created only where no file exists, and atomically (built
// beside path, then renamed), so a crash during creation leaves no
// half-made state. An existing file that is empty or is not a newswatch
// state is refused (ErrEmptyState, ErrForeignState), never initialised:
// a lost state must not turn into every item alerting again. A state that
// cannot be written is refused in words (ErrReadOnly). Files are created
// 0600. The caller takes the state lock before calling this, so no other
// newswatch migrates the file meanwhile.
func OpenSQLite(ctx context.Context, path string, now func() time.Time) (*SQLite, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: open %q: path must be non-empty and contain no '?' or '#'", path)
	}
	if now == nil {
		now = time.Now
	}
	if err := prepareFile(ctx, path, now); err != nil {
		return nil, err
	}
	s := &SQLite{now: now}
	var err error
	if s.w, err = openPool(ctx, path, false); err != nil {
		return nil, err
	}
	if err := migrate(ctx, s.w, now); err != nil {
		s.w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if s.r, err = openPool(ctx, path, true); err != nil {
		s.w.Close()
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := s.ensureStateID(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.stories = &storyIndex{} // built at the first StoryCandidates, for its window
	return s, nil
}

// openPool opens the write pool (one connection, BEGIN IMMEDIATE) or the
// read pool (query_only) on path.
func openPool(ctx context.Context, path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "journal_mode(WAL)")
	// Statement journals in memory and a larger page cache: fewer
	// syscalls, which dominate small transactions. (No mmap: with the
	// writer changing the file, memory-mapped reads measured 5x slower.)
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "wal_autocheckpoint(10000)")
	q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -cacheKiB))
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	n := readConns
	if !readOnly {
		n = 1
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database. Pending writes have already committed.
func (s *SQLite) Close() error {
	s.stmt.close()
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Ping reports whether the database is reachable for reads and writes.
func (s *SQLite) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// dbTime converts t to the stored form: Unix microseconds, NULL when zero.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// goTime converts a stored timestamp back; NULL becomes the zero time.
func goTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// nullString stores "" as NULL (for optional, indexed columns).
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullID stores 0 as NULL (for optional references).
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
