package matcher

import (
	"sync"

	"golang.org/x/text/unicode/norm"
)

// The fold table caches normalizeSegment for single-rune segments of the
// two-byte UTF-8 range (Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic),
// so text in those scripts avoids the allocation-heavy general path. It is
// derived from normalizeSegment, so results are identical by construction;
// it is immutable after it is built once on first use.
const (
	tableLo = 0x80
	tableHi = 0x800
)

const (
	kindNone  = iota // normalises to nothing (a lone diacritic): no effect
	kindSep          // no word runes: a separator
	kindWord         // only word runes
	kindMixed        // both: emit rune by rune
)

type foldEntry struct {
	out            string
	kind           uint8
	boundaryBefore bool // a normalisation segment always starts here
}

var foldTable = sync.OnceValue(func() *[tableHi - tableLo]foldEntry {
	var t [tableHi - tableLo]foldEntry
	for r := rune(tableLo); r < tableHi; r++ {
		s := string(r)
		out := normalizeSegment(s)
		e := &t[r-tableLo]
		e.out = out
		e.boundaryBefore = norm.NFKD.PropertiesString(s).BoundaryBefore()
		words, seps := 0, 0
		for _, o := range out {
			if isWordRune(o) {
				words++
			} else {
				seps++
			}
		}
		switch {
		case out == "":
			e.kind = kindNone
		case words == 0:
			e.kind = kindSep
		case seps == 0:
			e.kind = kindWord
		default:
			e.kind = kindMixed
		}
	}
	return &t
})

func inTable(r rune) bool { return tableLo <= r && r < tableHi }
