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
	// charset. The XML declaration has to be checked next, since HTML rules
	// do not know it, then a <meta> declaration.
	if e, name, certain := charset.DetermineEncoding(body, contentType); certain && e != nil {
		return e, name
	}
	if m := xmlProlog.FindSubmatch(head(body)); m != nil {
		// A declaration we could read as ASCII cannot be in UTF-16, whatever
		// it says.
		if pe, pname := charset.Lookup(string(m[1])); pe != nil && !strings.HasPrefix(pname, "utf-16") {
			return pe, pname
		}
	}
	if e, name := metaCharset(head(body)); e != nil {
		return e, name
	}
	if utf8.Valid(body) {
		return encoding.Nop, "utf-8"
	}
	return charmap.Windows1252, "windows-1252"
}

// metaCharset is the encoding an HTML <meta> in h declares, nil if none.
// DetermineEncoding reports a <meta> and its own guess alike (both not
// certain); its guess on ASCII is always windows-1252, so it runs on a
// copy of h with every non-ASCII byte blanked (labels are ASCII), and
// windows-1252 counts as no declaration: the UTF-8 check and the
// windows-1252 fallback decide then, as they would.
func metaCharset(h []byte) (encoding.Encoding, string) {
	probe := make([]byte, len(h))
	for i, b := range h {
		if b >= utf8.RuneSelf {
			b = ' '
		}
		probe[i] = b
	}
	e, name, _ := charset.DetermineEncoding(probe, "")
	if name == "windows-1252" {
		return nil, ""
	}
	return e, name
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
