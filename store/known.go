package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Known is what the store knows of one fetch's items, read by KnownItems.
type Known struct {
	ByKey  map[string]Item // the source's items, by key
	ByLink map[string]Item // by canonical link: the first seen item with it, from any source
}

// lookupChunk is how many keys (and as many links) one lookup statement
// takes. The statement has exactly this many placeholders, the unused
// ones bound to NULL (which equals nothing), so a single prepared
// statement serves every fetch: re-parsing SQL per call cost more than the
// lookups themselves.
const lookupChunk = 64

// knownItemsSQL finds, in one statement, a chunk's items by (source, key)
// and by canonical link. The first column says which half a row comes from.
var knownItemsSQL = `SELECT 0, ` + itemColumns + ` FROM items WHERE source = ? AND key IN (` + placeholders(lookupChunk) + `)
	UNION ALL
	SELECT 1, ` + itemColumns + ` FROM items WHERE canonical_link IN (` + placeholders(lookupChunk) + `)`

func placeholders(n int) string {
	b := make([]byte, 0, 3*n)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// KnownItems looks up a fetch's items in batches: the source's items with
// these keys, and the items (any source) with these canonical links. Where
// several items share a link, ByLink holds the first seen (then by source
// and key), as ItemByCanonicalLink would return. Empty keys and links are
// ignored. One statement per 64 keys and links, not several per item.
func (s *SQLite) KnownItems(ctx context.Context, source string, keys, links []string) (Known, error) {
	k := Known{ByKey: make(map[string]Item), ByLink: make(map[string]Item)}
	keys, links = nonEmpty(keys), nonEmpty(links)
	args := make([]any, 1+2*lookupChunk)
	args[0] = source
	for i := 0; i < max(len(keys), len(links)); i += lookupChunk {
		fill(args[1:1+lookupChunk], keys, i)
		fill(args[1+lookupChunk:], links, i)
		if err := s.knownChunk(ctx, args, &k); err != nil {
			return Known{}, fmt.Errorf("store: known items %s: %w", source, err)
		}
	}
	return k, nil
}

// fill binds dst to from[i:], NULL past its end.
func fill(dst []any, from []string, i int) {
	for j := range dst {
		if i+j < len(from) {
			dst[j] = from[i+j]
		} else {
			dst[j] = nil
		}
	}
}

func (s *SQLite) knownChunk(ctx context.Context, args []any, k *Known) error {
	rows, err := s.stmt.knownItems.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var byLink bool
		it, err := scanItemRow(rows, &byLink)
		if err != nil {
			return err
		}
		if !byLink {
			k.ByKey[it.Key] = it
			continue
		}
		if old, ok := k.ByLink[it.CanonicalLink]; !ok || seenBefore(it, old) {
			k.ByLink[it.CanonicalLink] = it
		}
	}
	return rows.Err()
}

// seenBefore orders items sharing a link as ItemByCanonicalLink does.
func seenBefore(a, b Item) bool {
	if !a.FirstSeen.Equal(b.FirstSeen) {
		return a.FirstSeen.Before(b.FirstSeen)
	}
	if a.Source != b.Source {
		return a.Source < b.Source
	}
	return a.Key < b.Key
}

func nonEmpty(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// scanItemRow reads a row of knownItemsSQL: its half, then the item.
func scanItemRow(rows *sql.Rows, byLink *bool) (Item, error) {
	var it Item
	var link sql.NullString
	var rules string
	var story, published, firstSeen sql.NullInt64
	if err := rows.Scan(byLink, &it.Source, &it.Key, &link, &it.ContentHash, &rules, &story, &published, &firstSeen); err != nil {
		return Item{}, err
	}
	return finishItem(it, link, rules, story, published, firstSeen)
}
