package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/newswatch/newswatch/store"
)

// ErrLeaseLost is returned (wrapped) by RenewTick and ReleaseTick when the
// lease is no longer the caller's: it expired and another replica took a
// later tick. A fetch state fenced by that lease (store.Fence) is refused
// with it too, so the fetch's older state is not saved over the newer
// owner's. The outbox's claims (MarkSent, ReleaseClaim) report a lost
// claim with it as well. It is store.ErrLeaseLost.
var ErrLeaseLost = store.ErrLeaseLost

// claimTickSQL takes the source's lease for a tick in one statement. The
// insert wins for a source never claimed; otherwise the update wins only
// for a tick later than the one held, and only once that one is done or its
// lease has expired (its owner died mid-fetch). Concurrent claims of one
// source queue on its row and each re-reads the winner's row, so for a
// given (source, tick) exactly one claim returns a row.
//
// $4 is now (NULL: the database's clock), $5 the lease's length in
// microseconds.
var claimTickSQL = `INSERT INTO tick_leases AS l (source, tick, owner, claimed, expires, done)
	SELECT $1, $2, $3, c.now, c.now + $5, FALSE FROM (SELECT ` + nowSQL("$4") + ` AS now) AS c
	ON CONFLICT (source) DO UPDATE SET tick = excluded.tick, owner = excluded.owner,
		claimed = excluded.claimed, expires = excluded.expires, done = FALSE
	WHERE l.tick < excluded.tick AND (l.done OR l.expires <= excluded.claimed)
	RETURNING TRUE`

// ClaimTick claims the fetch of source for the cron tick tick, for owner
// (the replica's id), for ttl; it reports whether this replica won. Every
// replica runs every source's schedule and calls this at each tick (after
// the schedule's start jitter); the one that wins fetches, the others skip
// the tick. tick must be the same instant on every replica for the same
// run (the scheduled time before jitter, on a grid common to all
// processes: see docs/architecture.md). A claim of a tick no later than the one last claimed loses, as
// does a claim while an earlier tick's fetch still holds an unexpired
// lease (one fetch of a source at a time). ttl should comfortably exceed a
// fetch, or be renewed (RenewTick), and the clock skew between replicas
// when Options.Now is the replicas' own clock.
func (s *Store) ClaimTick(ctx context.Context, source string, tick time.Time, owner string, ttl time.Duration) (bool, error) {
	rows, err := s.pool.Query(ctx, claimTickSQL, source, micros(tick), owner, s.clock(), ttl.Microseconds())
	if err != nil {
		return false, fmt.Errorf("pgstore: claim tick %s: %w", source, err)
	}
	defer rows.Close()
	won := rows.Next()
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("pgstore: claim tick %s: %w", source, err)
	}
	return won, nil
}

// RenewTick extends owner's lease of source's tick to ttl from now, for a
// fetch that runs long; ErrLeaseLost if it is no longer owner's.
func (s *Store) RenewTick(ctx context.Context, source string, tick time.Time, owner string, ttl time.Duration) error {
	return s.updateLease(ctx, "renew", source, tick, owner,
		`expires = `+nowSQL("$4")+` + $5`, s.clock(), ttl.Microseconds())
}

// ReleaseTick marks owner's fetch of source's tick done, so the next tick
// can be claimed at once (without it, it waits for the lease to expire).
// The tick itself stays claimed: no replica fetches it again.
// ErrLeaseLost if the lease is no longer owner's.
func (s *Store) ReleaseTick(ctx context.Context, source string, tick time.Time, owner string) error {
	return s.updateLease(ctx, "release", source, tick, owner, `done = TRUE`)
}

// updateLease applies set to source's lease if owner still holds it for
// tick. args follow $1..$3 (source, tick, owner).
func (s *Store) updateLease(ctx context.Context, op, source string, tick time.Time, owner, set string, args ...any) error {
	args = append([]any{source, micros(tick), owner}, args...)
	tag, err := s.pool.Exec(ctx, `UPDATE tick_leases SET `+set+`
		WHERE source = $1 AND tick = $2 AND owner = $3`, args...)
	if err != nil {
		return fmt.Errorf("pgstore: %s tick %s: %w", op, source, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: %s tick %s: %w", op, source, ErrLeaseLost)
	}
	return nil
}

// Lease is a source's current tick lease, for status and tests.
type Lease struct {
	Source, Owner    string
	Tick             time.Time
	Claimed, Expires time.Time
	Done             bool
}

// TickLease returns source's lease, or ErrNotFound if it was never claimed.
func (s *Store) TickLease(ctx context.Context, source string) (Lease, error) {
	l := Lease{Source: source}
	var tick, claimed, expires int64
	err := s.pool.QueryRow(ctx, `SELECT tick, owner, claimed, expires, done FROM tick_leases WHERE source = $1`,
		source).Scan(&tick, &l.Owner, &claimed, &expires, &l.Done)
	if err != nil {
		return Lease{}, fmt.Errorf("pgstore: tick lease %s: %w", source, notFound(err))
	}
	l.Tick, l.Claimed, l.Expires = fromMicros(tick), fromMicros(claimed), fromMicros(expires)
	return l, nil
}
