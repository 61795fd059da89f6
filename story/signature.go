package story

import (
	"encoding/binary"
	"math"
)

// Signature layout: a version byte, the number of shingles (uint16, little
// endian, saturating), then numHashes 16-bit MinHash slots.
const (
	numHashes = 128 // MinHash slots
	version   = 1
	headerLen = 3
	sigLen    = headerLen + numHashes*2
)

// Signature is a compact MinHash sketch of an article (259 bytes), stored as
// an opaque blob. A nil or empty Signature (an article without words) is
// similar to nothing.
type Signature []byte

// seeds make numHashes independent hash functions out of one: slot i hashes
// a shingle as permute(shingle ^ seeds[i]). They are fixed, because
// signatures are stored and compared across restarts.
var seeds = func() [numHashes]uint64 {
	var s [numHashes]uint64
	x := uint64(0x6e65777377617463) // "newswatc"
	for i := range s {
		x += 0x9e3779b97f4a7c15 // splitmix64 sequence
		s[i] = mix64(x)
	}
	return s
}()

// Sign computes the signature of an article from its title and text.
func Sign(title, text string) Signature {
	words := wordHashes(make([]uint64, 0, 64+len(text)/5), title)
	words = wordHashes(words, text)
	shingles := shingleHashes(words)
	if len(shingles) == 0 {
		return nil
	}
	var mins [numHashes]uint64
	minHashes(&mins, shingles)
	sig := make(Signature, sigLen)
	sig[0] = version
	binary.LittleEndian.PutUint16(sig[1:], uint16(min(len(shingles), math.MaxUint16)))
	for i, m := range mins {
		// b-bit MinHash: the low 16 bits of each minimum are enough to tell
		// equal minima from different ones (a false match has odds 1/65536).
		binary.LittleEndian.PutUint16(sig[headerLen+2*i:], uint16(m))
	}
	return sig
}

// minHashes computes every slot's minimum over the shingles. It is the hot
// loop of Sign: slot by slot, so the running minimum and the seed stay in
// registers, and each slot's permutation is a single multiply and xor-shift
// of the already well-mixed shingle hash.
func minHashes(mins *[numHashes]uint64, shingles []uint64) {
	for i, seed := range seeds {
		m := uint64(math.MaxUint64)
		for _, s := range shingles {
			x := (s ^ seed) * 0xbf58476d1ce4e5b9
			x ^= x >> 31
			m = min(m, x)
		}
		mins[i] = m
	}
}

func valid(sig Signature) bool {
	return len(sig) == sigLen && sig[0] == version
}

// shingles returns the number of shingles a valid signature was made from.
func (sig Signature) shingles() int {
	return int(binary.LittleEndian.Uint16(sig[1:]))
}

// slots returns the MinHash slots of a valid signature, two bytes each.
func (sig Signature) slots() []byte {
	return sig[headerLen:]
}
