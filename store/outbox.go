package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/newswatch/newswatch/model"
)

// AlertCounts counts the outbox's alerts by state.
type AlertCounts struct{ Pending, Sent, Failed int }

// FailedAlert is an alert that failed for good, for `status`.
type FailedAlert struct {
	ID                    int64
	Channel, Title, Error string
	At                    time.Time // when it failed
}

// dueWhere selects the pending alerts that may be delivered: new alerts and
// first digest parts, and follow-ups and later digest parts whose parent is
// sent or failed (or gone). o is the alert, p its
// parent (LEFT JOIN).
const dueWhere = `o.state = 'pending'
	AND (o.kind IN ('new', 'digest') OR o.parent_id IS NULL OR p.state IN ('sent', 'failed'))`

// DueAlerts returns up to limit pending alerts with next_attempt <= now,
// oldest first. A follow-up is returned only once its parent was sent
// (ThreadTS is then the parent's ts) or failed (ThreadTS ""). ID, Attempts
// and ThreadTS come from the outbox, the rest from the stored alert.
func (s *SQLite) DueAlerts(ctx context.Context, now time.Time, limit int) ([]model.Alert, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT o.id, o.kind, o.channel, o.story_id, o.parent_id,
			o.payload, o.attempts, o.created, o.attempt_started, p.state, p.ts
		FROM outbox o LEFT JOIN outbox p ON p.id = o.parent_id
		WHERE `+dueWhere+` AND o.next_attempt <= ?
		ORDER BY o.created, o.id LIMIT ?`, now.UnixMicro(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: due alerts: %w", err)
	}
	defer rows.Close()
	var out []model.Alert
	for rows.Next() {
		a, err := scanDue(rows)
		if err != nil {
			return nil, fmt.Errorf("store: due alerts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: due alerts: %w", err)
	}
	return out, nil
}

// scanDue reads a DueAlerts row into an alert.
func scanDue(rows *sql.Rows) (model.Alert, error) {
	var a model.Alert
	var kind, payload string
	var story, parent, created, started sql.NullInt64
	var parentState, parentTS sql.NullString
	if err := rows.Scan(&a.ID, &kind, &a.Channel, &story, &parent, &payload, &a.Attempts, &created,
		&started, &parentState, &parentTS); err != nil {
		return a, err
	}
	id, ch, attempts := a.ID, a.Channel, a.Attempts
	if err := json.Unmarshal([]byte(payload), &a); err != nil {
		return a, fmt.Errorf("alert %d: decode payload: %w", id, err)
	}
	a.ID, a.Channel, a.Attempts = id, ch, attempts
	a.Kind = model.ParseAlertKind(kind)
	a.StoryID, a.ParentID, a.Created = story.Int64, parent.Int64, goTime(created)
	a.AttemptStarted = goTime(started)
	a.ThreadTS = ""
	if parentState.String == string(model.AlertSent) {
		a.ThreadTS = parentTS.String
	}
	return a, nil
}

// NextDue returns the earliest next_attempt among pending alerts that could
// be delivered (a follow-up waiting for its parent counts once the parent is
// done), or ErrNotFound when there is none.
func (s *SQLite) NextDue(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT MIN(o.next_attempt)
		FROM outbox o LEFT JOIN outbox p ON p.id = o.parent_id
		WHERE `+dueWhere).Scan(&next)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: next due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, fmt.Errorf("store: next due: %w", ErrNotFound)
	}
	return goTime(next), nil
}

// MarkSent marks a pending alert delivered, with Slack's message ts.
func (s *SQLite) MarkSent(ctx context.Context, id int64, ts string) error {
	return s.transition(ctx, "mark sent", id, `state = 'sent', ts = ?`, ts)
}

// MarkRetry counts a failed attempt and schedules the next one at next.
// It leaves the attempt mark alone: the failure may have been a post that
// reached Slack (see MarkAttempt).
func (s *SQLite) MarkRetry(ctx context.Context, id int64, next time.Time, errMsg string) error {
	return s.transition(ctx, "mark retry", id,
		`attempts = attempts + 1, next_attempt = ?, last_error = ?`, next.UnixMicro(), errMsg)
}

// Postpone moves a pending alert's next attempt to next without counting an
// attempt (Slack said to wait), and clears the attempt mark: a rate-limited
// post was not posted.
func (s *SQLite) Postpone(ctx context.Context, id int64, next time.Time, errMsg string) error {
	return s.transition(ctx, "postpone", id,
		`next_attempt = ?, last_error = ?, attempt_started = NULL`, next.UnixMicro(), errMsg)
}

// MarkAttempt records, durably, that a post of the alert starts at at; the
// zero time clears the mark (the post is known not to have reached Slack).
// An alert found pending with the mark set may already be in Slack.
func (s *SQLite) MarkAttempt(ctx context.Context, id int64, at time.Time) error {
	return s.transition(ctx, "mark attempt", id, `attempt_started = ?`, dbTime(at))
}

// MarkFailed marks a pending alert failed for good, with the error.
func (s *SQLite) MarkFailed(ctx context.Context, id int64, errMsg string) error {
	return s.transition(ctx, "mark failed", id,
		`state = 'failed', attempts = attempts + 1, last_error = ?`, errMsg)
}

// transition applies set to the pending alert id. It fails with ErrNotFound
// when there is no such alert and ErrNotPending when it is sent or failed.
func (s *SQLite) transition(ctx context.Context, op string, id int64, set string, args ...any) error {
	args = append(args, s.now().UnixMicro(), id)
	res, err := s.w.ExecContext(ctx, `UPDATE outbox SET `+set+`, updated = ?
		WHERE id = ? AND state = 'pending'`, args...)
	if err != nil {
		return fmt.Errorf("store: %s %d: %w", op, id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var state string
	err = s.r.QueryRowContext(ctx, `SELECT state FROM outbox WHERE id = ?`, id).Scan(&state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: %s %d: %w", op, id, ErrNotFound)
	case err != nil:
		return fmt.Errorf("store: %s %d: %w", op, id, err)
	}
	return fmt.Errorf("store: %s %d: %w (it is %s)", op, id, ErrNotPending, state)
}

const storyAlertSQL = `SELECT id FROM outbox WHERE story_id = ? AND channel = ? AND kind = 'new'`

// StoryAlert returns the id of the story's AlertNew in channel, whatever its
// state, or ErrNotFound.
func (s *SQLite) StoryAlert(ctx context.Context, storyID int64, channel string) (alertID int64, err error) {
	err = s.r.QueryRowContext(ctx, storyAlertSQL, storyID, channel).Scan(&alertID)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: story %d alert in %s: %w", storyID, channel, err)
	}
	return alertID, nil
}

// AlertCounts counts the outbox's alerts by state.
func (s *SQLite) AlertCounts(ctx context.Context) (AlertCounts, error) {
	var c AlertCounts
	err := s.r.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN state = 'sent' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0)
		FROM outbox`).Scan(&c.Pending, &c.Sent, &c.Failed)
	if err != nil {
		return AlertCounts{}, fmt.Errorf("store: alert counts: %w", err)
	}
	return c, nil
}

// FailedAlerts returns up to limit failed alerts, most recent first, with
// their last error and the article's title.
func (s *SQLite) FailedAlerts(ctx context.Context, limit int) ([]FailedAlert, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, channel, last_error, updated, payload FROM outbox
		WHERE state = 'failed' ORDER BY updated DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: failed alerts: %w", err)
	}
	defer rows.Close()
	var out []FailedAlert
	for rows.Next() {
		var f FailedAlert
		var at sql.NullInt64
		var payload string
		if err := rows.Scan(&f.ID, &f.Channel, &f.Error, &at, &payload); err != nil {
			return nil, fmt.Errorf("store: failed alerts: %w", err)
		}
		var a model.Alert
		if err := json.Unmarshal([]byte(payload), &a); err != nil {
			return nil, fmt.Errorf("store: failed alert %d: decode payload: %w", f.ID, err)
		}
		f.Title, f.At = AlertTitle(a), goTime(at)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: failed alerts: %w", err)
	}
	return out, nil
}
