package crawler

import (
	"bytes"
	"mime"

	"github.com/mmcdole/gofeed"
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
// <html>, <head> or <body> near the start.
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

// looksLikeXML reports whether the first non-space byte opens markup.
func looksLikeXML(body []byte) bool {
	body = bytes.TrimLeft(bytes.TrimPrefix(body, utf8BOM), " \t\r\n")
	return len(body) > 0 && body[0] == '<'
}

var utf8BOM = []byte("\xef\xbb\xbf")
