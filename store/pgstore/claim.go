package pgstore

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newswatch/newswatch/model"
)

// The outbox is one for all replicas: a replica claims the due alerts it
// will deliver, with a lease, so no other replica delivers them meanwhile;
// one that dies mid-send loses its claim when the lease ends and another
// replica claims the alert again (and, with the delivery branch's attempt
// mark, looks it up in Slack before posting again). Pacing per channel is
// ReserveSend, taken before each post.

// Claim is a claimed alert.
type Claim struct {
	Alert model.Alert // ID, Kind, Channel, StoryID, ParentID, Attempts, Created and ThreadTS from the outbox row, the rest from its payload
	// AttemptStarted is the outbox's attempt mark (zero: none): a post of
	// this alert may already have reached Slack.
	AttemptStarted time.Time
	Expires        time.Time // the claim's end
}

// claimDueSQL picks up to $4 due alerts, oldest first, that no live claim
// holds, skipping rows another replica is claiming at this instant (SKIP
// LOCKED: replicas never wait for each other here, nor take the same row),
// and claims them for $1 until $2 + $3. A follow-up is due only once its
// parent is sent (ThreadTS is the parent's ts, whichever replica sent it)
// or failed or gone, as in the SQLite store. $2 is now (NULL: the
// database's clock).
var claimDueSQL = `WITH c AS (SELECT ` + nowSQL("$2") + ` AS now),
	due AS (
		SELECT o.id FROM outbox o LEFT JOIN outbox p ON p.id = o.parent_id, c
		WHERE o.state = 'pending'
			AND (o.kind IN ('new', 'digest') OR o.parent_id IS NULL OR p.state IN ('sent', 'failed'))
			AND o.next_attempt <= c.now
			AND (o.claim_expires IS NULL OR o.claim_expires <= c.now OR o.claimed_by = $1)
		ORDER BY o.created, o.id
		LIMIT $4
		FOR UPDATE OF o SKIP LOCKED)
	UPDATE outbox o SET claimed_by = $1, claim_expires = c.now + $3
	FROM due, c
	WHERE o.id = due.id
	RETURNING o.id, o.kind, o.channel, o.story_id, o.parent_id, o.payload, o.attempts, o.created,
		o.attempt_started, o.claim_expires,
		(SELECT p.ts FROM outbox p WHERE p.id = o.parent_id AND p.state = 'sent')`

// ClaimDue claims up to limit due alerts for owner (this replica's id) for
// lease and returns them oldest first. Two replicas claiming at once get
// disjoint sets. Alerts owner already holds are returned again with their
// lease renewed, as the SQLite store's DueAlerts returns the due alerts a
// Deliverer has queued but not sent: its next read keeps them its own
// however long its queue.
func (s *Store) ClaimDue(ctx context.Context, owner string, limit int, lease time.Duration) ([]Claim, error) {
	rows, err := s.pool.Query(ctx, claimDueSQL, owner, s.clock(), lease.Microseconds(), limit)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim due alerts: %w", err)
	}
	claims, err := pgx.CollectRows(rows, scanClaim)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim due alerts: %w", err)
	}
	// RETURNING has no order of its own.
	slices.SortFunc(claims, func(a, b Claim) int {
		if c := a.Alert.Created.Compare(b.Alert.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.Alert.ID, b.Alert.ID)
	})
	return claims, nil
}

func scanClaim(row pgx.CollectableRow) (Claim, error) {
	var c Claim
	var kind, payload string
	var story, parent, started *int64
	var created, expires int64
	var ts *string
	a := &c.Alert
	if err := row.Scan(&a.ID, &kind, &a.Channel, &story, &parent, &payload, &a.Attempts, &created,
		&started, &expires, &ts); err != nil {
		return c, err
	}
	id, ch, attempts := a.ID, a.Channel, a.Attempts
	if err := json.Unmarshal([]byte(payload), a); err != nil {
		return c, fmt.Errorf("alert %d: decode payload: %w", id, err)
	}
	a.ID, a.Channel, a.Attempts = id, ch, attempts
	a.Kind = model.ParseAlertKind(kind)
	a.StoryID, a.ParentID, a.Created = deref(story), deref(parent), fromMicros(created)
	a.ThreadTS = ""
	if ts != nil {
		a.ThreadTS = *ts
	}
	c.AttemptStarted, c.Expires = goTime(started), fromMicros(expires)
	return c, nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// ReleaseClaim gives an alert back before its lease ends (a replica
// shutting down with claims it did not send); ErrLeaseLost if owner no
// longer holds it.
func (s *Store) ReleaseClaim(ctx context.Context, id int64, owner string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE outbox SET claimed_by = '', claim_expires = NULL
		WHERE id = $1 AND claimed_by = $2 AND state = 'pending'`, id, owner)
	if err != nil {
		return fmt.Errorf("pgstore: release claim %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: release claim %d: %w", id, ErrLeaseLost)
	}
	return nil
}
