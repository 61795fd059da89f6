package pgstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newswatch/newswatch/flood"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
)

// The holding stage's state (issue 14, migration 2), as store.SQLite keeps
// it (store/flood.go): each channel's flood window, the digests being
// collected and the articles held for them. Holds, releases and window
// changes are written by RecordFetch in the record's savepoint.

// ErrWindowMoved is a record's error (wrapped) when the channel's flood
// window is no longer the one its decision was made from: another replica
// posted into it meanwhile. The record is rolled back alone and the fetch
// state not advanced; the daemon decides the batch again at once (and,
// should that fail too, the next fetch does).
var ErrWindowMoved = errors.New("flood window changed by another replica")

// ErrDigestChanged is PostDigest's error (wrapped) when the digest holds
// other articles than its parts were assembled from: another replica held
// one into it (or moved one out) meanwhile. Nothing is written; the digest
// stays open, to be assembled again.
var ErrDigestChanged = errors.New("digest's held articles changed since it was assembled")

// FloodKey is the advisory lock key of a channel's flood window, for
// LockBands: two replicas writing one channel's window queue there, and
// the second then sees the first's window (see writeWindow).
func FloodKey(channel string) int64 { return LinkKey("flood\x00" + channel) }

// writeFlood writes r's window changes, holds and releases in tx (the
// record's savepoint), after its alerts.
func (w *recorder) writeFlood(ctx context.Context, tx pgx.Tx, r store.Record, storyID int64) error {
	for _, win := range r.Windows {
		if err := writeWindow(ctx, tx, win); err != nil {
			return err
		}
	}
	for _, h := range r.Holds {
		b := h.Bucket
		id, err := openDigest(ctx, tx, b)
		if err != nil {
			return err
		}
		rules, art, err := h.Encode()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO held
			(channel, source, item_key, story_id, digest_id, rules, article, created)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			b.Channel, r.Item.Source, r.Item.Key, nullID(storyID), id, rules, art,
			micros(w.now)); err != nil {
			return fmt.Errorf("hold in %s: %w", b.Channel, err)
		}
	}
	for _, rel := range r.Releases {
		if err := w.release(ctx, tx, rel, storyID); err != nil {
			return fmt.Errorf("release story %d in %s: %w", storyID, rel.Channel, err)
		}
	}
	return nil
}

// writeWindow sets the channel's window to win if it is still win.Prev
// (compare and swap). RecordFetch holds the channel's FloodKey lock, so no
// other replica changes it between the read and the write.
func writeWindow(ctx context.Context, tx pgx.Tx, win store.WindowState) error {
	var cur flood.Window
	var start int64
	err := tx.QueryRow(ctx, `SELECT start, singles FROM flood_windows WHERE channel = $1 FOR UPDATE`,
		win.Channel).Scan(&start, &cur.Singles)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return fmt.Errorf("flood window %s: %w", win.Channel, err)
	default:
		cur.Start = fromMicros(start)
	}
	// Compared as stored: a window opened by this fetch carries the
	// clock's nanoseconds, the row its microseconds.
	if !cur.Start.Equal(win.Prev.Start.Truncate(time.Microsecond)) || cur.Singles != win.Prev.Singles {
		return fmt.Errorf("flood window %s: %w", win.Channel, ErrWindowMoved)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO flood_windows (channel, start, singles) VALUES ($1, $2, $3)
		ON CONFLICT (channel) DO UPDATE SET start = excluded.start, singles = excluded.singles`,
		win.Channel, micros(win.Start), win.Singles); err != nil {
		return fmt.Errorf("flood window %s: %w", win.Channel, err)
	}
	return nil
}

// openDigest returns the id of the open digest b names, creating it.
func openDigest(ctx context.Context, tx pgx.Tx, b flood.Bucket) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO digests (channel, key, opened, due) VALUES ($1, $2, $3, $4)
		ON CONFLICT (channel, key, opened) WHERE posted IS NULL DO UPDATE SET due = digests.due
		RETURNING id`, b.Channel, b.Key, micros(b.Opened), micros(b.Due)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("digest %s %s: %w", b.Channel, b.Key, err)
	}
	return id, nil
}

// heldForRules selects the copies of a story held in a channel ($1) for
// rules' scheduled digests not yet posted ($2 the story).
const heldForRules = `channel = $1 AND story_id = $2 AND digest_id IN
	(SELECT id FROM digests WHERE posted IS NULL AND key LIKE 'rule:%')`

// release applies rel to the story's copies held for rules' schedules.
func (w *recorder) release(ctx context.Context, tx pgx.Tx, rel store.Release, storyID int64) error {
	if storyID == 0 {
		return nil
	}
	if rel.To != nil {
		id, err := openDigest(ctx, tx, *rel.To)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE held SET digest_id = $3 WHERE `+heldForRules, rel.Channel, storyID, id)
		return err
	}
	rows, err := tx.Query(ctx, `DELETE FROM held WHERE `+heldForRules+` RETURNING rules, article, created, seq`,
		rel.Channel, storyID)
	if err != nil {
		return err
	}
	type row struct {
		a   model.Alert
		seq int64
	}
	var follow []row
	for rows.Next() {
		var rules, art string
		var created, seq int64
		if err := rows.Scan(&rules, &art, &created, &seq); err != nil {
			rows.Close()
			return err
		}
		a := model.Alert{Kind: model.AlertFollowUp, Channel: rel.Channel, StoryID: storyID, Created: fromMicros(created)}
		if err := store.DecodeHeld(rules, art, &a.Rules, &a.Article); err != nil {
			rows.Close()
			return err
		}
		follow = append(follow, row{a, seq})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// In the order they were held (RETURNING has no order).
	slices.SortFunc(follow, func(a, b row) int { return cmp.Compare(a.seq, b.seq) })
	for _, f := range follow {
		if err := w.alert(ctx, tx, f.a); err != nil {
			return err
		}
	}
	return nil
}

// FloodState returns every channel's flood window and the digests not yet
// posted, due first.
func (s *Store) FloodState(ctx context.Context) (map[string]flood.Window, []flood.Bucket, error) {
	windows := map[string]flood.Window{}
	rows, err := s.pool.Query(ctx, `SELECT channel, start, singles FROM flood_windows`)
	if err != nil {
		return nil, nil, fmt.Errorf("pgstore: flood state: %w", err)
	}
	for rows.Next() {
		var ch string
		var start int64
		var w flood.Window
		if err := rows.Scan(&ch, &start, &w.Singles); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("pgstore: flood state: %w", err)
		}
		w.Start = fromMicros(start)
		windows[ch] = w
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("pgstore: flood state: %w", err)
	}
	buckets, err := s.OpenDigests(ctx)
	if err != nil {
		return nil, nil, err
	}
	return windows, buckets, nil
}

// OpenDigests returns the digests not yet posted, due first.
func (s *Store) OpenDigests(ctx context.Context) ([]flood.Bucket, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, channel, key, opened, due FROM digests
		WHERE posted IS NULL ORDER BY due, id`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open digests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (flood.Bucket, error) {
		var b flood.Bucket
		var opened, due int64
		err := row.Scan(&b.ID, &b.Channel, &b.Key, &opened, &due)
		b.Opened, b.Due = fromMicros(opened), fromMicros(due)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: open digests: %w", err)
	}
	return out, nil
}

// StoryHeld returns the digest that holds a copy of the story in channel
// (the latest, when several do) and whether it was posted, or ErrNotFound.
func (s *Store) StoryHeld(ctx context.Context, storyID int64, channel string) (flood.Bucket, bool, error) {
	var b flood.Bucket
	var opened, due int64
	var posted *int64
	err := s.pool.QueryRow(ctx, `SELECT d.id, d.channel, d.key, d.opened, d.due, d.posted
		FROM held h JOIN digests d ON d.id = h.digest_id
		WHERE h.channel = $1 AND h.story_id = $2 ORDER BY d.id DESC LIMIT 1`, channel, storyID).
		Scan(&b.ID, &b.Channel, &b.Key, &opened, &due, &posted)
	if errors.Is(err, pgx.ErrNoRows) {
		return flood.Bucket{}, false, fmt.Errorf("pgstore: story %d held in %s: %w", storyID, channel, ErrNotFound)
	}
	if err != nil {
		return flood.Bucket{}, false, fmt.Errorf("pgstore: story %d held in %s: %w", storyID, channel, err)
	}
	b.Opened, b.Due = fromMicros(opened), fromMicros(due)
	return b, posted != nil, nil
}

// HeldArticles returns the articles held for digest id, in the order they
// were held.
func (s *Store) HeldArticles(ctx context.Context, id int64) ([]flood.Held, error) {
	rows, err := s.pool.Query(ctx, `SELECT channel, story_id, rules, article, created FROM held
		WHERE digest_id = $1 ORDER BY created, seq`, id)
	if err != nil {
		return nil, fmt.Errorf("pgstore: held articles of digest %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (flood.Held, error) {
		h := flood.Held{BucketID: id}
		var story *int64
		var created int64
		var rules, art string
		if err := row.Scan(&h.Channel, &story, &rules, &art, &created); err != nil {
			return h, err
		}
		if err := store.DecodeHeld(rules, art, &h.Rules, &h.Article); err != nil {
			return h, err
		}
		h.StoryID, h.Created = deref(story), fromMicros(created)
		return h, nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: held articles of digest %d: %w", id, err)
	}
	return out, nil
}

// PostDigest turns the open digest id into its outbox rows in one
// transaction, as store.SQLite's does: parts[0] as the digest's first
// message (AlertDigest), the others as AlertDigestPart threaded under it,
// all pending and due now, and the digest marked posted. It reports false,
// writing nothing, when the digest was posted already (by this or another
// replica: the row lock of the UPDATE makes the second wait and then find
// it posted) or is gone. With no parts the digest is only closed. Since
// another replica may hold an article into the digest after this one read
// its held articles, the parts' article count (model.Digest.Articles) is
// checked against the held rows under lock: ErrDigestChanged when they
// differ, so no held article is marked posted without being shown.
func (s *Store) PostDigest(ctx context.Context, id int64, parts []model.Alert) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("pgstore: post digest %d: %w", id, err)
	}
	defer tx.Rollback(ctx)
	now := s.writeNow()
	tag, err := tx.Exec(ctx, `UPDATE digests SET posted = $1 WHERE id = $2 AND posted IS NULL`, micros(now), id)
	if err != nil {
		return false, fmt.Errorf("pgstore: post digest %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	// The UPDATE waited for any recorder that was holding into this digest
	// (openDigest updates its row); the held rows are locked against a
	// release moving them. Their count must be what the parts show.
	var held int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM held WHERE digest_id = $1 FOR UPDATE) h`, id).Scan(&held); err != nil {
		return false, fmt.Errorf("pgstore: post digest %d: %w", id, err)
	}
	if want := partsArticles(parts); held != want {
		return false, fmt.Errorf("pgstore: post digest %d: %w (%d held, %d in its parts)", id, ErrDigestChanged, held, want)
	}
	var first int64
	for i, a := range parts {
		a.Kind, a.ParentID, a.StoryID = model.AlertDigest, 0, 0
		if i > 0 {
			a.Kind, a.ParentID = model.AlertDigestPart, first
		}
		if a.Created.IsZero() {
			a.Created = now
		}
		a.ID, a.Attempts, a.ThreadTS = 0, 0, ""
		payload, err := json.Marshal(a)
		if err != nil {
			return false, fmt.Errorf("pgstore: post digest %d part %d: %w", id, i+1, err)
		}
		var oid int64
		if err := tx.QueryRow(ctx, `INSERT INTO outbox
			(kind, channel, story_id, parent_id, payload, state, attempts, next_attempt, created, updated)
			VALUES ($1, $2, NULL, $3, $4, 'pending', 0, $5, $6, $5) RETURNING id`,
			a.Kind.String(), a.Channel, nullID(a.ParentID), string(payload), micros(now), micros(a.Created)).
			Scan(&oid); err != nil {
			return false, fmt.Errorf("pgstore: post digest %d part %d: %w", id, i+1, err)
		}
		if i == 0 {
			first = oid
		}
	}
	if len(parts) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE digests SET outbox_id = $1 WHERE id = $2`, first, id); err != nil {
			return false, fmt.Errorf("pgstore: post digest %d: %w", id, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("pgstore: post digest %d: commit: %w", id, err)
	}
	return true, nil
}

// partsArticles is how many held articles a digest's parts show (every
// part carries the whole digest's count); 0 for none.
func partsArticles(parts []model.Alert) int {
	if len(parts) == 0 || parts[0].Digest == nil {
		return 0
	}
	return parts[0].Digest.Articles()
}

// RescheduleDigests sets the due time of open digests (after a reload).
func (s *Store) RescheduleDigests(ctx context.Context, bs []flood.Bucket) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: reschedule digests: %w", err)
	}
	defer tx.Rollback(ctx)
	for _, b := range bs {
		if _, err := tx.Exec(ctx, `UPDATE digests SET due = $1 WHERE id = $2 AND posted IS NULL`,
			micros(b.Due), b.ID); err != nil {
			return fmt.Errorf("pgstore: reschedule digest %d: %w", b.ID, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: reschedule digests: commit: %w", err)
	}
	return nil
}

// HeldCounts counts, per channel, the articles held for digests not yet
// posted, and when the first of them is due.
func (s *Store) HeldCounts(ctx context.Context) ([]store.HeldCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT h.channel, COUNT(*), MIN(d.due)
		FROM held h JOIN digests d ON d.id = h.digest_id
		WHERE d.posted IS NULL GROUP BY h.channel ORDER BY h.channel`)
	if err != nil {
		return nil, fmt.Errorf("pgstore: held counts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.HeldCount, error) {
		var c store.HeldCount
		var due int64
		err := row.Scan(&c.Channel, &c.Held, &due)
		c.Due = fromMicros(due)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: held counts: %w", err)
	}
	return out, nil
}
