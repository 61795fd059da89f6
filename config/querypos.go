package config

import (
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// scalarPos maps a 1-based rune column within a scalar's value to a line and
// column in the file. On one line it is exact for plain, single- and
// double-quoted scalars (counting doubled quotes and backslash escapes);
// across lines each line break counts as the one space or newline it folds
// to, which is exact for literal blocks and simple folded text, and best
// effort otherwise.
func scalarPos(lines []string, n *yaml.Node, col int) (int, int) {
	// "At the end of the query" means just after its last visible character,
	// not after a block scalar's trailing newline.
	if end := len([]rune(strings.TrimRightFunc(n.Value, unicode.IsSpace))) + 1; col > end {
		col = end
	}
	w := walker{lines: lines, line: n.Line, col: n.Column, style: n.Style}
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		w.line++
		w.indent = blockIndent(lines, n.Line)
		w.col = w.indent + 1
	case n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0:
		w.col++ // past the opening quote
	}
	if line, c, ok := w.advance(col - 1); ok {
		return line, c
	}
	return n.Line, n.Column
}

// walker steps through a scalar's source text one value rune at a time.
type walker struct {
	lines     []string
	line, col int // current position, 1-based
	indent    int // block scalars: content starts at this column - 1
	style     yaml.Style
}

// advance skips n runes of the value and returns the position reached.
func (w *walker) advance(n int) (int, int, bool) {
	for w.line <= len(w.lines) {
		src := []rune(w.lines[w.line-1])
		i := w.col - 1
		for ; n > 0 && i < len(src); n-- {
			i += w.width(src, i)
		}
		if n == 0 {
			return w.line, i + 1, true
		}
		n-- // the line break folds to one rune of the value
		w.line++
		w.col = w.lineStart()
	}
	return 0, 0, false
}

// width is how many source runes make the value rune at src[i].
func (w *walker) width(src []rune, i int) int {
	switch {
	case w.style&yaml.SingleQuotedStyle != 0 && src[i] == '\'' && i+1 < len(src) && src[i+1] == '\'':
		return 2
	case w.style&yaml.DoubleQuotedStyle != 0 && src[i] == '\\' && i+1 < len(src):
		switch src[i+1] {
		case 'x':
			return 4
		case 'u':
			return 6
		case 'U':
			return 10
		}
		return 2
	}
	return 1
}

// lineStart is the column where a continuation line's content begins.
func (w *walker) lineStart() int {
	if w.style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return w.indent + 1
	}
	if w.line > len(w.lines) {
		return 1
	}
	return len([]rune(w.lines[w.line-1])) - len([]rune(strings.TrimLeft(w.lines[w.line-1], " \t"))) + 1
}

// blockIndent is the indentation of a block scalar's first non-empty line.
func blockIndent(lines []string, header int) int {
	for _, l := range lines[min(header, len(lines)):] {
		if strings.TrimSpace(l) != "" {
			return len(l) - len(strings.TrimLeft(l, " "))
		}
	}
	return 0
}
