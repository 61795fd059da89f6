package crawler

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// blockElements start a new line in the text they are reduced to.
var blockElements = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Br: true, atom.Dd: true, atom.Div: true, atom.Dl: true, atom.Dt: true,
	atom.Figcaption: true, atom.Figure: true, atom.Footer: true, atom.Form: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true,
	atom.H6: true, atom.Header: true, atom.Hr: true, atom.Li: true, atom.Main: true,
	atom.Nav: true, atom.Ol: true, atom.P: true, atom.Pre: true, atom.Section: true,
	atom.Table: true, atom.Td: true, atom.Th: true, atom.Tr: true, atom.Ul: true,
}

// skippedElements have content that is never text a reader sees.
var skippedElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Object: true, atom.Svg: true, atom.Head: true,
}

// htmlToText reduces an HTML fragment to plain text: tags dropped, entities
// decoded, script and style skipped, block elements turned into line breaks,
// runs of spaces collapsed. Text without markup passes through with only its
// entities decoded and its spaces tidied.
func htmlToText(s string) string {
	if !strings.ContainsAny(s, "<&\r\x00") {
		// Plain text (most feed titles and many summaries): what the
		// tokenizer would return as one text token. A tokenizer costs a
		// 4 KB buffer, which for a 100,000-item feed was 1.3 GB of garbage.
		var w textWriter
		w.text(s)
		return w.String()
	}
	return markupToText(s)
}

// markupToText is htmlToText through the HTML tokenizer.
func markupToText(s string) string {
	var w textWriter
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return w.String()
		case html.TextToken:
			if skip == 0 {
				w.text(string(z.Text()))
			}
		case html.StartTagToken:
			skip += w.tag(z, true)
		case html.SelfClosingTagToken:
			w.tag(z, true)
		case html.EndTagToken:
			skip = max(skip+w.tag(z, false), 0)
		}
	}
}

// textWriter accumulates text, collapsing spaces and limiting blank lines.
type textWriter struct {
	b       strings.Builder
	space   bool // a space is pending before the next word
	newline int  // line breaks pending before the next word (at most 2)
}

// tag handles a start or end tag and returns the change in skip depth.
func (w *textWriter) tag(z *html.Tokenizer, start bool) int {
	name, _ := z.TagName()
	a := atom.Lookup(name)
	if skippedElements[a] {
		if start {
			return 1
		}
		return -1
	}
	if blockElements[a] {
		w.breakLine(a == atom.P)
	} else {
		w.space = w.space || a == atom.Img
	}
	return 0
}

func (w *textWriter) breakLine(paragraph bool) {
	if w.b.Len() == 0 {
		return
	}
	n := 1
	if paragraph {
		n = 2
	}
	w.newline = max(w.newline, n)
}

func (w *textWriter) text(s string) {
	for s != "" {
		i := strings.IndexFunc(s, isWordRune)
		if i != 0 {
			w.space = true
		}
		if i < 0 {
			return
		}
		s = s[i:]
		j := strings.IndexFunc(s, isSpace)
		if j < 0 {
			j = len(s)
		}
		w.word(s[:j])
		s = s[j:]
	}
}

func (w *textWriter) word(s string) {
	if w.b.Len() > 0 {
		switch {
		case w.newline > 0:
			w.b.WriteString("\n\n"[:w.newline])
		case w.space:
			w.b.WriteByte(' ')
		}
	}
	w.newline, w.space = 0, false
	w.b.WriteString(s)
}

func (w *textWriter) String() string { return w.b.String() }

func isSpace(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' || r == '\u200b' }

func isWordRune(r rune) bool { return !isSpace(r) }

// oneLine joins the words of s with single spaces (titles).
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, isSpace), " ")
}

// capText cuts s to at most n bytes at a rune boundary; n <= 0 means no cap.
func capText(s string, n int) string {
	if n <= 0 || len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRightFunc(s[:n], isSpace)
}
