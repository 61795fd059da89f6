package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// FetchState is what the crawler remembers about a source between fetches.
type FetchState struct {
	Source              string
	ETag, LastModified  string
	LastFetch           time.Time
	LastResult          string // "ok", "not_modified", "error"
	LastError           string
	ConsecutiveFailures int
	NextAttempt         time.Time // backoff: skip scheduled runs before this
	Fetched             bool      // at least one successful fetch (first-fetch rule)
	// Fence, when set, is the tick lease the fetch ran under (replicas):
	// the state is written only while the lease is still this one, else
	// the write is refused with ErrLeaseLost. It is not stored, and reads
	// leave it nil.
	Fence *Fence
}

// Fence names a tick lease: the replica that claimed a source's tick and
// the tick. A fetch that outlived its lease (another replica has since
// claimed a later tick and fetched) must not write its older state over
// the newer one. The PostgreSQL store checks it in the write's transaction;
// the SQLite store serves one process, which holds no leases, and ignores
// it.
type Fence struct {
	Owner string
	Tick  time.Time
}

// ErrLeaseLost is returned (wrapped) by a write fenced by a lease that is
// no longer the writer's: nothing of the write was stored.
var ErrLeaseLost = errors.New("store: lease lost to another replica")

const fetchStateColumns = `source, etag, last_modified, last_fetch, last_result, last_error,
	consecutive_failures, next_attempt, fetched`

// FetchState returns the state of source, or ErrNotFound when it was never
// saved.
func (s *SQLite) FetchState(ctx context.Context, source string) (FetchState, error) {
	row := s.stmt.fetchState.QueryRowContext(ctx, source)
	fs, err := scanFetchState(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return FetchState{}, fmt.Errorf("store: fetch state %q: %w", source, err)
	}
	return fs, nil
}

const fetchStateSQL = `SELECT ` + fetchStateColumns + ` FROM fetch_state WHERE source = ?`

const saveFetchStateSQL = `INSERT INTO fetch_state (` + fetchStateColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (source) DO UPDATE SET
		etag = excluded.etag, last_modified = excluded.last_modified,
		last_fetch = excluded.last_fetch, last_result = excluded.last_result,
		last_error = excluded.last_error, consecutive_failures = excluded.consecutive_failures,
		next_attempt = excluded.next_attempt, fetched = excluded.fetched`

// SaveFetchState inserts or replaces the state of fs.Source. fs.Fence is
// not checked: the SQLite state serves one process (its file is locked),
// so no other replica can have fetched since.
func (s *SQLite) SaveFetchState(ctx context.Context, fs FetchState) error {
	if _, err := s.stmt.saveFetchState.ExecContext(ctx, fetchStateArgs(fs)...); err != nil {
		return fmt.Errorf("store: save fetch state %q: %w", fs.Source, err)
	}
	return nil
}

func fetchStateArgs(fs FetchState) []any {
	return []any{fs.Source, fs.ETag, fs.LastModified, dbTime(fs.LastFetch), fs.LastResult, fs.LastError,
		fs.ConsecutiveFailures, dbTime(fs.NextAttempt), fs.Fetched}
}

// FetchStates returns every saved source state, ordered by source name.
func (s *SQLite) FetchStates(ctx context.Context) ([]FetchState, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+fetchStateColumns+` FROM fetch_state ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("store: fetch states: %w", err)
	}
	defer rows.Close()
	var out []FetchState
	for rows.Next() {
		fs, err := scanFetchState(rows)
		if err != nil {
			return nil, fmt.Errorf("store: fetch states: %w", err)
		}
		out = append(out, fs)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: fetch states: %w", err)
	}
	return out, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanFetchState(sc scanner) (FetchState, error) {
	var fs FetchState
	var last, next sql.NullInt64
	err := sc.Scan(&fs.Source, &fs.ETag, &fs.LastModified, &last, &fs.LastResult, &fs.LastError,
		&fs.ConsecutiveFailures, &next, &fs.Fetched)
	fs.LastFetch, fs.NextAttempt = goTime(last), goTime(next)
	return fs, err
}
