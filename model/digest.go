package model

import "time"

// Digest is one message that collects articles held back from a channel:
// the overflow of a flood window (Rule ""), or the matches of a rule with
// a digest schedule. A digest too long for one Slack message is split into
// parts (Part of Parts); every part carries the whole digest's Total and
// time range, so each can be rendered on its own.
type Digest struct {
	Channel string `json:"channel"`
	// Rule names the rule of a scheduled digest; "" for a flood digest.
	Rule string `json:"rule,omitempty"`
	// Since is when collection started (the flood window's start, or the
	// first match held for the rule); Until when the digest fell due.
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Entries are the stories, one line each, in the order they were held.
	Entries []DigestEntry `json:"entries"`
	// Total counts the articles of the whole digest (every part, other
	// outlets' copies included); 0 means count Entries.
	Total int `json:"total,omitempty"`
	// Part and Parts number the parts of a split digest, from 1; 0 when
	// the digest has not been split.
	Part  int `json:"part,omitempty"`
	Parts int `json:"parts,omitempty"`
}

// DigestEntry is one story in a digest: its first held article, the rules
// its copies matched, and the copies other outlets carried.
type DigestEntry struct {
	StoryID int64     `json:"story_id,omitempty"`
	Rules   []string  `json:"rules"`
	Article Article   `json:"article"`
	Others  []Article `json:"others,omitempty"`
}

// Articles counts the articles of the whole digest: Total when set, else
// every entry's article and its other copies.
func (d Digest) Articles() int {
	if d.Total > 0 {
		return d.Total
	}
	n := 0
	for _, e := range d.Entries {
		n += 1 + len(e.Others)
	}
	return n
}
