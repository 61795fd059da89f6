package flood

import (
	"slices"
	"time"

	"github.com/newswatch/newswatch/model"
)

// Held is one held article, as the store keeps it (a row of held).
type Held struct {
	BucketID int64
	Channel  string
	// StoryID is the article's story; 0 for none (the article is then a
	// story of its own).
	StoryID int64
	Rules   []string
	// Article is the article as the alert would have shown it (undated
	// items carry their first-seen time).
	Article model.Article
	// Created is when it was held; digests list stories in this order.
	Created time.Time
}

// Assemble builds the digest of bucket b from its held articles: one entry
// per story, in the order the stories were first held, its first article
// linked and the later copies as its other outlets, naming every rule any
// copy matched. Held rows of other buckets are ignored.
func Assemble(b Bucket, held []Held) model.Digest {
	rows := slices.Clone(held)
	slices.SortStableFunc(rows, func(x, y Held) int { return x.Created.Compare(y.Created) })
	d := model.Digest{Channel: b.Channel, Since: b.Opened, Until: b.Due}
	if rule, ok := KeyRule(b.Key); ok {
		d.Rule = rule
	}
	at := map[int64]int{} // story id -> index in d.Entries
	for _, h := range rows {
		if h.BucketID != b.ID {
			continue
		}
		if i, ok := at[h.StoryID]; ok && h.StoryID != 0 {
			e := &d.Entries[i]
			e.Others = append(e.Others, h.Article)
			e.Rules = union(e.Rules, h.Rules)
			continue
		}
		at[h.StoryID] = len(d.Entries)
		d.Entries = append(d.Entries, model.DigestEntry{StoryID: h.StoryID, Rules: slices.Clone(h.Rules), Article: h.Article})
	}
	d.Total = d.Articles()
	return d
}

// union appends to a the names of b it lacks, keeping a's order.
func union(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}
