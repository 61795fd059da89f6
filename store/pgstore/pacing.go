package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// reserveSendSQL takes the channel's next slot in one statement: the slot
// is the later of now and the channel's next-send time, and the next-send
// time moves to the slot plus gap. The row lock of the upsert serialises
// replicas reserving on one channel, so no two get one slot. $2 is now and
// $3 the gap, in microseconds.
const reserveSendSQL = `INSERT INTO channel_pacing AS p (channel, next_send) VALUES ($1, $2::bigint + $3::bigint)
	ON CONFLICT (channel) DO UPDATE SET next_send = GREATEST(p.next_send, $2::bigint) + $3::bigint
	RETURNING next_send - $3::bigint`

// ReserveSend reserves the next moment a message may be posted to channel
// and returns it: now if the channel is free, otherwise the time the
// previous reservation's gap ends. The caller waits until then and posts;
// gap later the next reservation may post. Every replica reserves here, so
// Slack's one message a second per channel holds across them. A
// reservation that is not used (the replica died) only leaves a gap.
// Replicas read the slot on their own clocks: a skew of d between two of
// them can bring their posts d closer than gap, so keep them NTP-synced
// and gap a little above Slack's limit.
func (s *Store) ReserveSend(ctx context.Context, channel string, now time.Time, gap time.Duration) (time.Time, error) {
	var at int64
	if err := s.pool.QueryRow(ctx, reserveSendSQL, channel, micros(now), gap.Microseconds()).Scan(&at); err != nil {
		return time.Time{}, fmt.Errorf("pgstore: reserve send %s: %w", channel, err)
	}
	return fromMicros(at), nil
}

// HoldChannel keeps every replica from posting to channel before until
// (Slack's Retry-After). It never moves the channel's next-send time back.
// Reservations already made before the hold keep their slots; HeldUntil
// tells their holders to wait.
func (s *Store) HoldChannel(ctx context.Context, channel string, until time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO channel_pacing AS p (channel, next_send) VALUES ($1, $2)
			ON CONFLICT (channel) DO UPDATE SET next_send = GREATEST(p.next_send, excluded.next_send)`,
			channel, micros(until)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO notes AS n (key, value, updated) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET value = GREATEST(n.value::bigint, excluded.value::bigint)::text,
				updated = excluded.updated`,
			holdNote+channel, strconv.FormatInt(micros(until), 10), micros(s.writeNow()))
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: hold channel %s: %w", channel, err)
	}
	return nil
}

// holdNote prefixes the note that keeps a channel's latest hold.
const holdNote = "hold:"

// HeldUntil is the end of the latest hold of channel (zero: never held).
// A replica checks it after waiting for its reserved slot: a hold another
// replica got meanwhile applies to that slot too.
func (s *Store) HeldUntil(ctx context.Context, channel string) (time.Time, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM notes WHERE key = $1`, holdNote+channel).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("pgstore: held until %s: %w", channel, err)
	}
	us, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("pgstore: held until %s: %w", channel, err)
	}
	return fromMicros(us), nil
}
