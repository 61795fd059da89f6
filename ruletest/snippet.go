package ruletest

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/termtext"
)

const (
	contextBytes = 40  // text shown on each side of a matched word
	maxSnippets  = 3   // per field, so a long article stays readable
	maxGroup     = 200 // bytes from a snippet's first match to its last
)

// snippets renders the matched words of each field in context, marked with
// « », merging spans that are close together into one snippet.
func snippets(a *model.Article, spans []model.Span) []string {
	var out []string
	for _, f := range []model.Field{model.FieldTitle, model.FieldSummary, model.FieldBody} {
		var fs []model.Span
		for _, s := range spans {
			if s.Field == f {
				fs = append(fs, s)
			}
		}
		for i, group := range groupSpans(fs) {
			if i == maxSnippets {
				break
			}
			out = append(out, f.String()+": "+render(a.Text(f), group))
		}
	}
	return out
}

// groupSpans splits sorted spans into runs whose gaps are small enough to
// show in one snippet, and which are short enough to read: without the cap
// an article dense with matches would print as one snippet of its whole
// text. Overlapping spans (a word inside a matched phrase) are merged, so
// marks never nest.
func groupSpans(spans []model.Span) [][]model.Span {
	var groups [][]model.Span
	for _, s := range spans {
		if n := len(groups); n > 0 {
			g := groups[n-1]
			last := &g[len(g)-1]
			if s.Start <= last.End {
				last.End = max(last.End, s.End)
				continue
			}
			if s.Start-last.End <= 2*contextBytes && s.End-g[0].Start <= maxGroup {
				groups[n-1] = append(groups[n-1], s)
				continue
			}
		}
		groups = append(groups, []model.Span{s})
	}
	return groups
}

// render shows text around the spans of one group with the spans marked.
func render(text string, group []model.Span) string {
	from := cutBefore(text, group[0].Start-contextBytes)
	to := cutAfter(text, group[len(group)-1].End+contextBytes)
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	pos := from
	for _, s := range group {
		b.WriteString(text[pos:s.Start] + "«" + text[s.Start:s.End] + "»")
		pos = s.End
	}
	b.WriteString(text[pos:to])
	if to < len(text) {
		b.WriteString("…")
	}
	return strings.TrimSpace(termtext.Line(b.String()))
}

// cutBefore moves i back to a word boundary at or before it, on a rune
// boundary, so a snippet does not start mid-word or mid-character.
func cutBefore(text string, i int) int {
	if i <= 0 {
		return 0
	}
	for i > 0 && !utf8.RuneStart(text[i]) {
		i--
	}
	for j := i; j > i-20; {
		if j <= 0 {
			return 0
		}
		r, size := utf8.DecodeLastRuneInString(text[:j])
		if unicode.IsSpace(r) {
			return j
		}
		j -= size
	}
	return i
}

// cutAfter moves i forward to a word boundary at or after it.
func cutAfter(text string, i int) int {
	if i >= len(text) {
		return len(text)
	}
	for i < len(text) && !utf8.RuneStart(text[i]) {
		i++
	}
	for j := i; j < i+20; {
		if j >= len(text) {
			return len(text)
		}
		r, size := utf8.DecodeRuneInString(text[j:])
		if unicode.IsSpace(r) {
			return j
		}
		j += size
	}
	return i
}
