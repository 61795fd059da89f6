package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/newswatch/newswatch/flood"
	"github.com/newswatch/newswatch/model"
)

// The holding stage's state (issue 14, migration 5): each channel's flood
// window, the digests being collected, and the articles held for them. A
// hold is written by Record or RecordFetch in the transaction that records
// its item, so a held article is durable from the moment it is matched;
// PostDigest turns a due digest into its outbox rows in one transaction.

// Hold is an article held for a digest, part of a Record. The digest is
// named by channel, key and opening (flood.Bucket without its id): the
// first hold of a new bucket creates its row, later ones join it.
type Hold struct {
	Bucket flood.Bucket // Channel, Key, Opened and Due; ID is not needed
	Rules  []string
	// Article is the article as its alert would show it.
	Article model.Article
}

// Release moves the copies of a record's story held in Channel for rules'
// scheduled digests (flood.Decision.Release): into the To digest when set,
// else out of holding as follow-ups in the thread of the story's alert in
// Channel (written by the same record).
type Release struct {
	Channel string
	To      *flood.Bucket
}

// WindowState is a channel's flood window after a record, part of a Record.
// Prev is the window the decision was made from (the zero Window for a
// channel that had none). The SQLite store, one process's, ignores it; the
// PostgreSQL store writes the window only if the channel's window is still
// Prev, so two replicas deciding from one window cannot both post its last
// single (the second record fails and is decided again at the next fetch).
type WindowState struct {
	Channel string
	flood.Window
	Prev flood.Window
}

// HeldCount is what status shows of a channel's held articles.
type HeldCount struct {
	Channel string
	Held    int
	Due     time.Time // when the first of its digests is due
}

// writeFlood writes a record's holds and window changes in tx. storyID is
// the record's story once resolved (0 for none). A second hold of the same
// item in a channel is ignored: the item is already in one digest there.
func (s *SQLite) writeFlood(ctx context.Context, tx *sql.Tx, r Record, storyID int64, now time.Time) error {
	for _, w := range r.Windows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO flood_windows (channel, start, singles) VALUES (?, ?, ?)
			ON CONFLICT (channel) DO UPDATE SET start = excluded.start, singles = excluded.singles`,
			w.Channel, w.Start.UnixMicro(), w.Singles); err != nil {
			return fmt.Errorf("flood window %s: %w", w.Channel, err)
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
		if _, err := tx.ExecContext(ctx, `INSERT INTO held
			(channel, source, item_key, story_id, digest_id, rules, article, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			b.Channel, r.Item.Source, r.Item.Key, nullID(storyID), id, rules, art,
			now.UnixMicro()); err != nil {
			return fmt.Errorf("hold in %s: %w", b.Channel, err)
		}
	}
	for _, rel := range r.Releases {
		if err := s.release(ctx, tx, rel, storyID, now); err != nil {
			return fmt.Errorf("release story %d in %s: %w", storyID, rel.Channel, err)
		}
	}
	return nil
}

// openDigest returns the id of the open digest b names, creating it.
func openDigest(ctx context.Context, tx *sql.Tx, b flood.Bucket) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO digests (channel, key, opened, due) VALUES (?, ?, ?, ?)
		ON CONFLICT (channel, key, opened) WHERE posted IS NULL DO UPDATE SET due = due
		RETURNING id`, b.Channel, b.Key, b.Opened.UnixMicro(), b.Due.UnixMicro()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("digest %s %s: %w", b.Channel, b.Key, err)
	}
	return id, nil
}

// heldForRules selects the copies of a story held in a channel for rules'
// scheduled digests not yet posted.
const heldForRules = `channel = ? AND story_id = ? AND digest_id IN
	(SELECT id FROM digests WHERE posted IS NULL AND key LIKE 'rule:%')`

// release applies rel to the story's copies held for rules' schedules.
func (s *SQLite) release(ctx context.Context, tx *sql.Tx, rel Release, storyID int64, now time.Time) error {
	if storyID == 0 {
		return nil
	}
	if rel.To != nil {
		id, err := openDigest(ctx, tx, *rel.To)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE held SET digest_id = ? WHERE `+heldForRules, id, rel.Channel, storyID)
		return err
	}
	rows, err := tx.QueryContext(ctx, `DELETE FROM held WHERE `+heldForRules+` RETURNING rules, article, created`,
		rel.Channel, storyID)
	if err != nil {
		return err
	}
	var follow []model.Alert
	for rows.Next() {
		var rules, art string
		var created sql.NullInt64
		if err := rows.Scan(&rules, &art, &created); err != nil {
			rows.Close()
			return err
		}
		a := model.Alert{Kind: model.AlertFollowUp, Channel: rel.Channel, StoryID: storyID, Created: goTime(created)}
		if err := DecodeHeld(rules, art, &a.Rules, &a.Article); err != nil {
			rows.Close()
			return err
		}
		follow = append(follow, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, a := range follow {
		if err := s.threadAlert(ctx, tx, &a); err != nil {
			return err
		}
		if err := s.insertAlert(ctx, tx, a, now); err != nil {
			return err
		}
	}
	return nil
}

// FloodState returns every channel's flood window and the digests not yet
// posted, due first.
func (s *SQLite) FloodState(ctx context.Context) (map[string]flood.Window, []flood.Bucket, error) {
	windows := map[string]flood.Window{}
	rows, err := s.r.QueryContext(ctx, `SELECT channel, start, singles FROM flood_windows`)
	if err != nil {
		return nil, nil, fmt.Errorf("store: flood state: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch string
		var start sql.NullInt64
		var w flood.Window
		if err := rows.Scan(&ch, &start, &w.Singles); err != nil {
			return nil, nil, fmt.Errorf("store: flood state: %w", err)
		}
		w.Start = goTime(start)
		windows[ch] = w
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: flood state: %w", err)
	}
	buckets, err := s.OpenDigests(ctx)
	if err != nil {
		return nil, nil, err
	}
	return windows, buckets, nil
}

// OpenDigests returns the digests not yet posted, due first.
func (s *SQLite) OpenDigests(ctx context.Context) ([]flood.Bucket, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, channel, key, opened, due FROM digests
		WHERE posted IS NULL ORDER BY due, id`)
	if err != nil {
		return nil, fmt.Errorf("store: open digests: %w", err)
	}
	defer rows.Close()
	var out []flood.Bucket
	for rows.Next() {
		b, err := scanBucket(rows)
		if err != nil {
			return nil, fmt.Errorf("store: open digests: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

func scanBucket(r scanner) (flood.Bucket, error) {
	var b flood.Bucket
	var opened, due sql.NullInt64
	if err := r.Scan(&b.ID, &b.Channel, &b.Key, &opened, &due); err != nil {
		return b, err
	}
	b.Opened, b.Due = goTime(opened), goTime(due)
	return b, nil
}

// StoryHeld returns the digest that holds a copy of the story in channel
// (the latest, when several do) and whether it was posted, or ErrNotFound.
func (s *SQLite) StoryHeld(ctx context.Context, storyID int64, channel string) (flood.Bucket, bool, error) {
	var posted sql.NullInt64
	var b flood.Bucket
	var opened, due sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT d.id, d.channel, d.key, d.opened, d.due, d.posted
		FROM held h JOIN digests d ON d.id = h.digest_id
		WHERE h.channel = ? AND h.story_id = ? ORDER BY d.id DESC LIMIT 1`, channel, storyID).
		Scan(&b.ID, &b.Channel, &b.Key, &opened, &due, &posted)
	if errors.Is(err, sql.ErrNoRows) {
		return flood.Bucket{}, false, fmt.Errorf("store: story %d held in %s: %w", storyID, channel, ErrNotFound)
	}
	if err != nil {
		return flood.Bucket{}, false, fmt.Errorf("store: story %d held in %s: %w", storyID, channel, err)
	}
	b.Opened, b.Due = goTime(opened), goTime(due)
	return b, posted.Valid, nil
}

// HeldArticles returns the articles held for digest id, in the order they
// were held.
func (s *SQLite) HeldArticles(ctx context.Context, id int64) ([]flood.Held, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT channel, story_id, rules, article, created FROM held
		WHERE digest_id = ? ORDER BY created, rowid`, id)
	if err != nil {
		return nil, fmt.Errorf("store: held articles of digest %d: %w", id, err)
	}
	defer rows.Close()
	var out []flood.Held
	for rows.Next() {
		h := flood.Held{BucketID: id}
		var story, created sql.NullInt64
		var rules, art string
		if err := rows.Scan(&h.Channel, &story, &rules, &art, &created); err != nil {
			return nil, fmt.Errorf("store: held articles of digest %d: %w", id, err)
		}
		if err := DecodeHeld(rules, art, &h.Rules, &h.Article); err != nil {
			return nil, fmt.Errorf("store: held articles of digest %d: %w", id, err)
		}
		h.StoryID, h.Created = story.Int64, goTime(created)
		out = append(out, h)
	}
	return out, rows.Err()
}

// PostDigest turns the open digest id into its outbox rows, in one
// transaction: parts[0] as the digest's first message (kind AlertDigest),
// the others as AlertDigestPart threaded under it, all pending and due now,
// and the digest marked posted. It reports false, writing nothing, when the
// digest was posted already (or is gone), so a digest is never posted twice;
// a crash before the commit leaves it open, to be posted again whole. With
// no parts the digest is only closed (nothing is posted when nothing was
// held).
func (s *SQLite) PostDigest(ctx context.Context, id int64, parts []model.Alert) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: post digest %d: %w", id, err)
	}
	defer tx.Rollback()
	now := s.now()
	res, err := tx.ExecContext(ctx, `UPDATE digests SET posted = ? WHERE id = ? AND posted IS NULL`, now.UnixMicro(), id)
	if err != nil {
		return false, fmt.Errorf("store: post digest %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if len(parts) == 0 {
		return true, tx.Commit()
	}
	var first int64
	for i, a := range parts {
		a.Kind, a.ParentID, a.StoryID = model.AlertDigest, 0, 0
		if i > 0 {
			a.Kind, a.ParentID = model.AlertDigestPart, first
		}
		if err := s.insertAlert(ctx, tx, a, now); err != nil {
			return false, fmt.Errorf("store: post digest %d part %d: %w", id, i+1, err)
		}
		if i == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT last_insert_rowid()`).Scan(&first); err != nil {
				return false, fmt.Errorf("store: post digest %d: %w", id, err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE digests SET outbox_id = ? WHERE id = ?`, first, id); err != nil {
		return false, fmt.Errorf("store: post digest %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: post digest %d: commit: %w", id, err)
	}
	return true, nil
}

// RescheduleDigests sets the due time of open digests (after a reload).
func (s *SQLite) RescheduleDigests(ctx context.Context, bs []flood.Bucket) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: reschedule digests: %w", err)
	}
	defer tx.Rollback()
	for _, b := range bs {
		if _, err := tx.ExecContext(ctx, `UPDATE digests SET due = ? WHERE id = ? AND posted IS NULL`,
			b.Due.UnixMicro(), b.ID); err != nil {
			return fmt.Errorf("store: reschedule digest %d: %w", b.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: reschedule digests: commit: %w", err)
	}
	return nil
}

// HeldCounts counts, per channel, the articles held for digests not yet
// posted, and when the first of them is due.
func (s *SQLite) HeldCounts(ctx context.Context) ([]HeldCount, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT h.channel, COUNT(*), MIN(d.due)
		FROM held h JOIN digests d ON d.id = h.digest_id
		WHERE d.posted IS NULL GROUP BY h.channel ORDER BY h.channel`)
	if err != nil {
		return nil, fmt.Errorf("store: held counts: %w", err)
	}
	defer rows.Close()
	var out []HeldCount
	for rows.Next() {
		var c HeldCount
		var due sql.NullInt64
		if err := rows.Scan(&c.Channel, &c.Held, &due); err != nil {
			return nil, fmt.Errorf("store: held counts: %w", err)
		}
		c.Due = goTime(due)
		out = append(out, c)
	}
	return out, rows.Err()
}

// AlertTitle is what status shows of an alert: its article's title, or
// for a digest part which part of how many articles.
func AlertTitle(a model.Alert) string {
	if a.Digest == nil {
		return a.Article.Title
	}
	part := ""
	if a.Digest.Parts > 1 {
		part = fmt.Sprintf(" part %d/%d", a.Digest.Part, a.Digest.Parts)
	}
	return fmt.Sprintf("digest%s of %d articles", part, a.Digest.Articles())
}

// Encode is the hold's rules and article as the held table stores them
// (JSON text), the same in both stores.
func (h Hold) Encode() (rules, article string, err error) {
	r, err := json.Marshal(h.Rules)
	if err != nil {
		return "", "", err
	}
	a, err := json.Marshal(h.Article)
	if err != nil {
		return "", "", err
	}
	return string(r), string(a), nil
}

// DecodeHeld reads a held row's rules and article back (see Hold.Encode).
func DecodeHeld(rules, article string, intoRules *[]string, intoArticle *model.Article) error {
	if err := json.Unmarshal([]byte(rules), intoRules); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	if err := json.Unmarshal([]byte(article), intoArticle); err != nil {
		return fmt.Errorf("article: %w", err)
	}
	return nil
}
