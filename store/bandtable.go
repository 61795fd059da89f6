package store

import "math/bits"

// bandTable is a multimap from band key to story slot: an open-addressing
// hash table with linear probing, its keys and values in two flat arrays.
// A Go map[int64]int32 of 4.2 M keys (100,000 stories x 42 bands) takes
// about 150 MB; this takes 12 bytes a slot at a load of 0.64 to 0.8, about
// 65-80 MB. A key shared by several stories has one slot per story. It is
// not safe for concurrent use; bandIndex guards it.
type bandTable struct {
	hashes []uint64 // mix(key) of the slot's entry
	slots  []int32  // story slot plus one; 0 marks an empty table slot
	n      int      // entries
}

// maxLoad is the fill (in tenths) at which the table grows by a quarter.
const maxLoad = 8

// newBandTable returns a table sized for n entries without growing.
func newBandTable(n int) *bandTable {
	c := max(n*10/7, 1024)
	return &bandTable{hashes: make([]uint64, c), slots: make([]int32, c)}
}

// mix is a bijection of the 64-bit keys (murmur3's finaliser), so equal
// hashes mean equal keys and the table need not store the keys.
func mix(key int64) uint64 {
	h := uint64(key)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// home is h's first probe position (Lemire's multiply-shift reduction).
func (t *bandTable) home(h uint64) int {
	hi, _ := bits.Mul64(h, uint64(len(t.slots)))
	return int(hi)
}

func (t *bandTable) next(i int) int {
	if i++; i == len(t.slots) {
		return 0
	}
	return i
}

// add records that story slot s has key.
func (t *bandTable) add(key int64, s int32) {
	if (t.n+1)*10 > len(t.slots)*maxLoad {
		t.grow()
	}
	t.put(mix(key), s+1)
}

func (t *bandTable) put(h uint64, v int32) {
	i := t.home(h)
	for t.slots[i] != 0 {
		i = t.next(i)
	}
	t.hashes[i], t.slots[i] = h, v
	t.n++
}

func (t *bandTable) grow() {
	old := *t
	c := len(old.slots) + len(old.slots)/4
	*t = bandTable{hashes: make([]uint64, c), slots: make([]int32, c)}
	for i, v := range old.slots {
		if v != 0 {
			t.put(old.hashes[i], v)
		}
	}
}

// each calls fn with every story slot that has key.
func (t *bandTable) each(key int64, fn func(s int32)) {
	h := mix(key)
	for i := t.home(h); t.slots[i] != 0; i = t.next(i) {
		if t.hashes[i] == h {
			fn(t.slots[i] - 1)
		}
	}
}

// remove deletes the entry (key, s) if present, shifting later entries of
// its probe run back so that no lookup meets a hole before their slot.
func (t *bandTable) remove(key int64, s int32) {
	h := mix(key)
	i := t.home(h)
	for ; t.slots[i] != s+1 || t.hashes[i] != h; i = t.next(i) {
		if t.slots[i] == 0 {
			return
		}
	}
	for j := t.next(i); t.slots[j] != 0; j = t.next(j) {
		// The entry at j may fill the hole at i unless its home lies
		// cyclically in (i, j].
		k := t.home(t.hashes[j])
		if (i < j && (k <= i || k > j)) || (i > j && k <= i && k > j) {
			t.hashes[i], t.slots[i] = t.hashes[j], t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
	t.n--
}

// retain keeps the entries whose story slot keep accepts, rebuilding the
// table at the size they need.
func (t *bandTable) retain(keep func(s int32) bool) {
	n := 0
	for _, v := range t.slots {
		if v != 0 && keep(v-1) {
			n++
		}
	}
	old := *t
	*t = *newBandTable(n)
	for i, v := range old.slots {
		if v != 0 && keep(v-1) {
			t.put(old.hashes[i], v)
		}
	}
}
