package fetch

import (
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// DecideCharset picks body's encoding as browsers and feed readers do, in
// this order:
//
//  1. a byte-order mark (UTF-8, UTF-32LE/BE, UTF-16LE/BE; a UTF-32LE BOM
//     is not taken for UTF-16LE);
//  2. XML appendix F (as RFC 4627 widened it for JSON): a document whose
//     first two characters are ASCII in UTF-16 or UTF-32 without a BOM;
//  3. the charset parameter of contentType;
//  4. else an XML declaration's encoding, or else an HTML <meta> found by a
//     prescan of the whole head (up to metaPrescanLen bytes);
//  5. a legacy declaration (3 or 4) loses to bytes that are valid UTF-8
//     and contain multi-byte sequences: they are UTF-8; and a UTF-8
//     declaration on bytes that are mostly invalid UTF-8 is set aside for
//     the detector (a server's default header over a windows-1251 page);
//  6. with no declaration: UTF-8 when valid, else the statistical
//     detector's answer, else windows-1252 (the superset of ISO-8859-1
//     that browsers use for it).
//
// Labels follow the WHATWG Encoding Standard; an unknown label is ignored,
// and so is a UTF-16/32 label on bytes that cannot be UTF-16/32.
func DecideCharset(body []byte, contentType string) Charset {
	if cs, ok := bomCharset(body); ok {
		return cs
	}
	if cs, ok := sniffXMLUTF16(body); ok {
		return cs
	}
	overrode := ""
	if cs, ok := declaredCharset(body, contentType); ok {
		switch {
		case !strings.HasPrefix(cs.Name, "utf-") && isMultiByteUTF8(body):
			return utf8Charset(cs.Name + " from " + cs.From)
		case cs.Name != "utf-8" || !mostlyNotUTF8(body):
			return cs
		}
		// Declared UTF-8, but hardly a byte of it is: a server's default
		// header over a legacy page. The document's own declaration, else
		// the detector, as for undeclared text.
		overrode = cs.Name + " from " + cs.From
		if next, ok := declaredCharset(body, ""); ok && cs.From == FromContentType && next.Name != "utf-8" {
			next.Overrode = overrode
			return next
		}
	}
	if utf8.Valid(body) {
		return utf8Charset("")
	}
	if cs, ok := detectCharset(body); ok {
		cs.Overrode = overrode
		return cs
	}
	if overrode != "" {
		return Charset{Name: "utf-8", From: FromContentType, enc: encoding.Nop}
	}
	return Charset{Name: "windows-1252", From: FromDefault, enc: charmap.Windows1252}
}

// mostlyNotUTF8 reports bytes that are far from UTF-8: more invalid
// sequences than valid multi-byte ones, and at least a few. A UTF-8 page
// with a stray bad byte is still UTF-8 (the byte becomes U+FFFD).
func mostlyNotUTF8(body []byte) bool {
	valid, invalid := 0, 0
	for i := 0; i < len(body); {
		if body[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(body[i:])
		if r == utf8.RuneError && size == 1 {
			invalid++
		} else {
			valid++
		}
		i += size
	}
	return invalid >= 8 && invalid > valid
}

func utf8Charset(overrode string) Charset {
	return Charset{Name: "utf-8", From: FromUTF8Bytes, Overrode: overrode, enc: encoding.Nop}
}

// boms, longest first where one is a prefix of another (UTF-32LE's
// FF FE 00 00 starts with UTF-16LE's FF FE).
var boms = []struct {
	bom  string
	name string
	enc  encoding.Encoding
}{
	{"\x00\x00\xfe\xff", "utf-32be", utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)},
	{"\xff\xfe\x00\x00", "utf-32le", utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)},
	{"\xef\xbb\xbf", "utf-8", encoding.Nop},
	{"\xfe\xff", "utf-16be", unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)},
	{"\xff\xfe", "utf-16le", unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)},
}

func bomCharset(body []byte) (Charset, bool) {
	for _, b := range boms {
		if bytes.HasPrefix(body, []byte(b.bom)) {
			return Charset{Name: b.name, From: FromBOM, enc: b.enc}, true
		}
	}
	return Charset{}, false
}

// sniffXMLUTF16 is the XML spec's appendix F for documents without a BOM,
// widened as RFC 4627 did for JSON: the NUL bytes around two leading ASCII
// characters ("<?", "<r", "{\"", or plain text) give UTF-32 or UTF-16 and
// the byte order. No 8-bit document starts with NULs between its first
// characters.
func sniffXMLUTF16(body []byte) (Charset, bool) {
	if len(body) < 8 {
		return Charset{}, false
	}
	first := func(b byte) bool { return b == '\t' || b == '\n' || b == '\r' || (' ' <= b && b < 0x7f) }
	ascii := func(b byte) bool { return b > 0 && b < utf8.RuneSelf }
	b := body
	switch {
	case b[0] == 0 && b[1] == 0 && b[2] == 0 && first(b[3]) && b[4] == 0 && b[5] == 0 && b[6] == 0 && ascii(b[7]):
		return Charset{Name: "utf-32be", From: FromXMLSniff, enc: utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)}, true
	case first(b[0]) && b[1] == 0 && b[2] == 0 && b[3] == 0 && ascii(b[4]) && b[5] == 0 && b[6] == 0 && b[7] == 0:
		return Charset{Name: "utf-32le", From: FromXMLSniff, enc: utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)}, true
	case b[0] == 0 && first(b[1]) && b[2] == 0 && ascii(b[3]):
		return Charset{Name: "utf-16be", From: FromXMLSniff, enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}, true
	case first(b[0]) && b[1] == 0 && ascii(b[2]) && b[3] == 0:
		return Charset{Name: "utf-16le", From: FromXMLSniff, enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)}, true
	}
	return Charset{}, false
}

// declaredCharset is what the document says it is: the Content-Type
// charset, else the XML declaration, else a <meta> in the head.
func declaredCharset(body []byte, contentType string) (Charset, bool) {
	if label := httpCharset(contentType); label != "" {
		if cs, ok := lookupLabel(label, FromContentType, body); ok {
			return cs, true
		}
	}
	if m := xmlProlog.FindSubmatch(head(body)); m != nil {
		if cs, ok := lookupLabel(string(m[1]), FromXMLProlog, body); ok {
			return cs, true
		}
	}
	if label := metaCharset(body); label != "" {
		if cs, ok := lookupLabel(label, FromMeta, body); ok {
			return cs, true
		}
	}
	return Charset{}, false
}

// httpCharset is the charset parameter of a Content-Type, read leniently
// when the header is malformed ("text/html; charset=cp1251; foo"), as
// browsers read it.
func httpCharset(contentType string) string {
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		return params["charset"]
	}
	return contentCharset(contentType)
}

// lookupLabel resolves a charset label. A UTF-16/32 label is refused on a
// body that reads as plain 8-bit text (see textLike): servers label ASCII
// and UTF-8 documents "utf-16" too. From <meta> it means UTF-8, as the
// HTML standard reads it.
func lookupLabel(label, from string, body []byte) (Charset, bool) {
	enc, name := charset.Lookup(strings.TrimSpace(label))
	if enc == nil {
		return Charset{}, false
	}
	if strings.HasPrefix(name, "utf-16") || strings.HasPrefix(name, "utf-32") {
		if from == FromMeta {
			return Charset{Name: "utf-8", From: from, enc: encoding.Nop}, true
		}
		if textLike(body) {
			return Charset{}, false
		}
	}
	if name == "x-user-defined" {
		enc, name = charmap.Windows1252, "windows-1252"
	}
	return Charset{Name: name, From: from, enc: enc}, true
}

// textLike reports bytes that cannot be UTF-16 or UTF-32 text: valid UTF-8
// with no control bytes in the head. UTF-16 and UTF-32 have NULs, or C0
// bytes as the high half of Cyrillic and other code units (0x04 for
// "Кремль"), or are not valid UTF-8 at all (most CJK).
func textLike(body []byte) bool {
	for _, b := range head(body) {
		if b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f' {
			return false
		}
	}
	return utf8.Valid(body)
}

// isMultiByteUTF8 reports bytes that are valid UTF-8 and not all ASCII:
// text that cannot be the legacy charset a declaration names.
func isMultiByteUTF8(body []byte) bool {
	high := false
	for _, b := range body {
		if b >= utf8.RuneSelf {
			high = true
			break
		}
	}
	return high && utf8.Valid(body)
}
