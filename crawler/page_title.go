package crawler

import (
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxTitleHeadings bounds the <h1>s considered for the title.
const maxTitleHeadings = 32

// titles are a page's title candidates, read before readability changes
// the tree.
type titles struct {
	selected string    // the source's Title selector
	meta     string    // og:title, else twitter:title
	title    string    // <title>
	h1       []heading // in document order
}

type heading struct {
	text   string
	inMain bool // inside <article>, <main> or role="main"
}

// titleCandidates reads the candidates. og:title and twitter:title are
// found in a property or name attribute that lists several
// (property="og:title twitter:title").
func (c *Crawler) titleCandidates(p *page, sel string) *titles {
	t, doc := &titles{}, p.doc
	if sel != "" {
		t.selected = oneLine(c.selectionText(doc.Find(sel).First(), p.tail))
	}
	for _, key := range []string{"og:title", "twitter:title"} {
		q := `meta[property~="` + key + `"], meta[name~="` + key + `"]`
		doc.Find(q).EachWithBreak(func(_ int, s *goquery.Selection) bool {
			t.meta = oneLine(htmlToText(s.AttrOr("content", ""), c.maxText))
			return t.meta == ""
		})
		if t.meta != "" {
			break
		}
	}
	// The document's <title>, not an icon's <svg><title>.
	docTitle := doc.Find("title").FilterFunction(func(_ int, s *goquery.Selection) bool {
		return s.Closest("svg").Length() == 0
	}).First()
	t.title = oneLine(c.selectionText(docTitle, ""))
	doc.Find("h1").EachWithBreak(func(i int, s *goquery.Selection) bool {
		if text := oneLine(c.selectionText(s, p.tail)); text != "" {
			inMain := s.Closest(`article, main, [role="main"]`).Length() > 0
			t.h1 = append(t.h1, heading{text: text, inMain: inMain})
		}
		return i < maxTitleHeadings
	})
	return t
}

// pick chooses the title, as readability would and then some: the
// selector's; og:title or twitter:title; an <h1> that agrees with
// <title> (the title is often "Headline | Site"), or one inside the main
// content (an <article> or <main>, or what readability found); the only
// <h1>; <title>; the first <h1>. A logo or section name in an earlier
// <h1> ("V8", "Health Center") loses to the article's own.
func (t *titles) pick(main *readability.Article) string {
	if t.selected != "" {
		return t.selected
	}
	if t.meta != "" {
		return t.meta
	}
	for _, h := range t.h1 {
		if agrees(h.text, t.title) {
			return h.text
		}
	}
	inMain := mainHeadings(main)
	for _, h := range t.h1 {
		if h.inMain || inMain[strings.ToLower(h.text)] {
			return h.text
		}
	}
	if len(t.h1) == 1 {
		return t.h1[0].text // a page's only <h1> is its headline
	}
	if t.title != "" {
		return t.title
	}
	if len(t.h1) > 0 {
		return t.h1[0].text
	}
	return ""
}

// titleSeparators split a <title> into headline and site name.
var titleSeparators = []string{" | ", " - ", " – ", " — ", " :: ", " » ", " · ", " / "}

// agrees reports whether an <h1> is the headline <title> carries: the
// whole title, or most of its longest separated part (the site name is
// the shorter part, so a logo <h1> naming the site does not agree).
func agrees(h1, title string) bool {
	h, t := strings.ToLower(h1), strings.ToLower(title)
	if h == "" || t == "" {
		return false
	}
	if h == t {
		return true
	}
	parts := []string{t}
	for _, sep := range titleSeparators {
		var next []string
		for _, p := range parts {
			next = append(next, strings.Split(p, sep)...)
		}
		parts = next
	}
	longest := ""
	for _, p := range parts {
		if p = strings.TrimSpace(p); len(p) > len(longest) {
			longest = p
		}
	}
	short, long := h, longest
	if len(short) > len(long) {
		short, long = long, short
	}
	return strings.Contains(long, short) && len(short)*10 >= len(long)*6
}

// mainHeadings are the lower-cased texts of the headings inside
// readability's main content (it turns an <h1> there into an <h2>).
func mainHeadings(main *readability.Article) map[string]bool {
	out := map[string]bool{}
	if main == nil || main.Node == nil {
		return out
	}
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		if depth > maxTreeDepth*2 {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && (c.DataAtom == atom.H1 || c.DataAtom == atom.H2) {
				w := textWriter{limit: 4 << 10}
				nodeText(c, &w)
				out[strings.ToLower(oneLine(w.String()))] = true
				continue
			}
			walk(c, depth+1)
		}
	}
	walk(main.Node, 0)
	return out
}
