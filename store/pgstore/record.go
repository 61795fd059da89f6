package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
)

// DefaultFoldWithin is how far back, by default, RecordFetch looks for a
// story another replica founded while this one was deciding (see
// Options.FoldWithin).
const DefaultFoldWithin = 5 * time.Minute

// plainChunk is how many plain item upserts go to the server in one round
// trip (a pgx batch, run in order inside the fetch's transaction).
const plainChunk = 500

// RecordFetch writes a fetch in one transaction, as store.SQLite's does:
// each record (item, new story, alerts), then the last_seen of the Seen
// keys no record wrote, then the fetch state if every record succeeded.
// A fenced state (store.Fence) whose tick lease is no longer the fence's
// fails the fetch with ErrLeaseLost, and nothing is written: the caller
// decides what of a fetch that outlived its lease still to record.
//
// Replicas. The caller decided each record from reads made before this
// transaction; another replica may meanwhile have founded the same story
// (a copy of the article in another feed, fetched at the same instant).
// So the transaction first takes LockBands on every new story's band keys
// and on the canonical links of the records that found a story or alert,
// all in one sorted call: two replicas recording copies of one story
// queue there. Then, for each new story, it looks again for a story
// founded in the last Options.FoldWithin that shares a band and that
// Options.Similar confirms, or an item with the same canonical link that
// has a story: the record joins that story instead of founding a second. Its AlertNew then meets the other's in the unique
// index and the record fails alone with ErrDuplicateAlert (a savepoint
// rolls it back): one story, one alert; the fetch state is not advanced,
// and the caller decides the batch again (the daemon does at once), now
// seeing the story, and threads the copy as a follow-up.
//
// Holds, releases and flood windows (noise control) are written in their
// record's savepoint. A window is written only if it is still the one the
// decision was made from (store.WindowState.Prev), under the channel's
// FloodKey lock taken with the others; else the record fails with
// ErrWindowMoved, so two replicas never both post a window's last single.
//
// Every record that founds a story, carries alerts or holds runs in its own
// savepoint; any other failure fails the fetch and nothing is written.
func (s *Store) RecordFetch(ctx context.Context, f store.Fetch) ([]store.RecordResult, error) {
	if len(f.Records) == 0 && len(f.Seen) == 0 && f.State == nil {
		return nil, nil
	}
	out, err := s.recordFetch(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("pgstore: record fetch %s: %w", f.Source, err)
	}
	return out, nil
}

func (s *Store) recordFetch(ctx context.Context, f store.Fetch) ([]store.RecordResult, error) {
	tx, err := s.pool.Begin(ctx) // READ COMMITTED, as LockBands needs
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	if err := LockBands(ctx, tx, lockKeys(f.Records)); err != nil {
		return nil, err
	}
	w := &recorder{s: s, tx: tx, now: s.writeNow()}
	out, err := w.all(ctx, f.Records)
	if err != nil {
		return nil, err
	}
	if err := w.touch(ctx, f); err != nil {
		return nil, fmt.Errorf("touch: %w", err)
	}
	if f.State != nil && allOK(out) {
		if err := saveState(ctx, tx, *f.State); err != nil {
			return nil, fmt.Errorf("save fetch state: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return out, nil
}

// lockKeys are the advisory lock keys of a fetch: the band keys of its new
// stories, the link keys of its records that found a story or alert, and
// the flood keys of the channels whose windows it changes.
func lockKeys(rs []store.Record) []int64 {
	var keys []int64
	for _, r := range rs {
		if r.NewStory != nil {
			keys = append(keys, r.NewStory.Bands...)
		}
		if (r.NewStory != nil || len(r.Alerts) > 0) && r.Item.CanonicalLink != "" {
			keys = append(keys, LinkKey(r.Item.CanonicalLink))
		}
		for _, w := range r.Windows {
			keys = append(keys, FloodKey(w.Channel))
		}
	}
	return keys
}

// writeNow is the time written into rows (first seen, alerts' creation
// and due time): the injected clock, else this process's.
func (s *Store) writeNow() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

func allOK(rs []store.RecordResult) bool {
	for _, r := range rs {
		if r.Err != nil {
			return false
		}
	}
	return true
}

// recorder writes one fetch's records in its transaction.
type recorder struct {
	s     *Store
	tx    pgx.Tx
	now   time.Time
	plain pgx.Batch // plain item upserts not yet sent
}

func (w *recorder) all(ctx context.Context, rs []store.Record) ([]store.RecordResult, error) {
	out := make([]store.RecordResult, len(rs))
	for i, r := range rs {
		if r.StoryOf > 0 {
			j := r.StoryOf - 1
			if j >= i || rs[j].NewStory == nil {
				return nil, fmt.Errorf("record %d: StoryOf %d names no earlier new story", i, r.StoryOf)
			}
			if out[j].Err != nil {
				out[i].Err = fmt.Errorf("pgstore: record %s %q: its story's record failed: %w", r.Item.Source, r.Item.Key, out[j].Err)
				continue
			}
			r.Item.StoryID = out[j].StoryID
		}
		if r.NewStory == nil && len(r.Alerts) == 0 && len(r.Holds) == 0 && len(r.Windows) == 0 && len(r.Releases) == 0 {
			out[i].StoryID = r.Item.StoryID
			if err := w.queuePlain(ctx, r.Item); err != nil {
				return nil, err
			}
			continue
		}
		if err := w.flush(ctx); err != nil {
			return nil, err
		}
		res, err := w.savepoint(ctx, r)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	if err := w.flush(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

func (w *recorder) queuePlain(ctx context.Context, it store.Item) error {
	args, err := itemArgs(it, micros(w.now))
	if err != nil {
		return fmt.Errorf("record %s %q: %w", it.Source, it.Key, err)
	}
	w.plain.Queue(upsertItemSQL, args...)
	if w.plain.Len() >= plainChunk {
		return w.flush(ctx)
	}
	return nil
}

// flush sends the queued plain upserts, in order, in one round trip.
func (w *recorder) flush(ctx context.Context) error {
	if w.plain.Len() == 0 {
		return nil
	}
	b := w.plain
	w.plain = pgx.Batch{}
	if err := w.tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("record items: %w", err)
	}
	return nil
}

// savepoint writes r inside a savepoint, rolled back alone when r fails
// (the failure is in the result). The error is the savepoint's own.
func (w *recorder) savepoint(ctx context.Context, r store.Record) (store.RecordResult, error) {
	sp, err := w.tx.Begin(ctx)
	if err != nil {
		return store.RecordResult{}, err
	}
	id, err := w.record(ctx, sp, r)
	if err != nil {
		if rbErr := sp.Rollback(ctx); rbErr != nil {
			return store.RecordResult{}, rbErr
		}
		return store.RecordResult{Err: fmt.Errorf("pgstore: record %s %q: %w", r.Item.Source, r.Item.Key, err)}, nil
	}
	if err := sp.Commit(ctx); err != nil {
		return store.RecordResult{}, err
	}
	return store.RecordResult{StoryID: id}, nil
}

// record writes r in tx and returns its story id: the new story's, the
// one it folded into, or its item's.
func (w *recorder) record(ctx context.Context, tx pgx.Tx, r store.Record) (int64, error) {
	it := r.Item
	setStory := r.StoryOf > 0
	if r.NewStory != nil {
		id, err := w.fold(ctx, tx, it.CanonicalLink, *r.NewStory)
		if err != nil {
			return 0, err
		}
		if id == 0 {
			if id, err = insertStory(ctx, tx, *r.NewStory, w.now); err != nil {
				return 0, err
			}
		}
		it.StoryID, setStory = id, true
	}
	args, err := itemArgs(it, micros(w.now))
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, upsertItemSQL, args...); err != nil {
		return 0, fmt.Errorf("item: %w", err)
	}
	for _, a := range r.Alerts {
		if setStory {
			a.StoryID = it.StoryID
		}
		if err := w.alert(ctx, tx, a); err != nil {
			return 0, fmt.Errorf("alert for %s: %w", a.Channel, err)
		}
	}
	if err := w.writeFlood(ctx, tx, r, it.StoryID); err != nil {
		return 0, err
	}
	return it.StoryID, nil
}

// fold returns the story, founded by another replica since the caller
// looked, that ns is a copy of, or 0 (see RecordFetch). First by link: an
// item with the same canonical link that has a story (the caller, had it
// seen that item, would have taken its story rather than found one); then
// by bands, confirmed by Options.Similar.
func (w *recorder) fold(ctx context.Context, tx pgx.Tx, link string, ns store.NewStory) (int64, error) {
	if w.s.similar == nil {
		return 0, nil
	}
	if link != "" {
		var id int64
		err := tx.QueryRow(ctx, `SELECT story_id FROM items WHERE canonical_link = $1 AND story_id IS NOT NULL
			ORDER BY first_seen, source, key LIMIT 1`, link).Scan(&id)
		switch {
		case err == nil:
			return id, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return 0, fmt.Errorf("story of link: %w", err)
		}
	}
	cands, err := candidates(ctx, tx, ns.Bands, w.now.Add(-w.s.foldWithin))
	if err != nil {
		return 0, fmt.Errorf("story candidates: %w", err)
	}
	for _, c := range cands {
		if w.s.similar(ns.Signature, c.Signature) {
			return c.ID, nil
		}
	}
	return 0, nil
}

// alert threads a follow-up that names no parent under its story's
// AlertNew in its channel (or makes it that AlertNew when there is none),
// then inserts it pending, due now.
func (w *recorder) alert(ctx context.Context, tx pgx.Tx, a model.Alert) error {
	if a.Kind == model.AlertFollowUp && a.ParentID == 0 {
		err := tx.QueryRow(ctx, storyAlertSQL, a.StoryID, a.Channel).Scan(&a.ParentID)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			a.Kind = model.AlertNew
		case err != nil:
			return err
		}
	}
	if a.Created.IsZero() {
		a.Created = w.now
	}
	a.ID, a.Attempts, a.ThreadTS = 0, 0, ""
	payload, err := json.Marshal(a)
	if err != nil {
		return err
	}
	now := micros(w.now)
	_, err = tx.Exec(ctx, `INSERT INTO outbox
		(kind, channel, story_id, parent_id, payload, state, attempts, next_attempt, created, updated)
		VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7, $8)`,
		a.Kind.String(), a.Channel, nullID(a.StoryID), nullID(a.ParentID), string(payload),
		now, micros(a.Created), now)
	if isUniqueViolation(err) {
		return fmt.Errorf("story %d: %w", a.StoryID, store.ErrDuplicateAlert)
	}
	return err
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// touch sets last_seen on f's Seen keys that no record of f wrote.
func (w *recorder) touch(ctx context.Context, f store.Fetch) error {
	keys := f.Untouched()
	if len(keys) == 0 {
		return nil
	}
	_, err := w.tx.Exec(ctx, `UPDATE items SET last_seen = $1 WHERE source = $2 AND key = ANY($3)`,
		micros(w.now), f.Source, keys)
	return err
}
