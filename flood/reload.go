package flood

import (
	"slices"
	"time"
)

// Due returns the buckets whose digest is due at now, earliest first.
func Due(buckets []Bucket, now time.Time) []Bucket {
	var out []Bucket
	for _, b := range buckets {
		if !b.Due.After(now) {
			out = append(out, b)
		}
	}
	slices.SortStableFunc(out, func(a, b Bucket) int { return a.Due.Compare(b.Due) })
	return out
}

// Reschedule recomputes an open bucket's due time under a new policy, for a
// config reload. Held articles stay held:
//   - a flood bucket ends with its window, Window after it opened, so a
//     changed flood.window moves it (into the past: due at once);
//   - a rule bucket is due at the rule's first tick after it opened under
//     the rule's digest schedule now in force (for an unchanged schedule,
//     the same time as before);
//   - a rule bucket whose rule has no digest any more (the key removed, or
//     the rule deleted) is due at once: its articles go out as one digest.
//
// A bucket already due stays due.
func Reschedule(p Policy, b Bucket, now time.Time) Bucket {
	if !b.Due.After(now) {
		return b
	}
	rule, isRule := KeyRule(b.Key)
	switch s := p.Digests[rule]; {
	case !isRule:
		b.Due = b.Opened.Add(p.Window)
	case s == nil:
		b.Due = now
	default:
		b.Due = s.Next(b.Opened)
	}
	return b
}
