package store

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBandTable checks the table against a map through adds and removes
// dense enough to make long probe runs, wrap-around and growth.
func TestBandTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tab := &bandTable{hashes: make([]uint64, 16), slots: make([]int32, 16)} // grows
	want := map[int64][]int32{}
	type entry struct {
		key int64
		s   int32
	}
	var live []entry
	check := func(key int64) {
		t.Helper()
		var got []int32
		tab.each(key, func(s int32) { got = append(got, s) })
		slices.Sort(got)
		w := slices.Clone(want[key])
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Fatalf("key %d: %v, want %v", key, got, w)
		}
	}
	for i := range 20_000 {
		// Few distinct keys (shared by several stories) and some
		// negative ones, with a few hundred live entries at a time.
		if len(live) < 300 || rng.IntN(2) == 0 {
			e := entry{int64(rng.IntN(400)) - 100, int32(i)}
			tab.add(e.key, e.s)
			want[e.key] = append(want[e.key], e.s)
			live = append(live, e)
		} else {
			j := rng.IntN(len(live))
			e := live[j]
			live = slices.Delete(live, j, j+1)
			tab.remove(e.key, e.s)
			want[e.key] = slices.DeleteFunc(want[e.key], func(s int32) bool { return s == e.s })
		}
		check(int64(rng.IntN(400)) - 100)
	}
	for k := range want {
		check(k)
	}
	if tab.n != len(live) {
		t.Errorf("n = %d, want %d", tab.n, len(live))
	}
	tab.remove(12345, 1) // absent: no change
	if tab.n != len(live) {
		t.Errorf("n after removing an absent entry = %d", tab.n)
	}
}

func TestEncodeBands(t *testing.T) {
	bands := []int64{-5, 0, 258, 1 << 62, -1 << 63}
	got, err := decodeBands(encodeBands(bands))
	if err != nil || !slices.Equal(got, bands) {
		t.Errorf("round trip = %v, %v", got, err)
	}
	if _, err := decodeBands(make([]byte, 7)); err == nil {
		t.Error("7-byte blob decoded")
	}
}
