package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/newswatch/newswatch/store"
)

// Fetch state is shared by the replicas, so a conditional GET (ETag,
// Last-Modified) and a backoff hold whichever replica fetches next. The
// methods are the SQLite store's, same shapes and same meaning.

const fetchStateColumns = `source, etag, last_modified, last_fetch, last_result, last_error,
	consecutive_failures, next_attempt, fetched`

// FetchState returns the state of source, or ErrNotFound when it was never
// saved.
func (s *Store) FetchState(ctx context.Context, source string) (store.FetchState, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+fetchStateColumns+` FROM fetch_state WHERE source = $1`, source)
	if err == nil {
		var fs store.FetchState
		fs, err = pgx.CollectExactlyOneRow(rows, scanFetchState)
		if err == nil {
			return fs, nil
		}
	}
	return store.FetchState{}, fmt.Errorf("pgstore: fetch state %q: %w", source, notFound(err))
}

// upsertFetchState ends both saves: a known source's row is replaced.
const upsertFetchState = `
	ON CONFLICT (source) DO UPDATE SET
		etag = excluded.etag, last_modified = excluded.last_modified,
		last_fetch = excluded.last_fetch, last_result = excluded.last_result,
		last_error = excluded.last_error, consecutive_failures = excluded.consecutive_failures,
		next_attempt = excluded.next_attempt, fetched = excluded.fetched`

const saveFetchStateSQL = `INSERT INTO fetch_state (` + fetchStateColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)` + upsertFetchState

// saveFencedStateSQL writes the state only if the source's lease still
// names the fence's tick ($10) and owner ($11). FOR SHARE makes the check
// see a claim committed after the statement began (the row is re-read
// under the lock) and holds the lease row until the write commits, so a
// replica claiming the next tick waits for it and then reads this state,
// never an older one it would overwrite later.
const saveFencedStateSQL = `INSERT INTO fetch_state (` + fetchStateColumns + `)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
	WHERE EXISTS (SELECT 1 FROM tick_leases WHERE source = $1 AND tick = $10 AND owner = $11 FOR SHARE)` +
	upsertFetchState

func fetchStateArgs(fs store.FetchState) []any {
	return []any{fs.Source, fs.ETag, fs.LastModified, dbTime(fs.LastFetch), fs.LastResult, fs.LastError,
		fs.ConsecutiveFailures, dbTime(fs.NextAttempt), fs.Fetched}
}

// execer is a pool or a transaction.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// saveState writes fs through q; when fs carries a fence, only while the
// source's tick lease is still the fence's (else ErrLeaseLost, nothing
// written).
func saveState(ctx context.Context, q execer, fs store.FetchState) error {
	if fs.Fence == nil {
		_, err := q.Exec(ctx, saveFetchStateSQL, fetchStateArgs(fs)...)
		return err
	}
	tag, err := q.Exec(ctx, saveFencedStateSQL, append(fetchStateArgs(fs), micros(fs.Fence.Tick), fs.Fence.Owner)...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("fenced by %s's tick %s: %w", fs.Fence.Owner, fs.Fence.Tick.UTC().Format(time.RFC3339), ErrLeaseLost)
	}
	return nil
}

// SaveFetchState inserts or replaces the state of fs.Source; a fenced
// state (fs.Fence) only while its tick lease holds, else ErrLeaseLost.
func (s *Store) SaveFetchState(ctx context.Context, fs store.FetchState) error {
	if err := saveState(ctx, s.pool, fs); err != nil {
		return fmt.Errorf("pgstore: save fetch state %q: %w", fs.Source, err)
	}
	return nil
}

// FetchStates returns every saved source state, ordered by source name.
func (s *Store) FetchStates(ctx context.Context) ([]store.FetchState, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+fetchStateColumns+` FROM fetch_state ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: fetch states: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanFetchState)
	if err != nil {
		return nil, fmt.Errorf("pgstore: fetch states: %w", err)
	}
	return out, nil
}

func scanFetchState(row pgx.CollectableRow) (store.FetchState, error) {
	var fs store.FetchState
	var last, next *int64
	err := row.Scan(&fs.Source, &fs.ETag, &fs.LastModified, &last, &fs.LastResult, &fs.LastError,
		&fs.ConsecutiveFailures, &next, &fs.Fetched)
	fs.LastFetch, fs.NextAttempt = goTime(last), goTime(next)
	return fs, err
}
