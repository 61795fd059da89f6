package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newswatch/newswatch/store"
)

// Items are shared by the replicas: an item read by one is known to all,
// and the same canonical link from two sources is one article whichever
// replica reads it. The methods are the SQLite store's, same meaning.

const itemColumns = `source, key, canonical_link, content_hash, rules, story_id, published, first_seen`

// planEach is the exec mode of statements whose best plan depends on how
// big a growing table is (= ANY over items and story_bands). By default pgx
// prepares a statement once per connection, and PostgreSQL then keeps a
// generic plan chosen at its sixth run: chosen while the table was small
// (a fresh database, or a server whose autovacuum has not analysed it
// since) it is a sequential scan for the connection's life, and the look-up
// grows with the table (docs/benchmarks.md, "Several replicas on
// PostgreSQL"). In this mode the statement is planned with its values at
// every run (the unnamed statement; its description is cached, so still
// one round trip).
const planEach = pgx.QueryExecModeCacheDescribe

// knownSQL finds a fetch's items by (source, key) and, from any source, by
// canonical link: the first seen item with each link (then by source and
// key, as the SQLite store orders them). The first column says which half
// a row answers. Arrays keep it one statement whatever the fetch's size.
const knownSQL = `SELECT FALSE, ` + itemColumns + ` FROM items WHERE source = $1 AND key = ANY($2)
	UNION ALL
	SELECT TRUE, * FROM (SELECT DISTINCT ON (canonical_link) ` + itemColumns + ` FROM items
		WHERE canonical_link = ANY($3) ORDER BY canonical_link, first_seen, source, key) AS l`

// KnownItems looks up a fetch's items, as store.SQLite.KnownItems does:
// the source's items with these keys, and the first seen item (any
// source) with each canonical link. Empty keys and links are ignored.
func (s *Store) KnownItems(ctx context.Context, source string, keys, links []string) (store.Known, error) {
	k := store.Known{ByKey: map[string]store.Item{}, ByLink: map[string]store.Item{}}
	rows, err := s.pool.Query(ctx, knownSQL, planEach, source, store.NonEmpty(keys), store.NonEmpty(links))
	if err != nil {
		return store.Known{}, fmt.Errorf("pgstore: known items %s: %w", source, err)
	}
	defer rows.Close()
	for rows.Next() {
		var byLink bool
		it, err := scanItem(rows, &byLink)
		if err != nil {
			return store.Known{}, fmt.Errorf("pgstore: known items %s: %w", source, err)
		}
		if byLink {
			k.ByLink[it.CanonicalLink] = it
		} else {
			k.ByKey[it.Key] = it
		}
	}
	if err := rows.Err(); err != nil {
		return store.Known{}, fmt.Errorf("pgstore: known items %s: %w", source, err)
	}
	return k, nil
}

// Item returns the item with the given source and key, or ErrNotFound.
func (s *Store) Item(ctx context.Context, source, key string) (store.Item, error) {
	rows, err := s.pool.Query(ctx, `SELECT FALSE, `+itemColumns+` FROM items WHERE source = $1 AND key = $2`, source, key)
	if err == nil {
		defer rows.Close()
		if rows.Next() {
			var byLink bool
			return scanItem(rows, &byLink)
		}
		err = rows.Err()
		if err == nil {
			err = ErrNotFound
		}
	}
	return store.Item{}, fmt.Errorf("pgstore: item %s %q: %w", source, key, err)
}

// SeenLink reports whether any source has an item with the canonical link.
func (s *Store) SeenLink(ctx context.Context, canonicalLink string) (bool, error) {
	var seen bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM items WHERE canonical_link = $1)`, canonicalLink).Scan(&seen)
	if err != nil {
		return false, fmt.Errorf("pgstore: seen link %q: %w", canonicalLink, err)
	}
	return seen, nil
}

// scanItem reads a row of knownSQL: its half, then the item.
func scanItem(rows pgx.Rows, byLink *bool) (store.Item, error) {
	var it store.Item
	var link *string
	var rules string
	var story, published, firstSeen *int64
	if err := rows.Scan(byLink, &it.Source, &it.Key, &link, &it.ContentHash, &rules, &story, &published, &firstSeen); err != nil {
		return store.Item{}, err
	}
	if link != nil {
		it.CanonicalLink = *link
	}
	if err := store.DecodeRules(rules, &it.Rules); err != nil {
		return store.Item{}, fmt.Errorf("item %s %q: %w", it.Source, it.Key, err)
	}
	it.StoryID, it.Published, it.FirstSeen = deref(story), goTime(published), goTime(firstSeen)
	return it, nil
}

// upsertItemSQL inserts an item or updates a known one, as the SQLite
// store's: first_seen keeps its first value, a known story is not
// forgotten when the update has none. ON CONFLICT makes two replicas
// writing one item at once one row.
const upsertItemSQL = `INSERT INTO items AS i (` + itemColumns + `, last_seen)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
	ON CONFLICT (source, key) DO UPDATE SET
		last_seen = excluded.last_seen,
		canonical_link = excluded.canonical_link,
		content_hash = excluded.content_hash,
		rules = excluded.rules,
		story_id = COALESCE(excluded.story_id, i.story_id),
		published = excluded.published`

// itemArgs are upsertItemSQL's arguments for it; FirstSeen defaults to now.
func itemArgs(it store.Item, nowUS int64) ([]any, error) {
	rules, err := store.EncodeRules(it.Rules)
	if err != nil {
		return nil, err
	}
	first := nowUS
	if !it.FirstSeen.IsZero() {
		first = micros(it.FirstSeen)
	}
	return []any{it.Source, it.Key, nullString(it.CanonicalLink), it.ContentHash, rules,
		nullID(it.StoryID), dbTime(it.Published), first, nowUS}, nil
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// TouchLinks marks the items with these canonical links (any source) as
// seen now, as store.SQLite.TouchLinks does.
func (s *Store) TouchLinks(ctx context.Context, links []string) error {
	if len(links) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `UPDATE items SET last_seen = $1 WHERE canonical_link = ANY($2)`, planEach,
		micros(s.writeNow()), links); err != nil {
		return fmt.Errorf("pgstore: touch links: %w", err)
	}
	return nil
}

// presenceWindow is store.SQLite.TouchSource's: the items a source showed
// in its last read are those last seen within this long of its most
// recently seen one.
const presenceWindow = time.Hour

// TouchSource marks as seen now the items the source showed in its last
// read (a 304 means it still shows them), as store.SQLite.TouchSource does.
func (s *Store) TouchSource(ctx context.Context, source string) error {
	_, err := s.pool.Exec(ctx, `UPDATE items SET last_seen = $1
		WHERE source = $2 AND last_seen >= (SELECT MAX(last_seen) FROM items WHERE source = $2) - $3`,
		micros(s.writeNow()), source, presenceWindow.Microseconds())
	if err != nil {
		return fmt.Errorf("pgstore: touch source %s: %w", source, err)
	}
	return nil
}
