package fetch

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// xmlProlog matches an XML declaration at the start of a document and
// captures its encoding pseudo-attribute's value.
var xmlProlog = regexp.MustCompile(`^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["'][^>]*\?>`)

// Where a charset decision came from (Charset.From).
const (
	FromBOM         = "bom"          // a byte-order mark
	FromXMLSniff    = "xml-sniff"    // XML appendix F: "<" in UTF-16/32 without a BOM
	FromContentType = "content-type" // the HTTP Content-Type charset
	FromXMLProlog   = "xml-prolog"   // <?xml ... encoding="..."?>
	FromMeta        = "meta"         // <meta charset> or http-equiv in the head
	FromUTF8Bytes   = "utf-8-bytes"  // the bytes are valid UTF-8 (over any legacy declaration)
	FromDetector    = "detector"     // statistical detection of undeclared text
	FromDefault     = "default"      // nothing else decided: windows-1252
)

// Charset is the decision on a body's encoding, for decoding and for the
// debug log.
type Charset struct {
	// Name is the WHATWG name of the encoding used ("utf-8", "windows-1251").
	Name string
	// From says which rule decided (the From* constants).
	From string
	// Confidence is the detector's, from 0 to 1; 0 for other rules.
	Confidence float64
	// Overrode is the legacy declaration that valid UTF-8 bytes overrode,
	// as "windows-1251 from xml-prolog"; empty otherwise.
	Overrode string

	enc encoding.Encoding
}

// String reads as "windows-1251 from detector, confidence 0.93".
func (c Charset) String() string {
	s := c.Name + " from " + c.From
	if c.From == FromDetector {
		s += ", confidence " + strconv.FormatFloat(c.Confidence, 'f', 2, 64)
	}
	if c.Overrode != "" {
		s += ", over " + c.Overrode
	}
	return s
}

// ToUTF8 is Decode without the decision.
func ToUTF8(body []byte, contentType string) ([]byte, error) {
	out, _, err := Decode(body, contentType)
	return out, err
}

// Decode returns body as UTF-8, decoded from the charset DecideCharset
// picks, and that decision. A UTF-8 BOM is stripped. If the result starts
// with an XML declaration naming another encoding, the declaration is
// rewritten to say UTF-8, so an XML parser does not decode the text a
// second time. Invalid input becomes U+FFFD. The result may share memory
// with body.
func Decode(body []byte, contentType string) ([]byte, Charset, error) {
	cs := DecideCharset(body, contentType)
	var out []byte
	switch {
	case cs.Name == "utf-8" && utf8.Valid(body):
		out = trimBOMs(body) // the common case: no copy
	case cs.Name == "utf-8":
		out = bytes.ToValidUTF8(trimBOMs(body), []byte("\uFFFD"))
	default:
		decoded, err := cs.enc.NewDecoder().Bytes(body)
		if err != nil {
			return nil, cs, fmt.Errorf("fetch: decode %s: %w", cs.Name, err)
		}
		// x/text's decoders write U+FFFD for what they cannot decode, so
		// the result is valid UTF-8; the UTF-16/32 ones keep a BOM as U+FEFF.
		out = trimBOMs(decoded)
	}
	return fixXMLProlog(out), cs, nil
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
