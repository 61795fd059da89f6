package matcher

import (
	"hash/maphash"
	"math"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// dictionary maps every word and prefix used by any rule to a term id.
// Article words outside it cannot affect any rule, so the matcher records
// occurrences only for dictionary terms. Bloom filters reject most article
// words before any map lookup: a 5 KB article has about 900 words and most
// are not rule terms.
type dictionary struct {
	words    map[string]int32 // nil after seal
	prefixes map[string]int32
	terms    []string // by id
	isPrefix []bool   // by id
	ruleFreq []int32  // by id: how many rules use the term (at least 1)

	// prefixLen[n]: some prefix is n bytes long; only those lengths of an
	// article word are looked up.
	prefixLen []bool
	// startBits has a bit for the first 3 bytes of every prefix (prefixes
	// have at least 3 letters, so at least 3 bytes). Most article words
	// fail it and skip the prefix checks at every length.
	startBits  []uint64
	wordBits   bloom
	prefixBits bloom
	seed       maphash.Seed
	// wordTable finds a word's id from the hash the Bloom filter already
	// computed (open addressing, linear probing); the map would hash again.
	wordTable []wordSlot
	// text holds every term's bytes back to back, and each terms[id] is a
	// substring of it. Built by seal: the terms were allocated one by one
	// among the parser's garbage, scattered over the whole heap, so each
	// final comparison in findWord missed the cache. Packed they take
	// about 10 bytes a term and mostly stay cached.
	text string
}

// wordSlot locates its word in text directly, so a lookup touches the
// slot and the word's bytes, not the terms slice in between. Only the high
// half of the hash is kept (the low bits chose the slot), so a slot is 16
// bytes; the string comparison makes the lookup exact anyway.
type wordSlot struct {
	hash uint32 // hash >> 32
	id   int32  // -1: empty
	off  uint32 // the word is text[off : off+n]
	n    uint32
}

func newDictionary() *dictionary {
	return &dictionary{words: map[string]int32{}, prefixes: map[string]int32{}}
}

func (d *dictionary) word(t string) int32   { return d.add(d.words, t, false) }
func (d *dictionary) prefix(t string) int32 { return d.add(d.prefixes, t, true) }

func (d *dictionary) add(m map[string]int32, t string, prefix bool) int32 {
	if id, ok := m[t]; ok {
		return id
	}
	id := int32(len(d.terms))
	m[t] = id
	d.terms = append(d.terms, t)
	d.isPrefix = append(d.isPrefix, prefix)
	d.ruleFreq = append(d.ruleFreq, 0)
	return id
}

// seal builds the filters once all terms are in.
func (d *dictionary) seal() {
	offs := d.pack()
	d.seed = maphash.MakeSeed()
	d.wordBits = newBloom(len(d.words))
	d.wordTable = make([]wordSlot, 1<<bits.Len(uint(2*len(d.words)+1)))
	for i := range d.wordTable {
		d.wordTable[i].id = -1
	}
	for t, id := range d.words {
		h := maphash.String(d.seed, t)
		d.wordBits.add(h)
		mask := uint64(len(d.wordTable) - 1)
		i := h & mask
		for d.wordTable[i].id >= 0 {
			i = (i + 1) & mask
		}
		d.wordTable[i] = wordSlot{hash: uint32(h >> 32), off: offs[id], n: uint32(len(t)), id: id}
	}
	// Only adding terms needs words; the map's keys, scattered over the
	// heap, would only give the garbage collector more to scan. prefixes
	// stays for lookups, rebuilt with keys in text.
	d.words = nil
	prefixes := make(map[string]int32, len(d.prefixes))
	for _, id := range d.prefixes {
		prefixes[d.terms[id]] = id
	}
	d.prefixes = prefixes
	d.prefixBits = newBloom(len(d.prefixes))
	d.startBits = make([]uint64, (1<<startLog)/64)
	for t := range d.prefixes {
		d.prefixBits.add(hashString(t))
		setBit(d.startBits, startSlot(t))
		if len(d.prefixLen) <= len(t) {
			d.prefixLen = append(d.prefixLen, make([]bool, len(t)+1-len(d.prefixLen))...)
		}
		d.prefixLen[len(t)] = true
	}
}

// pack copies the terms into one string, in id order, makes each
// terms[id] a substring of it and returns where each starts.
func (d *dictionary) pack() []uint32 {
	var b strings.Builder
	for _, t := range d.terms {
		b.WriteString(t)
	}
	if b.Len() > math.MaxUint32 {
		panic("matcher: dictionary text over 4 GiB")
	}
	d.text = b.String()
	offs := make([]uint32, len(d.terms))
	off := 0
	for i, t := range d.terms {
		offs[i] = uint32(off)
		d.terms[i] = d.text[off : off+len(t)]
		off += len(t)
	}
	return offs
}

// FNV-1a, computed byte by byte so a word's prefixes hash along the way.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// bloom is a blocked Bloom filter: at least 16 bits per key, and each key
// sets two bits in one 64-bit word, so a test costs one memory access and a
// key not in the set passes about 2% of the time. Each filter is sized for
// its own keys to keep it as small (and as cached) as possible.
type bloom struct {
	words []uint64
	shift uint // mixed hash >> shift picks the word
}

func newBloom(keys int) bloom {
	logBits := bits.Len(uint(max(1024, 16*keys) - 1))
	return bloom{words: make([]uint64, 1<<(logBits-6)), shift: uint(64 - logBits + 6)}
}

func (b bloom) block(h uint64) (word uint64, mask uint64) {
	x := h * 0x9E3779B97F4A7C15
	return x >> b.shift, 1<<(x&63) | 1<<((x>>6)&63)
}

func (b bloom) add(h uint64) {
	w, mask := b.block(h)
	b.words[w] |= mask
}

func (b bloom) has(h uint64) bool {
	w, mask := b.block(h)
	return b.words[w]&mask == mask
}

// startLog sizes startBits: 64 Ki bits, 8 KiB, small enough to stay in
// the L1 cache.
const startLog = 16

// startSlot hashes the first three bytes of w, which has at least three.
func startSlot[T string | []byte](w T) uint64 {
	v := uint64(w[0])<<16 | uint64(w[1])<<8 | uint64(w[2])
	return (v * 0x9E3779B97F4A7C15) >> (64 - startLog)
}

func setBit(b []uint64, i uint64)      { b[i/64] |= 1 << (i % 64) }
func hasBit(b []uint64, i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }

// lookup appends to out the id of the word term and of every prefix term
// matching the normalised article word w. Whole words are hashed with the
// runtime's fast hash; the incremental FNV hash of every prefix length is
// computed only for the few words whose first three bytes start a prefix.
func (d *dictionary) lookup(w []byte, out []int32) []int32 {
	if len(w) >= 3 && len(d.prefixLen) > 0 && hasBit(d.startBits, startSlot(w)) {
		out = d.lookupPrefixes(w, out)
	}
	if h := maphash.Bytes(d.seed, w); d.wordBits.has(h) {
		if id := d.findWord(h, w); id >= 0 {
			out = append(out, id)
		}
	}
	return out
}

// findWord looks w up in wordTable; the table is at most half full, so
// the probe ends at an empty slot. The final comparison makes the result
// exact whatever the hash.
func (d *dictionary) findWord(h uint64, w []byte) int32 {
	mask := uint64(len(d.wordTable) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		slot := d.wordTable[i]
		if slot.id < 0 {
			return -1
		}
		if slot.hash == uint32(h>>32) && d.text[slot.off:slot.off+slot.n] == string(w) {
			return slot.id
		}
	}
}

func (d *dictionary) lookupPrefixes(w []byte, out []int32) []int32 {
	h := uint64(fnvOffset)
	for i, c := range w {
		h = (h ^ uint64(c)) * fnvPrime
		n := i + 1
		if n < len(d.prefixLen) && d.prefixLen[n] && (n == len(w) || utf8.RuneStart(w[n])) &&
			d.prefixBits.has(h) {
			if id, ok := d.prefixes[string(w[:n])]; ok {
				out = append(out, id)
			}
		}
	}
	return out
}
