package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/newswatch/newswatch/model"
)

// Record is one article's outcome, written by Record in one transaction
// or by RecordFetch with the rest of its fetch.
type Record struct {
	Item     Item
	NewStory *NewStory
	// StoryOf, in a RecordFetch, is 1 + the index of an earlier record of
	// the same fetch whose NewStory this item belongs to: the item and its
	// alerts take that story's id once it exists. 0: none.
	StoryOf int
	// Alerts are inserted as pending. A follow-up whose ParentID is 0 is
	// threaded under its story's AlertNew in its channel, looked up in the
	// same transaction (so it may be one written earlier in the batch); when
	// there is none it becomes that AlertNew itself.
	Alerts []model.Alert
	// Holds are the item's articles held for digests (one per channel at
	// most), and Windows the flood windows its alerts changed: both written
	// in the record's transaction (see writeFlood).
	Holds    []Hold
	Windows  []WindowState
	Releases []Release
}

// Record writes one article's outcome in one transaction: upsert the item,
// create the story when NewStory is set (Item.StoryID and every alert's
// StoryID then become its id), insert the alerts as pending, due now. It
// returns the item's story id (0 when it has none). When a story already has
// an AlertNew in an alert's channel the error wraps ErrDuplicateAlert; on any
// error nothing is written. A new story is in the band index (StoryCandidates
// finds it) once Record has returned, and never if Record failed.
func (s *SQLite) Record(ctx context.Context, r Record) (storyID int64, err error) {
	if r.NewStory != nil {
		// Until the index has the story, no prune may delete it.
		s.storyWrites.Lock()
		defer s.storyWrites.Unlock()
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: record %s %q: %w", r.Item.Source, r.Item.Key, err)
	}
	defer tx.Rollback()
	st, err := s.record(ctx, tx, r, s.now())
	if err != nil {
		return 0, fmt.Errorf("store: record %s %q: %w", r.Item.Source, r.Item.Key, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: record %s %q: commit: %w", r.Item.Source, r.Item.Key, err)
	}
	if r.NewStory != nil {
		s.stories.add(st)
		return st.id, nil
	}
	return r.Item.StoryID, nil
}

// record writes r in tx and returns its new story (zero when it has none).
func (s *SQLite) record(ctx context.Context, tx *sql.Tx, r Record, now time.Time) (storyRow, error) {
	it := r.Item
	var st storyRow
	if r.NewStory != nil {
		var err error
		if st, err = s.insertStory(ctx, tx, r.NewStory, now); err != nil {
			return storyRow{}, fmt.Errorf("story: %w", err)
		}
		it.StoryID = st.id
	}
	if err := s.upsertItem(ctx, tx, it, now); err != nil {
		return storyRow{}, fmt.Errorf("item: %w", err)
	}
	for _, a := range r.Alerts {
		if r.NewStory != nil || r.StoryOf > 0 {
			a.StoryID = it.StoryID
		}
		if err := s.threadAlert(ctx, tx, &a); err != nil {
			return storyRow{}, fmt.Errorf("alert for %s: %w", a.Channel, err)
		}
		if err := s.insertAlert(ctx, tx, a, now); err != nil {
			return storyRow{}, fmt.Errorf("alert for %s: %w", a.Channel, err)
		}
	}
	if err := s.writeFlood(ctx, tx, r, it.StoryID, now); err != nil {
		return storyRow{}, err
	}
	return st, nil
}

// threadAlert finds the parent of a follow-up that names none (see Record).
func (s *SQLite) threadAlert(ctx context.Context, tx *sql.Tx, a *model.Alert) error {
	if a.Kind != model.AlertFollowUp || a.ParentID != 0 {
		return nil
	}
	err := tx.StmtContext(ctx, s.stmt.storyAlert).QueryRowContext(ctx, a.StoryID, a.Channel).Scan(&a.ParentID)
	if errors.Is(err, sql.ErrNoRows) {
		a.Kind = model.AlertNew
		return nil
	}
	return err
}

const insertAlertSQL = `INSERT INTO outbox
	(kind, channel, story_id, parent_id, payload, state, attempts, next_attempt, created, updated)
	VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)`

// insertAlert adds a as a pending alert due at now. The payload is the alert
// as JSON; its delivery fields (ID, Attempts, ThreadTS) live in columns.
func (s *SQLite) insertAlert(ctx context.Context, tx *sql.Tx, a model.Alert, now time.Time) error {
	if a.Created.IsZero() {
		a.Created = now
	}
	a.ID, a.Attempts, a.ThreadTS = 0, 0, ""
	payload, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = tx.StmtContext(ctx, s.stmt.insertAlert).ExecContext(ctx,
		a.Kind.String(), a.Channel, nullID(a.StoryID), nullID(a.ParentID), string(payload),
		now.UnixMicro(), a.Created.UnixMicro(), now.UnixMicro())
	if isUniqueViolation(err) {
		return fmt.Errorf("story %d: %w", a.StoryID, ErrDuplicateAlert)
	}
	return err
}

// isUniqueViolation reports whether err is SQLite's UNIQUE constraint error.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}
