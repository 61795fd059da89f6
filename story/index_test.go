package story

import (
	"slices"
	"testing"
)

func TestIndex(t *testing.T) {
	x := NewIndex()
	base := words(0, 300)
	x.Add(1, Sign("Talks open", base))
	x.Add(2, Sign("Something else", words(10000, 300)))
	x.Add(3, Sign("Talks begin", base+" Reporting by A; Editing by B"))
	x.Add(4, nil) // no words: not indexed
	if x.Len() != 3 {
		t.Errorf("Len = %d, want 3", x.Len())
	}
	got := x.Lookup(Sign("Talks open in Geneva", base))
	if !slices.Equal(got, []int64{1, 3}) {
		t.Errorf("Lookup = %v, want [1 3]", got)
	}
	if got := x.Lookup(Sign("", words(20000, 300))); got != nil {
		t.Errorf("Lookup of an unrelated text = %v, want none", got)
	}
	if got := x.Lookup(nil); got != nil {
		t.Errorf("Lookup(nil) = %v, want none", got)
	}
}
