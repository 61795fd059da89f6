package notifier

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newswatch/newswatch/model"
)

// snippetRunes is the length of the text excerpt shown with an alert.
const snippetRunes = 300

// segment is a piece of the snippet; bold pieces are matched words.
type segment struct {
	text string
	bold bool
}

// snippet cuts about width runes of the alert's summary or body around the
// first match, at word boundaries, marking the matched words. Cut ends get
// an ellipsis segment.
func snippet(a model.Alert, width int) []segment {
	field, at := snippetField(a)
	text := a.Article.Text(field)
	if strings.TrimSpace(text) == "" {
		return nil
	}
	spans := validSpans(a.Spans, field, text)
	start, end := window(text, at, width)
	segs := highlight(text, start, end, spans)
	if start > 0 {
		segs = append([]segment{{text: "… "}}, segs...)
	}
	if end < len(text) {
		segs = append(segs, segment{text: " …"})
	}
	return segs
}

// snippetField picks the field and byte offset of the first match outside
// the title (the title is shown anyway), else the summary or body from its
// start.
func snippetField(a model.Alert) (model.Field, int) {
	best, found := model.Span{}, false
	for _, s := range a.Spans {
		if s.Field == model.FieldTitle || len(validSpans([]model.Span{s}, s.Field, a.Article.Text(s.Field))) == 0 {
			continue
		}
		if !found || s.Field < best.Field || (s.Field == best.Field && s.Start < best.Start) {
			best, found = s, true
		}
	}
	if found {
		return best.Field, best.Start
	}
	if strings.TrimSpace(a.Article.Summary) != "" {
		return model.FieldSummary, 0
	}
	return model.FieldBody, 0
}

// validSpans returns the spans of field that lie on rune boundaries inside
// text, sorted and merged.
func validSpans(all []model.Span, field model.Field, text string) []model.Span {
	var out []model.Span
	for _, s := range all {
		if s.Field != field || s.Start < 0 || s.End > len(text) || s.Start >= s.End ||
			!utf8.RuneStart(text[s.Start]) || (s.End < len(text) && !utf8.RuneStart(text[s.End])) {
			continue
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && s.Start <= merged[n-1].End {
			merged[n-1].End = max(merged[n-1].End, s.End)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// window returns byte offsets [start, end) of about width runes of text
// starting a third of the width before at, snapped to word boundaries.
func window(text string, at, width int) (int, int) {
	start := backRunes(text, at, width/3)
	end := fwdRunes(text, start, width)
	if end == len(text) {
		start = min(at, backRunes(text, len(text), width))
	}
	if start > 0 && !isSpaceBefore(text, start) {
		if i := strings.IndexFunc(text[start:at], unicode.IsSpace); i >= 0 {
			start += i + 1
		}
	}
	if r, _ := utf8.DecodeRuneInString(text[end:]); end < len(text) && !unicode.IsSpace(r) {
		lo := fwdRunes(text, at, 1)
		if i := strings.LastIndexFunc(text[lo:end], unicode.IsSpace); i >= 0 {
			end = lo + i
		}
	}
	return start, end
}

func isSpaceBefore(text string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return unicode.IsSpace(r)
}

func backRunes(s string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return i
}

func fwdRunes(s string, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// highlight splits text[start:end] into plain and bold segments.
func highlight(text string, start, end int, spans []model.Span) []segment {
	var segs []segment
	pos := start
	for _, s := range spans {
		s.Start, s.End = max(s.Start, pos), min(s.End, end)
		if s.Start >= s.End {
			continue
		}
		if s.Start > pos {
			segs = append(segs, segment{text: text[pos:s.Start]})
		}
		segs = append(segs, segment{text: text[s.Start:s.End], bold: true})
		pos = s.End
	}
	if pos < end {
		segs = append(segs, segment{text: text[pos:end]})
	}
	return segs
}

// renderSnippet joins segments, cleaning and escaping each with esc and
// wrapping matched words with mark.
func renderSnippet(segs []segment, esc func(string) string, mark func(string) string) string {
	var b strings.Builder
	for _, s := range segs {
		t := collapseSpace(s.text)
		core := strings.TrimSpace(t)
		if !s.bold || core == "" {
			b.WriteString(esc(t))
			continue
		}
		if strings.HasPrefix(t, " ") {
			b.WriteByte(' ')
		}
		b.WriteString(mark(esc(core)))
		if strings.HasSuffix(t, " ") {
			b.WriteByte(' ')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// truncate shortens s to at most limit runes, cutting at a word boundary when
// one is reasonably near and ending with "…".
func truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	if limit <= 1 {
		return "…"
	}
	t := s[:fwdRunes(s, 0, limit-1)]
	if i := strings.LastIndexFunc(t, unicode.IsSpace); i > len(t)/2 {
		t = t[:i]
	}
	return strings.TrimRightFunc(t, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—", r)
	}) + "…"
}

// fit returns esc(s), cut when needed so that it is at most limit long as
// Slack counts (slackLen): then it is the longest prefix of s whose escaped
// form, followed by "…", fits. Escaping lengthens text unevenly ("&" is
// sent as five characters), so the cut is searched on the escaped length
// rather than estimated from the unescaped one.
func fit(s string, limit int, esc func(string) string) string {
	if e := esc(s); slackLen(e) <= limit {
		return e
	}
	ellipsis := esc("…")
	room := limit - slackLen(ellipsis)
	if room < 0 {
		return ""
	}
	// Escaping never shortens text, so no prefix longer than room runes fits.
	s = s[:fwdRunes(s, 0, room)]
	ends := make([]int, 0, len(s)+1) // byte offsets of the prefixes, shortest first
	for i := range s {
		ends = append(ends, i)
	}
	ends = append(ends, len(s))
	fits := func(i int) bool { return slackLen(esc(s[:ends[i]])) <= room }
	// Escaped length grows with the prefix, so the prefixes that fit are a
	// leading run: find its end.
	n := sort.Search(len(ends), func(i int) bool { return !fits(i) }) - 1
	for n > 0 && !fits(n) {
		n-- // defensive: should esc ever break monotonicity
	}
	prefix := strings.TrimRightFunc(s[:ends[max(n, 0)]], unicode.IsSpace)
	return esc(prefix) + ellipsis
}
