package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/newswatch/newswatch/model"
)

// RecordResult is the outcome of one Record of a RecordBatch or RecordFetch.
type RecordResult struct {
	StoryID int64 // as Record returns it
	Err     error // this record's failure; nothing of it was written
}

// Fetch is everything one fetch of a source writes: the records of its new
// or changed items, and the keys of every item it carried (unchanged ones
// included), whose last_seen becomes now so retention counts from when the
// source last carried them.
type Fetch struct {
	Source  string
	Records []Record
	Seen    []string
	// State, when set, is saved in the same transaction if every record
	// succeeds (so the validators advance exactly when the batch is
	// recorded), and not at all otherwise.
	State *FetchState
}

// Untouched returns f's Seen keys that none of its records writes: their
// last_seen is set by a touch, since the records' upserts set their own.
// Both stores use it, so they agree on what a fetch touches.
func (f Fetch) Untouched() []string {
	if len(f.Seen) == 0 {
		return nil
	}
	written := make(map[string]bool, len(f.Records))
	for _, r := range f.Records {
		if r.Item.Source == f.Source {
			written[r.Item.Key] = true
		}
	}
	keys := make([]string, 0, len(f.Seen))
	for _, k := range f.Seen {
		if k != "" && !written[k] {
			keys = append(keys, k)
		}
	}
	return keys
}

// touchItemsSQL sets last_seen on lookupChunk keys (unused ones NULL).
var touchItemsSQL = `UPDATE items SET last_seen = ? WHERE source = ? AND key IN (` + placeholders(lookupChunk) + `)`

// RecordFetch writes a fetch in one transaction: each record as Record
// would, then the last_seen of the Seen keys not among the records. A
// record that may hit ErrDuplicateAlert (an AlertNew for a story older
// than the fetch, which another process may have alerted meanwhile, or two
// in one channel) runs inside its own savepoint: when it fails it is rolled
// back alone and reported in its result, and so is every record whose
// StoryOf names it. Any other failure fails the fetch. Every statement is prepared once per store. The
// caller decides each record knowing the ones before it in the fetch (two
// copies of a story in one feed must see each other): it looks items up
// with KnownItems before and folds its own decisions in, and points a copy
// at an earlier record's new story with StoryOf, since reads
// (StoryCandidates, KnownItems) see the fetch only after RecordFetch
// returns. The error is for the fetch as a whole (begin, touch, commit):
// then nothing was written and the results are nil.
//
// A PostgreSQL store does the same in one transaction, with RETURNING for
// the story ids and the same per-record savepoints.
func (s *SQLite) RecordFetch(ctx context.Context, f Fetch) ([]RecordResult, error) {
	if len(f.Records) == 0 && len(f.Seen) == 0 && f.State == nil {
		return nil, nil
	}
	// Until the index has the fetch's stories, no prune may delete them.
	s.storyWrites.Lock()
	defer s.storyWrites.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: record fetch %s: %w", f.Source, err)
	}
	defer tx.Rollback()
	now := s.now()
	out, created, err := s.recordAll(ctx, tx, f.Records, now)
	if err != nil {
		return nil, fmt.Errorf("store: record fetch %s: %w", f.Source, err)
	}
	if err := s.touch(ctx, tx, f, now); err != nil {
		return nil, fmt.Errorf("store: record fetch %s: touch: %w", f.Source, err)
	}
	if f.State != nil && allOK(out) {
		if _, err := tx.StmtContext(ctx, s.stmt.saveFetchState).ExecContext(ctx, fetchStateArgs(*f.State)...); err != nil {
			return nil, fmt.Errorf("store: record fetch %s: save fetch state: %w", f.Source, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: record fetch %s: commit: %w", f.Source, err)
	}
	s.stories.add(created...)
	return out, nil
}

func allOK(rs []RecordResult) bool {
	for _, r := range rs {
		if r.Err != nil {
			return false
		}
	}
	return true
}

// RecordBatch writes records in one transaction, as RecordFetch does
// without touching any other item.
func (s *SQLite) RecordBatch(ctx context.Context, rs []Record) ([]RecordResult, error) {
	out, err := s.RecordFetch(ctx, Fetch{Records: rs})
	if err != nil {
		return nil, fmt.Errorf("store: record batch: %w", err)
	}
	if out == nil {
		out = []RecordResult{}
	}
	return out, nil
}

// recordAll writes rs in tx and returns each one's result and the stories
// created, for the index once tx commits. Plain records (an item alone)
// are written upsertChunk at a time, in order with the others.
func (s *SQLite) recordAll(ctx context.Context, tx *sql.Tx, rs []Record, now time.Time) ([]RecordResult, []storyRow, error) {
	out := make([]RecordResult, len(rs))
	var created []storyRow
	plain := newPlainWriter(ctx, s, tx, now)
	for i, r := range rs {
		if r.StoryOf > 0 {
			j := r.StoryOf - 1
			if j >= i || rs[j].NewStory == nil {
				return nil, nil, fmt.Errorf("record %d: StoryOf %d names no earlier new story", i, r.StoryOf)
			}
			if out[j].Err != nil {
				out[i].Err = fmt.Errorf("store: record %s %q: its story's record failed: %w", r.Item.Source, r.Item.Key, out[j].Err)
				continue
			}
			r.Item.StoryID = out[j].StoryID
		}
		if r.NewStory == nil && len(r.Alerts) == 0 && len(r.Holds) == 0 && len(r.Windows) == 0 && len(r.Releases) == 0 {
			out[i].StoryID = r.Item.StoryID
			if err := plain.add(r.Item); err != nil {
				return nil, nil, err
			}
			continue
		}
		if err := plain.flush(); err != nil {
			return nil, nil, err
		}
		st, err := s.recordOne(ctx, tx, r, now)
		if err != nil {
			return nil, nil, err
		}
		out[i] = st.result
		if st.result.Err == nil && r.NewStory != nil {
			created = append(created, st.story)
		}
	}
	if err := plain.flush(); err != nil {
		return nil, nil, err
	}
	return out, created, nil
}

// plainWriter buffers plain records' items and writes them upsertChunk at
// a time; a flush writes what is left one by one.
type plainWriter struct {
	ctx   context.Context
	s     *SQLite
	tx    *sql.Tx
	now   time.Time
	multi *sql.Stmt // bound to tx at the first full chunk
	buf   []Item
}

func newPlainWriter(ctx context.Context, s *SQLite, tx *sql.Tx, now time.Time) *plainWriter {
	return &plainWriter{ctx: ctx, s: s, tx: tx, now: now}
}

func (w *plainWriter) add(it Item) error {
	w.buf = append(w.buf, it)
	if len(w.buf) < upsertChunk {
		return nil
	}
	if w.multi == nil {
		w.multi = w.tx.StmtContext(w.ctx, w.s.stmt.upsertItems)
	}
	if err := w.s.upsertItems(w.ctx, w.multi, w.buf, w.now); err != nil {
		return fmt.Errorf("record items: %w", err)
	}
	w.buf = w.buf[:0]
	return nil
}

func (w *plainWriter) flush() error {
	for _, it := range w.buf {
		if err := w.s.upsertItem(w.ctx, w.tx, it, w.now); err != nil {
			return fmt.Errorf("record %s %q: item: %w", it.Source, it.Key, err)
		}
	}
	w.buf = w.buf[:0]
	return nil
}

// savepointResult is one record of a batch: its result, and its new story
// for the index once the batch commits.
type savepointResult struct {
	result RecordResult
	story  storyRow
}

// recordOne writes r in tx. Only a record that may break the one AlertNew
// per story and channel can fail on its own, so only it pays for a
// savepoint (see mayConflict); any other failure fails the whole fetch.
func (s *SQLite) recordOne(ctx context.Context, tx *sql.Tx, r Record, now time.Time) (savepointResult, error) {
	if mayConflict(r) {
		return s.recordSavepoint(ctx, tx, r, now)
	}
	st, err := s.record(ctx, tx, r, now)
	if err != nil {
		return savepointResult{}, fmt.Errorf("record %s %q: %w", r.Item.Source, r.Item.Key, err)
	}
	return savepointResult{result: RecordResult{StoryID: storyOf(r, st)}, story: st}, nil
}

// mayConflict reports whether r may hit ErrDuplicateAlert: it adds an
// AlertNew (or a parentless follow-up, which may become one) to a story
// that existed before this transaction, which another process may have
// alerted meanwhile, or two in one channel. A story founded in this fetch
// (NewStory, StoryOf) has no alert anywhere else yet.
func mayConflict(r Record) bool {
	channels := map[string]bool{}
	for _, a := range r.Alerts {
		if a.Kind != model.AlertNew && a.ParentID != 0 {
			continue
		}
		if (r.NewStory == nil && r.StoryOf == 0) || channels[a.Channel] {
			return true
		}
		channels[a.Channel] = true
	}
	return false
}

func storyOf(r Record, st storyRow) int64 {
	if r.NewStory != nil {
		return st.id
	}
	return r.Item.StoryID
}

// recordSavepoint writes r in tx inside a savepoint, rolled back alone when
// r fails (reported in the result). The error is the savepoint's own.
func (s *SQLite) recordSavepoint(ctx context.Context, tx *sql.Tx, r Record, now time.Time) (savepointResult, error) {
	if _, err := tx.StmtContext(ctx, s.stmt.savepoint).ExecContext(ctx); err != nil {
		return savepointResult{}, err
	}
	var out savepointResult
	st, err := s.record(ctx, tx, r, now)
	if err != nil {
		out.result.Err = fmt.Errorf("store: record %s %q: %w", r.Item.Source, r.Item.Key, err)
		if _, err := tx.StmtContext(ctx, s.stmt.rollbackTo).ExecContext(ctx); err != nil {
			return savepointResult{}, err
		}
	} else {
		out.story, out.result.StoryID = st, storyOf(r, st)
	}
	if _, err := tx.StmtContext(ctx, s.stmt.release).ExecContext(ctx); err != nil {
		return savepointResult{}, err
	}
	return out, nil
}

// touch sets last_seen on f's Seen keys that no record of f wrote (the
// upsert already set theirs).
func (s *SQLite) touch(ctx context.Context, tx *sql.Tx, f Fetch, now time.Time) error {
	keys := f.Untouched()
	if len(keys) == 0 {
		return nil
	}
	st := tx.StmtContext(ctx, s.stmt.touchItems)
	args := make([]any, 2+lookupChunk)
	args[0], args[1] = dbTime(now), f.Source
	for i := 0; i < len(keys); i += lookupChunk {
		fill(args[2:], keys, i)
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}
