package fetch

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// xmlProlog matches an XML declaration at the start of a document and
// captures its encoding pseudo-attribute's value.
var xmlProlog = regexp.MustCompile(`^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["'][^>]*\?>`)

// ToUTF8 returns body as UTF-8. The charset is taken from, in order: a
// byte-order mark; contentType's charset parameter; an XML declaration's
// encoding; an HTML <meta charset> or http-equiv in the first 1024 bytes;
// else the body is UTF-8 if it is valid UTF-8 and windows-1252 (the
// superset of ISO-8859-1 that browsers use for it) if not. Labels follow
// the WHATWG Encoding Standard; an unknown label is ignored. A UTF-8 BOM is
// stripped. If the result starts with an XML declaration naming another
// encoding, the declaration is rewritten to say UTF-8, so an XML parser
// does not decode the text a second time. Invalid UTF-8 in a document that
// claims UTF-8 becomes U+FFFD. The result may share memory with body.
func ToUTF8(body []byte, contentType string) ([]byte, error) {
	enc, name := detect(body, contentType)
	var out []byte
	switch {
	case name == "utf-8" && utf8.Valid(body):
		out = trimBOMs(body) // the common case: no copy
	case name == "utf-8":
		out = bytes.ToValidUTF8(trimBOMs(body), []byte("\uFFFD"))
	default:
		decoded, err := enc.NewDecoder().Bytes(body)
		if err != nil {
			return nil, fmt.Errorf("fetch: decode %s: %w", name, err)
		}
		out = trimBOMs(decoded) // the UTF-16 decoders keep it as U+FEFF
	}
	return fixXMLProlog(out), nil
}

// detect picks the body's encoding and its canonical name.
func detect(body []byte, contentType string) (encoding.Encoding, string) {
	if bytes.HasPrefix(body, utf8BOM) {
		return encoding.Nop, "utf-8"
	}
	// DetermineEncoding is certain of the UTF-16 BOMs and the Content-Type
	// charset; else it reports the HTML <meta> prescan's finding or its own
	// guess. The XML declaration has to be checked between the two, since
	// HTML rules do not know it.
	e, name, certain := charset.DetermineEncoding(body, contentType)
	if certain && e != nil {
		return e, name
	}
	if m := xmlProlog.FindSubmatch(head(body)); m != nil {
		// A declaration we could read as ASCII cannot be in UTF-16, whatever
		// it says.
		if pe, pname := charset.Lookup(string(m[1])); pe != nil && !strings.HasPrefix(pname, "utf-16") {
			return pe, pname
		}
	}
	if e != nil && name != guess(head(body)) {
		return e, name // the <meta> declaration
	}
	if utf8.Valid(body) {
		return encoding.Nop, "utf-8"
	}
	return charmap.Windows1252, "windows-1252"
}

// guess is what DetermineEncoding answers when nothing is declared in the
// first 1024 bytes, so a differing answer must come from a <meta> tag.
func guess(h []byte) string {
	for i := len(h) - 1; i >= 0 && i > len(h)-4; i-- {
		if h[i] < 0x80 {
			break
		}
		if utf8.RuneStart(h[i]) {
			h = h[:i]
			break
		}
	}
	if bytes.IndexFunc(h, func(r rune) bool { return r >= 0x80 }) >= 0 && utf8.Valid(h) {
		return "utf-8"
	}
	return "windows-1252"
}

// trimBOMs strips every leading UTF-8 BOM: a doubled one (seen from
// broken generators) would otherwise keep an XML declaration from being
// first in the document.
func trimBOMs(b []byte) []byte {
	for bytes.HasPrefix(b, utf8BOM) {
		b = b[len(utf8BOM):]
	}
	return b
}

func head(b []byte) []byte {
	return b[:min(len(b), 1024)]
}

// fixXMLProlog rewrites a non-UTF-8 encoding in a leading XML declaration.
func fixXMLProlog(doc []byte) []byte {
	m := xmlProlog.FindSubmatchIndex(head(doc))
	if m == nil || strings.EqualFold(string(doc[m[2]:m[3]]), "utf-8") {
		return doc
	}
	out := make([]byte, 0, len(doc))
	out = append(out, doc[:m[2]]...)
	out = append(out, "UTF-8"...)
	return append(out, doc[m[3]:]...)
}
