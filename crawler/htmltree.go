package crawler

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Bounds on the trees built from HTML, so memory follows the body cap and
// not the markup's shape: a tree holds at most maxTreeElems elements and
// about maxTreeDepth levels (x/net/html refuses documents nested deeper
// than 512, and Blink caps parsing depth at 512 as well).
// Beyond them only a prefix of the document becomes a tree (for its head:
// title, canonical link, dates) and the text comes from streamText, which
// holds one token at a time. Real article pages have a few thousand
// elements.
const (
	maxTreeElems = 50_000
	maxTreeDepth = 500 // room for the implied html, head and body
	// directParseLen: a document this short is parsed without counting
	// its elements first: it cannot hold more than maxTreeElems of them
	// ("<b>" is 3 bytes), and the parser itself refuses one nested too deep.
	directParseLen = 128 << 10
)

// treePrefix is the length of the longest prefix of body within the tree
// bounds: len(body) when the whole document fits. Tags that are void or
// whose end tag is optional do not count towards the depth.
func treePrefix(body []byte) int {
	if bytes.Count(body, []byte("<")) <= maxTreeDepth {
		return len(body) // a cheap upper bound on elements and depth
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	off, elems, depth := 0, 0, 0
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return len(body)
		}
		switch tt {
		case html.StartTagToken:
			elems++
			if name, _ := z.TagName(); !flatElement(atom.Lookup(name)) {
				depth++
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); !flatElement(atom.Lookup(name)) {
				depth = max(depth-1, 0)
			}
		case html.SelfClosingTagToken:
			elems++
		}
		if elems > maxTreeElems || depth > maxTreeDepth {
			return off
		}
		off += len(z.Raw())
	}
}

// flatElement: void elements and those whose end tag is optional, which
// real pages leave open by the thousand without nesting anything.
func flatElement(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Br, atom.Col, atom.Embed, atom.Hr, atom.Img,
		atom.Input, atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr,
		atom.P, atom.Li, atom.Dt, atom.Dd, atom.Option, atom.Optgroup, atom.Tr, atom.Td,
		atom.Th, atom.Tbody, atom.Thead, atom.Tfoot, atom.Rb, atom.Rt, atom.Rp, atom.Colgroup, atom.Caption:
		return true
	}
	return false
}

// parseBounded parses a page (UTF-8 HTML) into a tree within the bounds;
// complete is false when only a prefix fitted. treePrefix's depth is an
// estimate; should the parser still find the prefix too deep, shorter ones
// are tried, and at worst the tree is empty: the text is streamed anyway.
func parseBounded(body []byte) (doc *html.Node, complete bool, err error) {
	if len(body) <= directParseLen {
		if doc, err = html.Parse(bytes.NewReader(body)); err == nil {
			return doc, true, nil
		}
	}
	n := treePrefix(body)
	for range 4 {
		if doc, err = html.Parse(bytes.NewReader(body[:n])); err == nil {
			return doc, n == len(body), nil
		}
		n /= 2
	}
	doc, err = html.Parse(strings.NewReader(""))
	return doc, false, err
}

// fragmentText writes the text of an HTML fragment: through a tree when
// the fragment fits the bounds (the HTML5 tree-building rules decide where
// an element ends, implied end tags included), else streamed.
func fragmentText(s string, w *textWriter) {
	if len(s) > directParseLen && treePrefix([]byte(s)) < len(s) {
		streamText([]byte(s), w)
		return
	}
	// In a <body> context, as a browser parses a feed item's HTML placed
	// in a page.
	nodes, err := html.ParseFragment(strings.NewReader(s), newBody())
	if err != nil {
		streamText([]byte(s), w)
		return
	}
	w.tail = sourceTail(s)
	body := newBody()
	for _, n := range nodes {
		body.AppendChild(n)
	}
	nodeText(body, w)
}

func newBody() *html.Node {
	return &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
}

// nodeText writes the text of the tree under n, in document order, until w
// is full. It walks with the tree's own links instead of recursing, so a
// deep tree costs no stack.
func nodeText(root *html.Node, w *textWriter) {
	n := root
	for n != nil && !w.full() {
		descend := false
		switch n.Type {
		case html.TextNode:
			w.text(n.Data)
		case html.ElementNode:
			switch {
			case n == root: // asked for, so shown: a <title>'s text
				w.element(n.DataAtom)
				descend = true
			case swallowed(n, w.tail):
				streamText([]byte(n.FirstChild.Data), w)
			case skippedElements[n.DataAtom]:
			default:
				w.element(n.DataAtom)
				descend = true
			}
		case html.DocumentNode:
			descend = true
		}
		if descend && n.FirstChild != nil {
			n = n.FirstChild
			continue
		}
		n = nextAfter(n, root, w)
	}
}

// nextAfter is the node after n's subtree in document order, nil past
// root's. Leaving an element ends its block.
func nextAfter(n, root *html.Node, w *textWriter) *html.Node {
	for n != root {
		if n.Type == html.ElementNode {
			w.element(n.DataAtom)
		}
		if n.NextSibling != nil {
			return n.NextSibling
		}
		n = n.Parent
	}
	if n.Type == html.ElementNode {
		w.element(n.DataAtom)
	}
	return nil
}

// swallowed reports a raw-text element left open at the end of the
// input: nothing follows it, and its text runs to the document's end
// (tail, from sourceTail), so no end tag came. The tokenizer read the rest
// of the input as its text.
func swallowed(n *html.Node, tail string) bool {
	c := n.FirstChild
	if !rawTextElements[n.DataAtom] || c == nil || c.Type != html.TextNode || c.NextSibling != nil {
		return false
	}
	text := strings.TrimRightFunc(c.Data, isSpace)
	text = text[max(0, len(text)-tailLen):]
	if text == "" || !strings.HasSuffix(tail, text) {
		return false
	}
	for p := n; p != nil; p = p.Parent {
		if p.NextSibling != nil {
			return false
		}
	}
	return true
}

// tailLen is how much of a document's end sourceTail keeps.
const tailLen = 256

// sourceTail is the end of a document, as the tokenizer would give it as
// text (line breaks normalised), without trailing space: what the text of
// an element left open at the end of the input ends with.
func sourceTail[T string | []byte](src T) string {
	t := string(src[max(0, len(src)-2*tailLen):])
	t = strings.TrimRightFunc(strings.ReplaceAll(t, "\r", ""), isSpace)
	return t[max(0, len(t)-tailLen):]
}

// streamText writes the text of an HTML document or fragment token by
// token, holding one token at a time: the bounded path for inputs too big
// or too deep for a tree. Skipped raw-text elements (script, style...) are
// skipped by the tokenizer itself; an unclosed one is read again as HTML.
// <template> and <svg> are skipped to their end tag; everything
// else is shown.
func streamText(data []byte, w *textWriter) {
	for data != nil && !w.full() {
		data = streamPass(data, w)
	}
}

// streamPass tokenises data once; it returns the text of an unclosed
// rescued element to read again, or nil when done.
func streamPass(data []byte, w *textWriter) []byte {
	z := html.NewTokenizer(bytes.NewReader(data))
	skip := 0         // depth inside template/svg
	var raw atom.Atom // the raw-text element whose text comes next
	var rawText []byte
	for !w.full() {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if raw != 0 && len(rawText) > 0 {
				return rawText // its end tag never came
			}
			return nil
		case html.TextToken:
			switch {
			case raw != 0 && rawTextElements[raw]:
				rawText = append(rawText[:0], z.Text()...)
			case raw == 0 && skip == 0:
				w.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			raw, rawText = 0, rawText[:0]
			switch {
			case a == atom.Template || a == atom.Svg:
				skip = max(skip+tagDelta(tt), 0)
			case skippedElements[a]:
				if tt == html.StartTagToken && (rawTextElements[a] || a == atom.Title) {
					raw = a // the tokenizer reads its raw text next
				}
			case skip == 0:
				w.element(a)
			}
		}
	}
	return nil
}

func tagDelta(tt html.TokenType) int {
	switch tt {
	case html.StartTagToken:
		return 1
	case html.EndTagToken:
		return -1
	}
	return 0
}
