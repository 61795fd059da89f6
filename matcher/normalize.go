package matcher

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Token is one normalised word and where it came from.
type Token struct {
	Term       string // normalised: NFKC, case folded, no diacritics
	Start, End int    // byte offsets of the word in the original text
}

// Tokens splits s into normalised words. Both queries and articles go
// through it, which is what makes matching exact after normalisation.
func Tokens(s string) []Token {
	var t tokenizer
	t.run(s)
	text := string(t.norm)
	out := make([]Token, len(t.toks))
	for i, k := range t.toks {
		out[i] = Token{Term: text[k.ns:k.ne], Start: int(k.os), End: int(k.oe)}
	}
	return out
}

// rawTok is a token as offsets: [ns, ne) into the tokenizer's normalised
// buffer and [os, oe) into the original text.
type rawTok struct{ ns, ne, os, oe int32 }

// tokenizer holds reusable buffers so the matcher can tokenise articles
// without allocating per word.
type tokenizer struct {
	norm []byte
	toks []rawTok
	in   bool // the last emitted rune was part of a word
	slow bool // tests: force the general path for every rune
}

func (t *tokenizer) reset() {
	t.norm = t.norm[:0]
	t.toks = t.toks[:0]
	t.in = false
}

// run appends the tokens of s. Runs of ASCII take the fast path, except
// an ASCII byte followed by a non-ASCII one: it goes with the following
// combining marks, if any, through the full normalisation, segment by
// segment, so the fast path never changes a result.
func (t *tokenizer) run(s string) {
	t.in = false
	tab := foldTable()
	for i := 0; i < len(s); {
		if !t.slow && s[i] >= utf8.RuneSelf {
			if next := t.tableWords(tab, s, i); next > i {
				i = next
				continue
			}
		}
		if !t.slow && s[i] < utf8.RuneSelf {
			j := i + 1
			for j < len(s) && s[j] < utf8.RuneSelf {
				j++
			}
			if j < len(s) {
				j--
			}
			if j > i {
				t.ascii(s, i, j)
				i = j
				continue
			}
		}
		end := t.segmentEnd(s, i)
		if end == i+1 && s[i] < utf8.RuneSelf && !t.slow {
			// An ASCII character with no combining mark after it, here
			// only because a non-ASCII character follows.
			t.ascii(s, i, end)
		} else {
			t.segment(s[i:end], i, end)
		}
		i = end
	}
	t.in = false
}

// tableWords is the fast path for letters of the fold table (Latin-1,
// Cyrillic, Greek...) that each form their own normalisation segment: the
// common case in non-English text. It consumes such letters from s[i:] and
// returns where it stopped; at a rune that needs the general path (a
// combining mark follows it) it consumes nothing more.
func (t *tokenizer) tableWords(tab *[tableHi - tableLo]foldEntry, s string, i int) int {
	start, ns := i, len(t.norm)
	r, size := utf8.DecodeRuneInString(s[i:])
	for inTable(r) && tab[r-tableLo].kind == kindWord {
		next := i + size
		r2, size2 := rune(-1), 0
		if next < len(s) && s[next] >= utf8.RuneSelf {
			r2, size2 = utf8.DecodeRuneInString(s[next:])
			if !inTable(r2) || !tab[r2-tableLo].boundaryBefore {
				break
			}
		}
		t.norm = append(t.norm, tab[r-tableLo].out...)
		i = next
		if r2 < 0 {
			break
		}
		r, size = r2, size2
	}
	if i > start {
		t.word(ns, start, i)
	}
	return i
}

// ascii tokenises s[i:j], which is all ASCII: letters and digits form
// words, lower-cased; everything else separates.
func (t *tokenizer) ascii(s string, i, j int) {
	for k := i; k < j; {
		if asciiFold[s[k]] == 0 {
			t.in = false
			k++
			continue
		}
		ns := len(t.norm)
		e := k
		for ; e < j; e++ {
			c := asciiFold[s[e]]
			if c == 0 {
				break
			}
			t.norm = append(t.norm, c)
		}
		t.word(ns, k, e)
		k = e
	}
}

// asciiFold maps an ASCII letter or digit to its lower case and every other
// byte to 0 (a separator). A constant string, so it is immutable.
const asciiFold = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x30\x31\x32\x33\x34\x35\x36\x37\x38\x39\x00\x00\x00\x00\x00\x00\x00\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f\x70\x71\x72\x73\x74\x75\x76\x77\x78\x79\x7a\x00\x00\x00\x00\x00\x00\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f\x70\x71\x72\x73\x74\x75\x76\x77\x78\x79\x7a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// word extends the current token (or starts one) with the normalised bytes
// t.norm[ns:], just appended, and the original bytes [os, oe).
func (t *tokenizer) word(ns, os, oe int) {
	if t.in {
		k := &t.toks[len(t.toks)-1]
		k.ne, k.oe = int32(len(t.norm)), int32(oe)
		return
	}
	t.in = true
	t.toks = append(t.toks, rawTok{ns: int32(ns), ne: int32(len(t.norm)), os: int32(os), oe: int32(oe)})
}

// segmentEnd returns the end of the normalisation segment starting at i: a
// starter and the combining marks after it. Characters within a segment
// can combine, so a segment is normalised as a whole.
func (t *tokenizer) segmentEnd(s string, i int) int {
	_, size := utf8.DecodeRuneInString(s[i:])
	j := i + size
	if t.slow {
		return i + norm.NFKD.NextBoundaryInString(s[i:], true)
	}
	if j == len(s) || s[j] < utf8.RuneSelf {
		return j
	}
	if r, _ := utf8.DecodeRuneInString(s[j:]); inTable(r) && foldTable()[r-tableLo].boundaryBefore {
		return j
	}
	return i + norm.NFKD.NextBoundaryInString(s[i:], true)
}

// segment normalises one segment and emits its runes.
func (t *tokenizer) segment(seg string, os, oe int) {
	var out string
	if r, size := utf8.DecodeRuneInString(seg); !t.slow && size == len(seg) && inTable(r) {
		e := &foldTable()[r-tableLo]
		switch e.kind {
		case kindNone:
			return
		case kindSep:
			t.in = false
			return
		case kindWord:
			ns := len(t.norm)
			t.norm = append(t.norm, e.out...)
			t.word(ns, os, oe)
			return
		}
		out = e.out
	} else {
		out = normalizeSegment(seg)
	}
	t.emit(out, os, oe)
}

// emit appends the runes of a normalised segment: word runes extend the
// current token, anything else ends it. A Han, Hiragana or Katakana
// character is a token of its own (as search engines segment Chinese and
// Japanese without a dictionary); a query word in those scripts thus
// becomes a phrase of its characters.
func (t *tokenizer) emit(out string, os, oe int) {
	for _, r := range out {
		if !isWordRune(r) {
			t.in = false
			continue
		}
		cjk := isCJK(r)
		if cjk {
			t.in = false
		}
		ns := len(t.norm)
		t.norm = utf8.AppendRune(t.norm, r)
		t.word(ns, os, oe)
		if cjk {
			t.in = false
		}
	}
}

// isCJK: the ideographic and kana scripts written without spaces between
// words, with the kana prolonged sound mark (Common script, but part of
// Katakana words). Thai, Lao, Khmer and Myanmar need a dictionary to
// segment and stay whole runs: a documented limit.
func isCJK(r rune) bool {
	if r < 0x2E80 {
		return false
	}
	return r == 0x30FC || unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// isWordRune: letters and digits make words. Spacing marks (Mc, Me) are
// kept too: in Indic and other scripts they sit inside words, and
// nonspacing marks (Mn) are already gone as diacritics.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// normalizeSegment is the general path: Default_Ignorable code points
// (soft hyphen, zero-width space and joiners, word joiner, U+FEFF...)
// dropped as NFKC_Casefold drops them, so they never split a word;
// compatibility decomposition, diacritics (nonspacing marks) removed, full
// case folding, then NFKC. Folding can bring back decomposable characters,
// so decomposition and mark removal run again after it; this keeps
// normalisation idempotent. x/text's fold maps Cherokee lower case to upper
// and upper to lower, so a final ToLower makes it settle (the fuzzer found
// "Ꮥ" and "ꮥ" swapping).
func normalizeSegment(seg string) string {
	s := stripMarks(norm.NFKD.String(seg))
	s = strings.ToLower(cases.Fold().String(s))
	s = stripMarks(norm.NFKD.String(s))
	return norm.NFKC.String(s)
}

// stripMarks drops nonspacing marks and Default_Ignorable code points.
func stripMarks(s string) string {
	if !strings.ContainsFunc(s, dropped) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if dropped(r) {
			return -1
		}
		return r
	}, s)
}

func dropped(r rune) bool { return isNonspacing(r) || isDefaultIgnorable(r) }

func isNonspacing(r rune) bool { return unicode.Is(unicode.Mn, r) }

// isDefaultIgnorable is Unicode's derived Default_Ignorable_Code_Point
// property (DerivedCoreProperties.txt), built from the tables package
// unicode has: Other_Default_Ignorable_Code_Point, format characters (Cf)
// and variation selectors, less white space, the interlinear annotation
// and Egyptian hieroglyph format controls, and the prepended
// concatenation marks (which are visible).
func isDefaultIgnorable(r rune) bool {
	switch {
	case r < 0xAD:
		return false
	case unicode.In(r, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector):
		return true
	case !unicode.Is(unicode.Cf, r), unicode.Is(unicode.White_Space, r),
		0xFFF9 <= r && r <= 0xFFFB, 0x13430 <= r && r <= 0x1343F,
		unicode.Is(unicode.Prepended_Concatenation_Mark, r):
		return false
	}
	return true
}
