package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Item is an article the daemon has seen, known by its source and key (its
// GUID, else its canonical link).
type Item struct {
	Source, Key, CanonicalLink, ContentHash string
	Rules                                   []string // every rule this item has matched so far
	StoryID                                 int64    // 0: none
	Published                               time.Time
	FirstSeen                               time.Time
}

const itemColumns = `source, key, canonical_link, content_hash, rules, story_id, published, first_seen`

// upsertItemSQL inserts an item or updates a known one. first_seen keeps its
// first value, and a known story is not forgotten when the update has none.
const upsertItemSQL = `INSERT INTO items (` + itemColumns + `, last_seen)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)` + upsertItemConflict

// upsertChunk is how many items one upsertItemsSQL statement writes. A
// fetch's plain records (no story to create, no alert) go in statements of
// this many rows: per-statement costs (binding through database/sql, the
// VDBE's start and reset) were a third of an item's write.
const upsertChunk = 32

// upsertItemsSQL is upsertItemSQL for upsertChunk rows. Rows with the same
// key in one statement apply in order, as separate statements would.
var upsertItemsSQL = `INSERT INTO items (` + itemColumns + `, last_seen) VALUES ` +
	strings.TrimSuffix(strings.Repeat(`(?, ?, ?, ?, ?, ?, ?, ?, ?), `, upsertChunk), ", ") + upsertItemConflict

const upsertItemConflict = `
	ON CONFLICT (source, key) DO UPDATE SET
		last_seen = excluded.last_seen,
		canonical_link = excluded.canonical_link,
		content_hash = excluded.content_hash,
		rules = excluded.rules,
		story_id = COALESCE(excluded.story_id, items.story_id),
		published = excluded.published`

// Item returns the item with the given source and key, or ErrNotFound.
func (s *SQLite) Item(ctx context.Context, source, key string) (Item, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM items WHERE source = ? AND key = ?`, source, key)
	it, err := scanItem(row)
	if err != nil {
		return Item{}, fmt.Errorf("store: item %s %q: %w", source, key, err)
	}
	return it, nil
}

// ItemByCanonicalLink returns an item with the canonical link, from any
// source (the first seen when there are several), or ErrNotFound.
func (s *SQLite) ItemByCanonicalLink(ctx context.Context, link string) (Item, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM items
		WHERE canonical_link = ? ORDER BY first_seen, source, key LIMIT 1`, link)
	it, err := scanItem(row)
	if err != nil {
		return Item{}, fmt.Errorf("store: item by link %q: %w", link, err)
	}
	return it, nil
}

// SeenLink reports whether any source has an item with the canonical link.
func (s *SQLite) SeenLink(ctx context.Context, canonicalLink string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM items WHERE canonical_link = ? LIMIT 1`, canonicalLink).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: seen link %q: %w", canonicalLink, err)
	}
	return true, nil
}

// upsertItem writes it in tx; FirstSeen defaults to now.
func (s *SQLite) upsertItem(ctx context.Context, tx *sql.Tx, it Item, now time.Time) error {
	args, err := appendItemArgs(make([]any, 0, 9), it, now)
	if err != nil {
		return err
	}
	_, err = tx.StmtContext(ctx, s.stmt.upsertItem).ExecContext(ctx, args...)
	return err
}

// upsertItems writes exactly upsertChunk items with one statement.
func (s *SQLite) upsertItems(ctx context.Context, st *sql.Stmt, its []Item, now time.Time) error {
	args := make([]any, 0, 9*len(its))
	for _, it := range its {
		var err error
		if args, err = appendItemArgs(args, it, now); err != nil {
			return err
		}
	}
	_, err := st.ExecContext(ctx, args...)
	return err
}

// appendItemArgs appends the upsert's arguments for it.
func appendItemArgs(args []any, it Item, now time.Time) ([]any, error) {
	rules, err := EncodeRules(it.Rules)
	if err != nil {
		return nil, err
	}
	if it.FirstSeen.IsZero() {
		it.FirstSeen = now
	}
	return append(args, it.Source, it.Key, nullString(it.CanonicalLink), it.ContentHash, rules,
		nullID(it.StoryID), dbTime(it.Published), dbTime(it.FirstSeen), dbTime(now)), nil
}

// touchChunk bounds the keys of one UPDATE, well under SQLite's limit on
// bound parameters.
const touchChunk = 500

// TouchItems records that source still carries the items with these keys,
// so retention counts from when an item was last seen: an undated item that
// stays in its feed is never pruned and then taken for new. Unknown keys are
// ignored.
func (s *SQLite) TouchItems(ctx context.Context, source string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: touch items %s: %w", source, err)
	}
	defer tx.Rollback()
	now := dbTime(s.now())
	for chunk := range slices.Chunk(keys, touchChunk) {
		args := make([]any, 0, len(chunk)+2)
		args = append(args, now, source)
		for _, k := range chunk {
			args = append(args, k)
		}
		q := `UPDATE items SET last_seen = ? WHERE source = ? AND key IN (?` + strings.Repeat(", ?", len(chunk)-1) + `)`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store: touch items %s: %w", source, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: touch items %s: commit: %w", source, err)
	}
	return nil
}

// scanItem reads one item row; sql.ErrNoRows becomes ErrNotFound.
func scanItem(row *sql.Row) (Item, error) {
	var it Item
	var link sql.NullString
	var rules string
	var story, published, firstSeen sql.NullInt64
	err := row.Scan(&it.Source, &it.Key, &link, &it.ContentHash, &rules, &story, &published, &firstSeen)
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, ErrNotFound
	}
	if err != nil {
		return Item{}, err
	}
	return finishItem(it, link, rules, story, published, firstSeen)
}

// finishItem decodes the nullable and JSON columns of an item row.
func finishItem(it Item, link sql.NullString, rules string, story, published, firstSeen sql.NullInt64) (Item, error) {
	if err := DecodeRules(rules, &it.Rules); err != nil {
		return Item{}, err
	}
	it.CanonicalLink, it.StoryID = link.String, story.Int64
	it.Published, it.FirstSeen = goTime(published), goTime(firstSeen)
	return it, nil
}

// EncodeRules is an item's rules column, in both stores: JSON, "[]" for
// none (most items) without encoding.
func EncodeRules(rules []string) (string, error) {
	if len(rules) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(rules)
	return string(b), err
}

// DecodeRules reads the rules column; "[]" (most items) needs no JSON.
func DecodeRules(s string, out *[]string) error {
	if s == "[]" || s == "" {
		*out = nil
		return nil
	}
	if err := json.Unmarshal([]byte(s), out); err != nil {
		return fmt.Errorf("decode rules: %w", err)
	}
	if len(*out) == 0 {
		*out = nil
	}
	return nil
}
