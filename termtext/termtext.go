// Package termtext makes text from the web safe to print on a terminal.
// Titles, links and errors from feeds and sites are untrusted: printed raw,
// an escape sequence could rewrite the terminal and a bidi override could
// reorder what the user reads.
package termtext

import (
	"strings"
	"unicode"
)

// Line replaces line breaks, tabs, C0 and C1 control characters, line and
// paragraph separators and bidi controls with spaces, one rune for one, so
// columns under the text (a caret under a query error) still line up.
func Line(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, s)
}

// Cut is Line, then at most max runes with an ellipsis after a cut.
func Cut(s string, max int) string {
	s = Line(s)
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
