package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

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

// SaveFetchState inserts or replaces the state of fs.Source.
func (s *Store) SaveFetchState(ctx context.Context, fs store.FetchState) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO fetch_state (`+fetchStateColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (source) DO UPDATE SET
			etag = excluded.etag, last_modified = excluded.last_modified,
			last_fetch = excluded.last_fetch, last_result = excluded.last_result,
			last_error = excluded.last_error, consecutive_failures = excluded.consecutive_failures,
			next_attempt = excluded.next_attempt, fetched = excluded.fetched`,
		fs.Source, fs.ETag, fs.LastModified, dbTime(fs.LastFetch), fs.LastResult, fs.LastError,
		fs.ConsecutiveFailures, dbTime(fs.NextAttempt), fs.Fetched)
	if err != nil {
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
