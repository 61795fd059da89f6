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

// knownByKeySQL and knownByLinkSQL find a chunk's items by (source, key)
// and by canonical link. The first column says which a row answers.
// knownBothSQL is the two in one statement, for a fetch of at most
// lookupChunk items: the usual feed is looked up with one query.
var (
	knownByKeySQL  = `SELECT 0, ` + itemColumns + ` FROM items WHERE source = ? AND key IN (` + placeholders(lookupChunk) + `)`
	knownByLinkSQL = `SELECT 1, ` + itemColumns + ` FROM items WHERE canonical_link IN (` + placeholders(lookupChunk) + `)`
	knownBothSQL   = knownByKeySQL + ` UNION ALL ` + knownByLinkSQL
)

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
// these keys, and the items (any source) with the canonical links, where
// links[i] is keys[i]'s link. Where several items share a link, ByLink
// holds the first seen (then by source and key), as ItemByCanonicalLink
// would return. Empty keys and links are ignored. A fetch of up to 64 items
// and links is one query; a larger one looks up its keys 64 to a statement,
// then only the links of the keys not found (links past the end of keys
// always), so a large feed whose items are all known costs one statement per
// 64 of them. ByLink may lack the link of an item found by key.
func (s *SQLite) KnownItems(ctx context.Context, source string, keys, links []string) (Known, error) {
	k := Known{ByKey: make(map[string]Item), ByLink: make(map[string]Item)}
	keys, links = nonEmptyPairs(keys, links)
	if len(keys) <= lookupChunk && len(links) <= lookupChunk {
		args := make([]any, 1+2*lookupChunk)
		args[0] = source
		fill(args[1:1+lookupChunk], keys, 0)
		fill(args[1+lookupChunk:], links, 0)
		if err := s.knownChunk(ctx, s.stmt.knownBoth, args, &k); err != nil {
			return Known{}, fmt.Errorf("store: known items %s: %w", source, err)
		}
		return k, nil
	}
	if err := s.knownChunks(ctx, s.stmt.knownByKey, []any{source}, keys, &k); err != nil {
		return Known{}, fmt.Errorf("store: known items %s: %w", source, err)
	}
	var want []string
	for i, l := range links {
		if i < len(keys) {
			if _, found := k.ByKey[keys[i]]; found {
				continue
			}
		}
		want = append(want, l)
	}
	if err := s.knownChunks(ctx, s.stmt.knownByLink, nil, NonEmpty(want), &k); err != nil {
		return Known{}, fmt.Errorf("store: known items %s: %w", source, err)
	}
	return k, nil
}

// knownChunks runs st over vals, lookupChunk at a time, after the fixed
// arguments.
func (s *SQLite) knownChunks(ctx context.Context, st *sql.Stmt, fixed []any, vals []string, k *Known) error {
	args := make([]any, len(fixed)+lookupChunk)
	copy(args, fixed)
	for i := 0; i < len(vals); i += lookupChunk {
		fill(args[len(fixed):], vals, i)
		if err := s.knownChunk(ctx, st, args, k); err != nil {
			return err
		}
	}
	return nil
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

func (s *SQLite) knownChunk(ctx context.Context, st *sql.Stmt, args []any, k *Known) error {
	rows, err := st.QueryContext(ctx, args...)
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

// NonEmpty is ss without its empty strings (keys and links a look-up
// cannot match).
func NonEmpty(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// nonEmptyPairs drops empty keys and links, keeping links[i] with keys[i]:
// a pair with an empty key keeps its link after the keys' end (looked up
// whatever is found), an empty link is dropped.
func nonEmptyPairs(keys, links []string) ([]string, []string) {
	var ks, ls, rest []string
	for i, k := range keys {
		l := ""
		if i < len(links) {
			l = links[i]
		}
		switch {
		case k != "":
			ks, ls = append(ks, k), append(ls, l)
		case l != "":
			rest = append(rest, l)
		}
	}
	if len(links) > len(keys) {
		rest = append(rest, links[len(keys):]...)
	}
	for _, l := range rest {
		if l != "" {
			ls = append(ls, l)
		}
	}
	return ks, ls
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
