package store

import (
	"context"
	"fmt"
	"time"
)

// pruneSQL runs in order in one transaction; each takes the cutoff once.
// Pending alerts are never deleted, nor is a sent or failed alert that a
// pending follow-up still needs for its thread, nor a story (or its bands)
// that a pending alert refers to.
var pruneSQL = []struct{ what, sql string }{
	{"alerts", `DELETE FROM outbox WHERE state IN ('sent', 'failed') AND updated < ?
		AND NOT EXISTS (SELECT 1 FROM outbox c WHERE c.parent_id = outbox.id AND c.state = 'pending')`},
	{"items", `DELETE FROM items WHERE first_seen < ?`},
	// story_bands has no index on story_id (it would cost every insert);
	// created is the story's, so the old rows are found by it.
	{"story bands", `DELETE FROM story_bands WHERE created < ?
		AND story_id NOT IN (SELECT story_id FROM outbox WHERE state = 'pending' AND story_id IS NOT NULL)`},
	{"stories", `DELETE FROM stories WHERE created < ?
		AND id NOT IN (SELECT story_id FROM outbox WHERE state = 'pending' AND story_id IS NOT NULL)`},
}

// Prune forgets what is older than before: items first seen before it,
// stories (with their band keys) created before it that no pending alert
// refers to, and sent or failed alerts last updated before it. It never
// deletes a pending alert.
func (s *SQLite) Prune(ctx context.Context, before time.Time) error {
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
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: prune: commit: %w", err)
	}
	return nil
}
