package matcher

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/newswatch/newswatch/model"
)

// TestSweepAgreesWithEachPair checks the sorted sweep used for many
// occurrences against checking every pair, on random occurrence lists with
// words and phrases of several lengths, overlaps, duplicates and fields.
func TestSweepAgreesWithEachPair(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	list := func() []interval {
		out := make([]interval, r.IntN(40))
		for i := range out {
			lo := r.IntN(60)
			hi := lo + r.IntN(3)
			out[i] = interval{field: model.Field(r.IntN(3)), lo: lo, hi: hi, start: 10 * lo, end: 10*hi + 5}
		}
		return out
	}
	var s state
	for i := range 5000 {
		as, bs, n := list(), list(), 1+r.IntN(8)
		for _, collect := range []bool{false, true} {
			s.spans = s.spans[:0]
			want := s.eachPair(slices.Clone(as), slices.Clone(bs), n, collect)
			wantSpans := sortSpans(slices.Clone(s.spans))
			s.spans = s.spans[:0]
			got := s.sweep(slices.Clone(as), slices.Clone(bs), n, collect)
			gotSpans := sortSpans(slices.Clone(s.spans))
			if got != want || !slices.Equal(gotSpans, wantSpans) {
				t.Fatalf("case %d, NEAR/%d, collect %v: sweep %v %v, each pair %v %v\na=%v\nb=%v",
					i, n, collect, got, gotSpans, want, wantSpans, as, bs)
			}
		}
	}
}
