// Package termtext makes text from the web safe to print on a terminal.
// Titles, links and errors from feeds and sites are untrusted: printed raw,
// an escape sequence could rewrite the terminal and a bidi override could
// reorder what the user reads.
package termtext

import (
	"strings"
	"unicode"
)

// IsControl reports whether r is a C0 or C1 control character or a bidi
// control (unicode.Bidi_Control: the embeddings, overrides, isolates and
// marks, U+061C ARABIC LETTER MARK included). Untrusted text never carries
// these to a reader: on a terminal they are escape sequences, and anywhere
// they can reorder what is read. This is the one definition; the Slack
// formatter uses it too.
func IsControl(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
}

// Line replaces line breaks, tabs, control characters (IsControl), and line
// and paragraph separators with spaces, one rune for one, so columns under
// the text (a caret under a query error) still line up.
func Line(s string) string {
	return strings.Map(func(r rune) rune {
		if IsControl(r) || r == '\u2028' || r == '\u2029' {
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
