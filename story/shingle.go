package story

import (
	"unicode"
	"unicode/utf8"
)

// shingleWords is the shingle length in words. Four words are long enough
// that stock phrases shared by different reports ("the Kremlin said on")
// rarely make two articles look alike, and short enough that an edited
// sentence breaks only a few shingles around it.
const shingleWords = 4

// FNV-1a, chosen because signatures are stored: the hash must be the same
// in every process and release (hash/maphash is seeded per process).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// wordHashes splits s into words of letters and digits, lower-cased, and
// appends the hash of each word to dst.
func wordHashes(dst []uint64, s string) []uint64 {
	h, inWord := uint64(fnvOffset), false
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf { // ASCII fast path: same hash as fnvRune
			i++
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' {
				h, inWord = (h^uint64(c))*fnvPrime, true
				continue
			}
		} else {
			r, n := utf8.DecodeRuneInString(s[i:])
			i += n
			if isWordRune(r) {
				h, inWord = fnvRune(h, unicode.ToLower(r)), true
				continue
			}
		}
		if inWord {
			dst = append(dst, h)
			h, inWord = fnvOffset, false
		}
	}
	if inWord {
		dst = append(dst, h)
	}
	return dst
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// fnvRune mixes one rune into an FNV-1a hash, byte by byte of its UTF-8 form.
func fnvRune(h uint64, r rune) uint64 {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	for _, b := range buf[:n] {
		h = (h ^ uint64(b)) * fnvPrime
	}
	return h
}

// shingleHashes turns word hashes into hashes of every run of shingleWords
// words (one shingle of all words when there are fewer), in place.
func shingleHashes(words []uint64) []uint64 {
	if len(words) == 0 {
		return nil
	}
	n := len(words) - shingleWords + 1
	if n < 1 {
		n = 1
	}
	for i := 0; i < n; i++ {
		h := uint64(fnvOffset)
		for j := i; j < i+shingleWords && j < len(words); j++ {
			h = (h ^ words[j]) * fnvPrime
		}
		words[i] = mix64(h)
	}
	return words[:n]
}

// mix64 is the MurmurHash3 finaliser: it spreads every input bit over the
// whole word, which the per-slot permutations in Sign rely on.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
