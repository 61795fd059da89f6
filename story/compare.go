package story

import "encoding/binary"

const (
	// minSame is the number of equal slots Similar requires: an estimated
	// Jaccard similarity of at least 0.4. In the evaluation set lightly
	// edited copies measure 0.45 to 1 and different reports on the same
	// events at most 0.17; 0.4 leaves the wider margin on the side of never
	// folding different stories (about 7 standard errors above 0.17).
	minSame = 52
	// minShingles is the text length, in shingles, below which Similar
	// demands identical signatures: headline-sized texts such as "War
	// latest: day 1,000" and "War latest: day 1,001" share most of their
	// few shingles without being the same story.
	minShingles = 12
	// Bands of 3 slots, 42 of them: the LSH S-curve 1-(1-J^3)^42 puts the
	// candidate threshold near J = (1/42)^(1/3) = 0.29, below minSame, so
	// copies that Similar accepts are found: 0.94 at J = 0.4, 0.99 at 0.5.
	bandRows = 3
	numBands = numHashes / bandRows // the last 128 % 3 slots only count in Similar
	bandIdx  = 56                   // band keys carry the band index in bits 56..62
	keyMask  = uint64(1)<<bandIdx - 1
)

// Bands returns the LSH band keys of sig: one per band of 3 slots. Two
// signatures that share a key are candidates for Similar. Each key carries
// its band index in its top bits, so equal values in different bands never
// collide. An invalid or empty signature has no bands.
func Bands(sig Signature) []int64 {
	if !valid(sig) {
		return nil
	}
	slots := sig.slots()
	keys := make([]int64, numBands)
	for b := range keys {
		var v uint64
		for _, x := range slots[b*bandRows*2 : (b+1)*bandRows*2] {
			v = v<<8 | uint64(x)
		}
		keys[b] = int64(uint64(b)<<bandIdx | mix64(v)&keyMask)
	}
	return keys
}

// Similar reports whether a and b are near-duplicates: at least 52 of their
// 128 MinHash slots agree, an estimated Jaccard similarity of 0.4 or more
// between their shingle sets. Texts of fewer than 12 shingles (about 15
// words) must agree in every slot. Similar is stricter than sharing a band.
func Similar(a, b Signature) bool {
	if !valid(a) || !valid(b) {
		return false
	}
	need := minSame
	if min(a.shingles(), b.shingles()) < minShingles {
		need = numHashes
	}
	return sameSlots(a, b) >= need
}

// Estimate returns the estimated Jaccard similarity of the shingle sets
// behind a and b, from 0 to 1; 0 when either signature is invalid or empty.
func Estimate(a, b Signature) float64 {
	if !valid(a) || !valid(b) {
		return 0
	}
	return float64(sameSlots(a, b)) / numHashes
}

// sameSlots counts the equal MinHash slots of two valid signatures.
func sameSlots(a, b Signature) int {
	as, bs := a.slots(), b.slots()
	same := 0
	for i := 0; i < len(as); i += 2 {
		if binary.LittleEndian.Uint16(as[i:]) == binary.LittleEndian.Uint16(bs[i:]) {
			same++
		}
	}
	return same
}
