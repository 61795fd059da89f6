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

// skippedElements have content that is never text a reader sees. <object>
// is not among them: its children are the fallback content browsers show
// when the plugin is missing (always, now that Flash is gone); its <param>
// and <embed> are void and have no text.
var skippedElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Svg: true, atom.Head: true, atom.Title: true,
	atom.Noembed: true, atom.Noframes: true, atom.Embed: true,
}

// rawTextElements are the skipped elements whose content the tokenizer
// reads as raw text up to their end tag. Feeds forget that end tag; the
// rest of the input would then be their text and vanish, so an unclosed one
// is read as HTML instead (see swallowed): an unclosed <iframe> or
// <script> cannot swallow the article.
var rawTextElements = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Iframe: true, atom.Noscript: true,
	atom.Noembed: true, atom.Noframes: true,
}

// htmlToText reduces an HTML fragment (a feed's title, summary or content)
// to plain text of at most limit bytes: parsed as a browser parses it (see
// fragmentText), script and style skipped, block elements turned into line
// breaks, runs of spaces collapsed. Text without markup passes through
// with only its entities decoded and its spaces tidied.
func htmlToText(s string, limit int) string {
	w := textWriter{limit: limit}
	switch {
	case !strings.ContainsRune(s, '<'):
		w.text(html.UnescapeString(s))
	default:
		fragmentText(s, &w)
	}
	return capText(w.String(), limit)
}

// textWriter accumulates text, collapsing spaces and limiting blank lines.
// Once it holds limit bytes (limit > 0) it is full and takes no more.
type textWriter struct {
	b     strings.Builder
	limit int
	// tail is the end of the source document (sourceTail), to tell an
	// element left open at the end (swallowed).
	tail    string
	space   bool // a space is pending before the next word
	newline int  // line breaks pending before the next word (at most 2)
}

func (w *textWriter) full() bool { return w.limit > 0 && w.b.Len() >= w.limit }

// element handles a start or end tag of a shown element.
func (w *textWriter) element(a atom.Atom) {
	if blockElements[a] {
		w.breakLine(a == atom.P)
	} else {
		w.space = w.space || a == atom.Img
	}
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
	for s != "" && !w.full() {
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

// isSpace: white space and the no-break space. Zero-width characters are
// not spaces: a zero-width space inside a word must not split it (the
// matcher drops it as Default_Ignorable).
func isSpace(r rune) bool { return unicode.IsSpace(r) || r == '\u00a0' }

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
