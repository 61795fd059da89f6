package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
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
// a commit costs several syscalls, so a caller can record a fetch's articles
// together (the daemon does not yet: it calls Record per article). Reads (StoryCandidates, Item, ...) see the batch only after it
// returns, so the caller folds copies within a batch itself.
// The error is for the batch as a whole (begin or commit): then nothing was
// written and the results are nil.
func (s *SQLite) RecordBatch(ctx context.Context, rs []Record) ([]RecordResult, error) {
	// Until the index has the batch's stories, no prune may delete them.
	s.storyWrites.Lock()
	defer s.storyWrites.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: record batch: %w", err)
	}
	defer tx.Rollback()
	now := s.now()
	out := make([]RecordResult, len(rs))
	var created []storyRow
	for i, r := range rs {
		st, err := s.recordSavepoint(ctx, tx, r, now)
		if err != nil {
			return nil, fmt.Errorf("store: record batch: %w", err)
		}
		out[i] = st.result
		if st.result.Err == nil && r.NewStory != nil {
			created = append(created, st.story)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: record batch: commit: %w", err)
	}
	s.stories.add(created...)
	return out, nil
}

// savepointResult is one record of a batch: its result, and its new story
// for the index once the batch commits.
type savepointResult struct {
	result RecordResult
	story  storyRow
}

// recordSavepoint writes r in tx inside a savepoint, rolled back alone when
// r fails (reported in the result). The error is the savepoint's own.
func (s *SQLite) recordSavepoint(ctx context.Context, tx *sql.Tx, r Record, now time.Time) (savepointResult, error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT record`); err != nil {
		return savepointResult{}, err
	}
	var out savepointResult
	st, err := s.record(ctx, tx, r, now)
	if err != nil {
		out.result.Err = fmt.Errorf("store: record %s %q: %w", r.Item.Source, r.Item.Key, err)
		if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT record`); err != nil {
			return savepointResult{}, err
		}
	} else {
		out.story = st
		out.result.StoryID = r.Item.StoryID
		if r.NewStory != nil {
			out.result.StoryID = st.id
		}
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT record`); err != nil {
		return savepointResult{}, err
	}
	return out, nil
}
