package crawler

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// checkFeedSyntax reads an XML document to its end and reports truncation
// or malformed markup, which gofeed's lenient parser would otherwise turn
// into a silently partial feed. The decoder is as lenient as gofeed's
// (unknown HTML entities pass) and, like it, never expands entities declared
// in a DTD, so an entity bomb stays a few bytes. Non-XML input (JSON Feed)
// passes through for gofeed to judge.
func checkFeedSyntax(body []byte) error {
	if !looksLikeXML(body) {
		return nil
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	elements := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("malformed XML: %w", err)
		}
		if _, ok := tok.(xml.StartElement); ok {
			elements++
		}
	}
	if elements == 0 {
		return errors.New("malformed XML: no root element")
	}
	return nil
}

// looksLikeXML reports whether the first non-space byte opens markup.
func looksLikeXML(body []byte) bool {
	body = bytes.TrimLeft(bytes.TrimPrefix(body, utf8BOM), " \t\r\n")
	return len(body) > 0 && body[0] == '<'
}

var utf8BOM = []byte("\xef\xbb\xbf")
