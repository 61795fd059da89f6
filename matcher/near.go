package matcher

import (
	"slices"

	"github.com/newswatch/newswatch/model"
)

// nearPairs reports whether some pair of occurrences of the two operands
// is within the distance; with collect set it appends to s.spans every
// occurrence that is in such a pair. NEAR operands never contain NEAR, so
// the scratch buffers suffice.
func (s *state) nearPairs(p *program, mask uint8, collect bool) bool {
	s.ivA = s.occurrences(p.kids[0], mask, s.ivA[:0])
	s.ivB = s.occurrences(p.kids[1], mask, s.ivB[:0])
	if len(s.ivA)*len(s.ivB) <= smallNear {
		return s.eachPair(s.ivA, s.ivB, p.n, collect)
	}
	return s.sweep(s.ivA, s.ivB, p.n, collect)
}

// smallNear is the number of pairs up to which checking every pair is
// faster than sorting; the usual article has a few occurrences of each side.
const smallNear = 64

// eachPair checks every pair: quadratic, so only for a few occurrences.
func (s *state) eachPair(as, bs []interval, n int, collect bool) bool {
	found := false
	for _, a := range as {
		for _, b := range bs {
			if !near(a, b, n) {
				continue
			}
			if !collect {
				return true
			}
			found = true
			s.spans = append(s.spans, a.span(), b.span())
		}
	}
	return found
}

// sweep sorts both lists and looks up each occurrence's partners by binary
// search, so a long article with thousands of occurrences of both sides
// costs O(n log n), not a check and two spans per pair (for NEAR/1000 that
// was gigabytes of spans and seconds per article). Each occurrence in a
// pair is appended once.
func (s *state) sweep(as, bs []interval, n int, collect bool) bool {
	sortIntervals(as)
	sortIntervals(bs)
	if !collect {
		return anyFollows(as, bs, n) || anyFollows(bs, as, n)
	}
	s.markA = resetMarks(s.markA, len(as))
	s.markB = resetMarks(s.markB, len(bs))
	found := markFollows(as, bs, n, s.markA, s.markB)
	found = markFollows(bs, as, n, s.markB, s.markA) || found
	if found {
		s.spans = appendMarked(s.spans, as, s.markA)
		s.spans = appendMarked(s.spans, bs, s.markB)
	}
	return found
}

// Two occurrences x and y are near (see near) exactly when one follows the
// other: y starts 1 to n words after x ends, in the same field, or x after
// y. The functions below find such pairs in lists sorted by sortIntervals.

func sortIntervals(ivs []interval) []interval {
	slices.SortFunc(ivs, func(a, b interval) int {
		if a.field != b.field {
			return int(a.field) - int(b.field)
		}
		if a.lo != b.lo {
			return a.lo - b.lo
		}
		return a.hi - b.hi
	})
	return ivs
}

// startsFrom returns the index of the first interval of ys that starts at
// or after word pos of field f.
func startsFrom(ys []interval, f model.Field, pos int) int {
	i, _ := slices.BinarySearchFunc(ys, interval{field: f, lo: pos}, func(y, key interval) int {
		if y.field != key.field {
			return int(y.field) - int(key.field)
		}
		return y.lo - key.lo
	})
	return i
}

// anyFollows reports whether some y starts 1 to n words after some x ends.
func anyFollows(xs, ys []interval, n int) bool {
	for _, x := range xs {
		if i := startsFrom(ys, x.field, x.hi+1); i < len(ys) && ys[i].field == x.field && ys[i].lo-x.hi <= n {
			return true
		}
	}
	return false
}

// markFollows marks every x that some y follows within n words, and every
// such y, and reports whether there was any. The ys of one x are a run of
// ys, so they are marked as +1 at the run's start and -1 after its end in
// markY, which appendMarked sums up: linear however long the runs.
func markFollows(xs, ys []interval, n int, markX, markY []int32) bool {
	found := false
	for i, x := range xs {
		lo := startsFrom(ys, x.field, x.hi+1)
		hi := startsFrom(ys[lo:], x.field, x.hi+n+1) + lo
		if lo == hi {
			continue
		}
		found = true
		markX[i], markX[i+1] = markX[i]+1, markX[i+1]-1
		markY[lo], markY[hi] = markY[lo]+1, markY[hi]-1
	}
	return found
}

// resetMarks returns a zeroed difference array for n intervals.
func resetMarks(m []int32, n int) []int32 {
	m = slices.Grow(m[:0], n+1)[:n+1]
	clear(m)
	return m
}

// appendMarked appends the spans of the intervals whose running sum of
// marks is positive.
func appendMarked(spans []model.Span, ivs []interval, marks []int32) []model.Span {
	sum := int32(0)
	for i, iv := range ivs {
		if sum += marks[i]; sum > 0 {
			spans = append(spans, iv.span())
		}
	}
	return spans
}
