package crawler

import (
	"bytes"
	"mime"
	"regexp"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/atom"
)

// docKind is what a loaded document turned out to be.
type docKind int

const (
	kindText docKind = iota
	kindFeed
	kindHTML
)

// sniffLen is how much of a document detection looks at (as gofeed does).
const sniffLen = 4096

// detectKind tells a feed from an HTML page from plain text, by content
// first and by Content-Type only for HTML.
func detectKind(body []byte, contentType string) docKind {
	if gofeed.DetectFeedType(bytes.NewReader(body[:min(len(body), sniffLen)])) != gofeed.FeedTypeUnknown {
		return kindFeed
	}
	if looksLikeHTML(body, contentType) || looksLikeXML(body) {
		return kindHTML
	}
	return kindText
}

// looksLikeHTML reports an HTML document: by Content-Type, or by a doctype,
// <html>, <head> or <body> near the start (known elements, not just "<").
func looksLikeHTML(body []byte, contentType string) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	head := bytes.ToLower(body[:min(len(body), sniffLen)])
	for _, marker := range [][]byte{[]byte("<!doctype html"), []byte("<html"), []byte("<head"), []byte("<body")} {
		if bytes.Contains(head, marker) {
			return true
		}
	}
	return false
}

// looksLikeXML reports a document that starts with actual markup: an XML
// declaration, a doctype or comment, a known HTML element, or a
// well-formed root element (a name, attributes, ">" and its matching end
// tag at the end). A plain-text note whose first line merely starts with
// "<" ("<!channel> Kremlin says…", "<3 Kyiv") is text.
func looksLikeXML(body []byte) bool {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	if bytes.HasPrefix(body, []byte("<?xml")) || bytes.HasPrefix(body, []byte("<!--")) ||
		bytes.HasPrefix(bytes.ToLower(body[:min(len(body), 9)]), []byte("<!doctype")) {
		return true
	}
	m := xmlRoot.FindSubmatch(body[:min(len(body), sniffLen)])
	if m == nil {
		return false
	}
	return atom.Lookup(bytes.ToLower(m[1])) != 0 || bytes.HasSuffix(body, []byte("</"+string(m[1])+">"))
}

// xmlRoot matches a start tag at the start of a document and captures its
// name.
var xmlRoot = regexp.MustCompile(`^<([A-Za-z_][-A-Za-z0-9_.:]*)(?:\s+[^<>]*)?>`)

var utf8BOM = []byte("\xef\xbb\xbf")
