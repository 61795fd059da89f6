package story

import "slices"

// Index is an in-memory LSH index of signatures by band key. The daemon keeps
// stories in the store; Index serves tests, benchmarks and tools, and shows
// the lookup the store performs. It is not safe for concurrent use.
type Index struct {
	heads   map[int64]int32 // band key -> newest entry with that key, plus one
	entries []entry         // per (item, band): chains of items sharing a key
	ids     []int64
	sigs    []Signature
}

// entry links an item into the chain of one band key. Chains in one slice,
// instead of a map of slices, cost 100,000 items x 42 bands one map slot and
// one 8-byte entry each, with no allocation per key.
type entry struct {
	item int32 // index into ids and sigs
	next int32 // previous entry with the same key, plus one; 0 ends the chain
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{heads: make(map[int64]int32)}
}

// Len returns the number of signatures added.
func (x *Index) Len() int { return len(x.ids) }

// Add indexes sig under id. Signatures without bands are ignored.
func (x *Index) Add(id int64, sig Signature) {
	bands := Bands(sig)
	if bands == nil {
		return
	}
	item := int32(len(x.ids))
	x.ids = append(x.ids, id)
	x.sigs = append(x.sigs, sig)
	for _, k := range bands {
		x.entries = append(x.entries, entry{item: item, next: x.heads[k]})
		x.heads[k] = int32(len(x.entries))
	}
}

// Lookup returns the ids of indexed signatures Similar to sig, each once,
// in the order they were added.
func (x *Index) Lookup(sig Signature) []int64 {
	var ids []int64
	for _, c := range x.candidates(sig) {
		if Similar(sig, x.sigs[c]) {
			ids = append(ids, x.ids[c])
		}
	}
	return ids
}

// Candidates returns the ids sharing at least one band key with sig, before
// the Similar check; it lets tests measure the banding's recall.
func (x *Index) Candidates(sig Signature) []int64 {
	cands := x.candidates(sig)
	ids := make([]int64, len(cands))
	for i, c := range cands {
		ids[i] = x.ids[c]
	}
	return ids
}

// candidates returns the items sharing a band key with sig, sorted, each once.
func (x *Index) candidates(sig Signature) []int32 {
	var cands []int32
	for _, k := range Bands(sig) {
		for e := x.heads[k]; e != 0; e = x.entries[e-1].next {
			cands = append(cands, x.entries[e-1].item)
		}
	}
	slices.Sort(cands)
	return slices.Compact(cands)
}
