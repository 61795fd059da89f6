package store

import (
	"context"
	"fmt"
)

// RecordResult is the outcome of one Record of a RecordBatch.
type RecordResult struct {
	StoryID int64 // as Record returns it
	Err     error // this record's failure; nothing of it was written
}

// RecordBatch writes several records in one transaction, each as Record
// would, inside its own savepoint: a record that fails (say with
// ErrDuplicateAlert) is rolled back alone and reported in its result, and
// the others are kept. The batch commits as a whole, so after a crash either
// all its successful records are there or none. It exists for throughput:
// a commit costs several syscalls, so the daemon records a fetch's articles
// together. Reads (StoryCandidates, Item, ...) see the batch only after it
// returns, so the caller folds copies within a batch itself.
// The error is for the batch as a whole (begin or commit): then nothing was
// written and the results are nil.
func (s *SQLite) RecordBatch(ctx context.Context, rs []Record) ([]RecordResult, error) {
	batches := make([][]bandBatch, len(rs))
	for i, r := range rs {
		if r.NewStory == nil {
			continue
		}
		var err error
		if batches[i], err = s.bandBatches(ctx, r.NewStory.Bands); err != nil {
			return nil, fmt.Errorf("store: record batch: %w", err)
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: record batch: %w", err)
	}
	defer tx.Rollback()
	now := s.now()
	out := make([]RecordResult, len(rs))
	for i, r := range rs {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT record`); err != nil {
			return nil, fmt.Errorf("store: record batch: %w", err)
		}
		id, err := s.record(ctx, tx, r, batches[i], now)
		if err != nil {
			out[i].Err = fmt.Errorf("store: record %s %q: %w", r.Item.Source, r.Item.Key, err)
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT record`); err != nil {
				return nil, fmt.Errorf("store: record batch: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT record`); err != nil {
			return nil, fmt.Errorf("store: record batch: %w", err)
		}
		out[i].StoryID = id
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: record batch: commit: %w", err)
	}
	return out, nil
}
