package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
)

// DefaultClaimLease is how long, by default, an alert claimed by DueAlerts
// stays this replica's: long enough for a batch paced at one message a
// second per channel, short enough that a dead replica's alerts are
// delivered by another within minutes.
const DefaultClaimLease = 5 * time.Minute

// DueAlerts is the notifier's "due alerts", for several replicas: it
// claims up to limit due alerts for this store's owner (Options.Owner)
// with ClaimDue, so two replicas never deliver one alert. now is ignored:
// "due" is by the database's clock (or the injected one), the clock the
// leases use.
func (s *Store) DueAlerts(ctx context.Context, now time.Time, limit int) ([]model.Alert, error) {
	claims, err := s.ClaimDue(ctx, s.owner, limit, s.claimLease)
	if err != nil {
		return nil, err
	}
	out := make([]model.Alert, len(claims))
	for i, c := range claims {
		out[i] = c.Alert
		out[i].AttemptStarted = c.AttemptStarted
	}
	return out, nil
}

// NextDue returns when the earliest pending alert that could be delivered
// is due: its next attempt, or for an alert another replica holds the end
// of that claim if later (a follow-up counts once its parent is done). It
// returns ErrNotFound when there is none.
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	var next *int64
	err := s.pool.QueryRow(ctx, `SELECT MIN(CASE WHEN o.claimed_by IN ($1, '') THEN o.next_attempt
			ELSE GREATEST(o.next_attempt, COALESCE(o.claim_expires, 0)) END)
		FROM outbox o LEFT JOIN outbox p ON p.id = o.parent_id
		WHERE o.state = 'pending'
			AND (o.kind IN ('new', 'digest') OR o.parent_id IS NULL OR p.state IN ('sent', 'failed'))`, s.owner).Scan(&next)
	if err != nil {
		return time.Time{}, fmt.Errorf("pgstore: next due: %w", err)
	}
	if next == nil {
		return time.Time{}, fmt.Errorf("pgstore: next due: %w", ErrNotFound)
	}
	return fromMicros(*next), nil
}

// MarkSent marks a pending alert this replica claimed delivered, with
// Slack's message ts, and ends the claim.
func (s *Store) MarkSent(ctx context.Context, id int64, ts string) error {
	return s.transition(ctx, "mark sent", id, `state = 'sent', ts = $4`, ts)
}

// MarkRetry counts a failed attempt, schedules the next at next and ends
// the claim (the retry goes to whichever replica claims it then). It
// leaves the attempt mark alone: the failure may have been a post that
// reached Slack.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, errMsg string) error {
	return s.transition(ctx, "mark retry", id,
		`attempts = attempts + 1, next_attempt = $4, last_error = $5`, micros(next), errMsg)
}

// Postpone moves a pending alert's next attempt to next without counting
// an attempt (Slack said to wait), clears the attempt mark (a rate-limited
// post was not posted) and ends the claim.
func (s *Store) Postpone(ctx context.Context, id int64, next time.Time, errMsg string) error {
	return s.transition(ctx, "postpone", id,
		`next_attempt = $4, last_error = $5, attempt_started = NULL`, micros(next), errMsg)
}

// MarkAttempt records, durably, that a post of the alert starts at at (the
// zero time clears the mark). The claim stays: the post is under way. A
// replica that claims the alert later with the mark set looks it up in
// Slack before posting again.
func (s *Store) MarkAttempt(ctx context.Context, id int64, at time.Time) error {
	return s.update(ctx, "mark attempt", id, false, `attempt_started = $4`, dbTime(at))
}

// MarkFailed marks a pending alert failed for good, with the error.
func (s *Store) MarkFailed(ctx context.Context, id int64, errMsg string) error {
	return s.transition(ctx, "mark failed", id,
		`state = 'failed', attempts = attempts + 1, last_error = $4`, errMsg)
}

// transition applies set to the pending alert id if this replica holds its
// claim ($1 id, $2 owner, $3 now; set's own arguments from $4). It fails
// with ErrNotFound when there is no such alert, ErrNotPending when it is
// sent or failed, and ErrLeaseLost when another replica claimed it since
// (this replica's lease ended): that replica now decides its fate.
func (s *Store) transition(ctx context.Context, op string, id int64, set string, args ...any) error {
	return s.update(ctx, op, id, true, set, args...)
}

// update is transition, ending the claim or keeping it.
func (s *Store) update(ctx context.Context, op string, id int64, endClaim bool, set string, args ...any) error {
	args = append([]any{id, s.owner, micros(s.writeNow())}, args...)
	if endClaim {
		set += `, claimed_by = '', claim_expires = NULL`
	}
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET `+set+`, updated = $3
		WHERE id = $1 AND state = 'pending' AND claimed_by IN ($2, '')`, args...)
	if err != nil {
		return fmt.Errorf("pgstore: %s %d: %w", op, id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var state, owner string
	err = s.pool.QueryRow(ctx, `SELECT state, claimed_by FROM outbox WHERE id = $1`, id).Scan(&state, &owner)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("pgstore: %s %d: %w", op, id, ErrNotFound)
	case err != nil:
		return fmt.Errorf("pgstore: %s %d: %w", op, id, err)
	case state != "pending":
		return fmt.Errorf("pgstore: %s %d: %w (it is %s)", op, id, store.ErrNotPending, state)
	}
	return fmt.Errorf("pgstore: %s %d: %w (claimed by replica %s)", op, id, ErrLeaseLost, owner)
}

const storyAlertSQL = `SELECT id FROM outbox WHERE story_id = $1 AND channel = $2 AND kind = 'new'`

// StoryAlert returns the id of the story's AlertNew in channel, whatever
// its state, or ErrNotFound.
func (s *Store) StoryAlert(ctx context.Context, storyID int64, channel string) (int64, error) {
	var id int64
	if err := s.pool.QueryRow(ctx, storyAlertSQL, storyID, channel).Scan(&id); err != nil {
		return 0, fmt.Errorf("pgstore: story %d alert in %s: %w", storyID, channel, notFound(err))
	}
	return id, nil
}

// AlertCounts counts the outbox's alerts by state.
func (s *Store) AlertCounts(ctx context.Context) (store.AlertCounts, error) {
	var c store.AlertCounts
	err := s.pool.QueryRow(ctx, `SELECT
			COUNT(*) FILTER (WHERE state = 'pending'),
			COUNT(*) FILTER (WHERE state = 'sent'),
			COUNT(*) FILTER (WHERE state = 'failed')
		FROM outbox`).Scan(&c.Pending, &c.Sent, &c.Failed)
	if err != nil {
		return store.AlertCounts{}, fmt.Errorf("pgstore: alert counts: %w", err)
	}
	return c, nil
}

// FailedAlerts returns up to limit failed alerts, most recent first, with
// their last error and the article's title.
func (s *Store) FailedAlerts(ctx context.Context, limit int) ([]store.FailedAlert, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, channel, last_error, updated, payload FROM outbox
		WHERE state = 'failed' ORDER BY updated DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: failed alerts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.FailedAlert, error) {
		var f store.FailedAlert
		var at int64
		var payload string
		if err := row.Scan(&f.ID, &f.Channel, &f.Error, &at, &payload); err != nil {
			return f, err
		}
		var a model.Alert
		if err := json.Unmarshal([]byte(payload), &a); err != nil {
			return f, fmt.Errorf("alert %d: decode payload: %w", f.ID, err)
		}
		f.Title, f.At = a.Article.Title, fromMicros(at)
		return f, nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: failed alerts: %w", err)
	}
	return out, nil
}

// Prune forgets what is older than before, as store.SQLite.Prune does:
// sent or failed alerts last updated before it (not one a pending
// follow-up still needs), items last seen before it, and stories created
// before it that no pending alert refers to (their band keys go with
// them). It never deletes a pending alert. Replicas may all prune; the
// statements are idempotent.
func (s *Store) Prune(ctx context.Context, before time.Time) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: prune: %w", err)
	}
	defer tx.Rollback(ctx)
	for _, p := range []struct{ what, sql string }{
		// A posted digest goes with its held rows (ON DELETE CASCADE); while
		// they are kept, a later copy of a digested story is not posted again.
		{"digests", `DELETE FROM digests WHERE posted IS NOT NULL AND posted < $1`},
		{"alerts", `DELETE FROM outbox WHERE state IN ('sent', 'failed') AND updated < $1
			AND NOT EXISTS (SELECT 1 FROM outbox c WHERE c.parent_id = outbox.id AND c.state = 'pending')`},
		{"items", `DELETE FROM items WHERE last_seen < $1`},
		{"stories", `DELETE FROM stories WHERE created < $1
			AND id NOT IN (SELECT story_id FROM outbox WHERE state = 'pending' AND story_id IS NOT NULL)`},
	} {
		if _, err := tx.Exec(ctx, p.sql, micros(before)); err != nil {
			return fmt.Errorf("pgstore: prune %s: %w", p.what, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: prune: commit: %w", err)
	}
	return nil
}

// PendingAlerts returns up to limit pending alerts, oldest first, for
// status.
func (s *Store) PendingAlerts(ctx context.Context, limit int) ([]store.PendingAlert, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, channel, last_error, attempts, created, next_attempt, payload
		FROM outbox WHERE state = 'pending' ORDER BY created, id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: pending alerts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.PendingAlert, error) {
		var p store.PendingAlert
		var created, next int64
		var payload string
		if err := row.Scan(&p.ID, &p.Channel, &p.Error, &p.Attempts, &created, &next, &payload); err != nil {
			return p, err
		}
		var a model.Alert
		if err := json.Unmarshal([]byte(payload), &a); err != nil {
			return p, fmt.Errorf("alert %d: decode payload: %w", p.ID, err)
		}
		p.Title, p.Created, p.NextAttempt = store.AlertTitle(a), fromMicros(created), fromMicros(next)
		return p, nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: pending alerts: %w", err)
	}
	return out, nil
}
