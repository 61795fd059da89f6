package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// pruneSQL runs in order in one transaction; each takes the cutoff once.
// Pending alerts are never deleted, nor is a sent or failed alert that a
// pending follow-up still needs for its thread, nor a story that a pending
// alert refers to.
var pruneSQL = []struct{ what, sql string }{
	// A posted digest goes with its held rows (ON DELETE CASCADE); while
	// they are kept, a later copy of a digested story is not posted again.
	{"digests", `DELETE FROM digests WHERE posted IS NOT NULL AND posted < ?`},
	{"alerts", `DELETE FROM outbox WHERE state IN ('sent', 'failed') AND updated < ?
		AND NOT EXISTS (SELECT 1 FROM outbox c WHERE c.parent_id = outbox.id AND c.state = 'pending')`},
	{"items", `DELETE FROM items WHERE last_seen < ?`},
}

// pruneStoriesSQL deletes the old stories and returns them (with their band
// keys) for the index to drop after the commit.
const pruneStoriesSQL = `DELETE FROM stories WHERE created < ?
	AND id NOT IN (SELECT story_id FROM outbox WHERE state = 'pending' AND story_id IS NOT NULL)
	RETURNING id, bands`

// Prune forgets what is older than before: items last seen before it,
// stories created before it that no pending alert refers to (in the
// database, then in the band index), and sent or failed alerts last updated
// before it. It never deletes a pending alert.
func (s *SQLite) Prune(ctx context.Context, before time.Time) error {
	s.storyWrites.Lock()
	defer s.storyWrites.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: prune: %w", err)
	}
	defer tx.Rollback()
	for _, p := range pruneSQL {
		if _, err := tx.ExecContext(ctx, p.sql, before.UnixMicro()); err != nil {
			return fmt.Errorf("store: prune %s: %w", p.what, err)
		}
	}
	gone, err := pruneStories(ctx, tx, before)
	if err != nil {
		return fmt.Errorf("store: prune stories: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: prune: commit: %w", err)
	}
	s.stories.drop(gone)
	return nil
}

// pruneStories deletes the stories Prune forgets and returns their ids and
// band keys.
func pruneStories(ctx context.Context, tx *sql.Tx, before time.Time) ([]storyRow, error) {
	rows, err := tx.QueryContext(ctx, pruneStoriesSQL, before.UnixMicro())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gone []storyRow
	for rows.Next() {
		var r storyRow
		var blob []byte
		if err := rows.Scan(&r.id, &blob); err != nil {
			return nil, err
		}
		if r.bands, err = decodeBands(blob); err != nil {
			return nil, fmt.Errorf("story %d: %w", r.id, err)
		}
		gone = append(gone, r)
	}
	return gone, rows.Err()
}
