package fetch

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// encode converts UTF-8 s to enc; characters enc lacks become its
// replacement byte, so the expected text is what decoding gives back.
func encode(t *testing.T, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := encoding.ReplaceUnsupported(enc.NewEncoder()).Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeWith(t *testing.T, enc encoding.Encoding, b []byte) string {
	t.Helper()
	s, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(s)
}

func sampleText(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/charset/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const ruFeed = `<?xml version="1.0" encoding="%s"?>
<rss version="2.0"><channel><title>Новости</title>
<item><title>Цитата дня: Кремль о переговорах</title><description>Песков прокомментировал визит Уиткоффа в Москву.</description></item>
</channel></rss>`

// The decision rules one by one: which rule decides, and the name.
func TestDecideCharset(t *testing.T) {
	utf16le := func(s string) []byte { return encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), s) }
	utf16be := func(s string) []byte { return encode(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), s) }
	utf32le := func(s string) []byte { return encode(t, utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), s) }
	utf32be := func(s string) []byte { return encode(t, utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), s) }
	feed := strings.Replace(ruFeed, "%s", "UTF-8", 1)
	tests := []struct {
		name        string
		body        []byte
		contentType string
		want, from  string
	}{
		{"UTF-8 BOM", []byte("\xef\xbb\xbf<rss/>"), "text/xml; charset=windows-1251", "utf-8", FromBOM},
		{"UTF-16LE BOM", append([]byte("\xff\xfe"), utf16le(feed)...), "", "utf-16le", FromBOM},
		{"UTF-16BE BOM", append([]byte("\xfe\xff"), utf16be(feed)...), "", "utf-16be", FromBOM},
		{"UTF-32LE BOM, not UTF-16LE", append([]byte("\xff\xfe\x00\x00"), utf32le(feed)...), "", "utf-32le", FromBOM},
		{"UTF-32BE BOM", append([]byte("\x00\x00\xfe\xff"), utf32be(feed)...), "", "utf-32be", FromBOM},
		{"UTF-16LE without BOM", utf16le(feed), "application/rss+xml", "utf-16le", FromXMLSniff},
		{"UTF-16BE without BOM", utf16be(feed), "", "utf-16be", FromXMLSniff},
		{"UTF-32LE without BOM", utf32le(feed), "", "utf-32le", FromXMLSniff},
		{"UTF-32BE without BOM", utf32be(feed), "", "utf-32be", FromXMLSniff},
		{"UTF-16LE JSON without BOM", utf16le(`{"version": "https://jsonfeed.org/version/1.1"}`), "application/json", "utf-16le", FromXMLSniff},
		{"UTF-16BE plain text without BOM", utf16be("Kyiv, Donetsk"), "", "utf-16be", FromXMLSniff},
		{"Content-Type", encode(t, charmap.Windows1251, "<p>Донецк</p>"), "text/html; charset=windows-1251", "windows-1251", FromContentType},
		{"malformed Content-Type", encode(t, charmap.Windows1251, "<p>Донецк</p>"), "text/html; charset=cp1251; foo", "windows-1251", FromContentType},
		{"prolog", encode(t, charmap.Windows1251, strings.Replace(ruFeed, "%s", "windows-1251", 1)), "", "windows-1251", FromXMLProlog},
		{"meta", encode(t, charmap.KOI8R, `<meta charset="koi8-r"><p>Донецк</p>`), "", "koi8-r", FromMeta},
		{"UTF-8 bytes over a windows-1251 prolog", []byte(strings.Replace(ruFeed, "%s", "windows-1251", 1)), "", "utf-8", FromUTF8Bytes},
		{"UTF-8 bytes over an ISO-8859-1 Content-Type", []byte("<title>Café</title>"), "text/html; charset=ISO-8859-1", "utf-8", FromUTF8Bytes},
		{"ASCII keeps its declaration", []byte("<title>Cafe</title>"), "text/html; charset=ISO-8859-1", "windows-1252", FromContentType},
		{"a UTF-16 label on ASCII bytes is ignored", []byte("<rss><title>Kyiv</title></rss>"), "text/xml; charset=utf-16", "utf-8", FromUTF8Bytes},
		{"a UTF-16 label is not overridden", utf16le(feed), "text/xml; charset=utf-16le", "utf-16le", FromXMLSniff},
		{"UTF-16 by Content-Type, no BOM, not '<' first", utf16le("Кремль"), "text/plain; charset=utf-16le", "utf-16le", FromContentType},
		{"meta UTF-16 means UTF-8", []byte(`<meta charset="utf-16"><p>Kyiv</p>`), "", "utf-8", FromMeta},
		{"a UTF-8 header over a windows-1251 page with its meta", encode(t, charmap.Windows1251, `<meta charset="windows-1251"><p>Песков заявил, что Кремль не получал предложений</p>`), "text/html; charset=utf-8", "windows-1251", FromMeta},
		{"a UTF-8 header over an undeclared windows-1251 page", encode(t, charmap.Windows1251, "<p>"+sampleText(t, "ru.txt")+"</p>"), "text/html; charset=utf-8", "windows-1251", FromDetector},
		{"a UTF-8 page with a few bad bytes stays UTF-8", []byte("<p>Кремль \xff\xfe Донецк Харків</p>"), "text/html; charset=utf-8", "utf-8", FromContentType},
		{"undeclared UTF-8", []byte("<p>Донецк</p>"), "", "utf-8", FromUTF8Bytes},
		{"undeclared, no evidence", []byte("Caf\xe9"), "", "windows-1252", FromDefault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := DecideCharset(tt.body, tt.contentType)
			if cs.Name != tt.want || cs.From != tt.from {
				t.Errorf("DecideCharset = %s, want %s from %s", cs, tt.want, tt.from)
			}
		})
	}
}

// Every way of writing the same Russian feed decodes to the same text.
func TestDecodeRussianFeedEveryWay(t *testing.T) {
	want := "<title>Цитата дня: Кремль о переговорах</title>"
	utf8Feed := strings.Replace(ruFeed, "%s", "UTF-8", 1)
	bodies := map[string][]byte{
		"UTF-8 under a windows-1251 prolog": []byte(strings.Replace(ruFeed, "%s", "windows-1251", 1)),
		"UTF-8 under an ISO-8859-1 prolog":  []byte(strings.Replace(ruFeed, "%s", "ISO-8859-1", 1)),
		"windows-1251 as declared":          encode(t, charmap.Windows1251, strings.Replace(ruFeed, "%s", "windows-1251", 1)),
		"UTF-16LE, no BOM":                  encode(t, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), strings.Replace(ruFeed, "%s", "UTF-16", 1)),
		"UTF-16BE, no BOM":                  encode(t, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), strings.Replace(ruFeed, "%s", "UTF-16", 1)),
		"UTF-32LE with BOM":                 encode(t, utf32.UTF32(utf32.LittleEndian, utf32.UseBOM), utf8Feed),
		"UTF-32BE, no BOM":                  encode(t, utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), utf8Feed),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			out, cs, err := Decode(body, "")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), want) || strings.HasPrefix(string(out), "\uFEFF") {
				t.Errorf("Decode (%s) = %.200q, want it to contain %q", cs, out, want)
			}
			if !strings.HasPrefix(string(out), `<?xml version="1.0" encoding="UTF-8"?>`) {
				t.Errorf("prolog not UTF-8: %.60q", out)
			}
		})
	}
}

// Undeclared legacy text of article length: the detector must name the
// charset, and decoding must give the text back exactly.
func TestDetectUndeclaredLegacy(t *testing.T) {
	tests := []struct {
		file, want string
		enc        encoding.Encoding
	}{
		{"ru.txt", "windows-1251", charmap.Windows1251},
		{"ru.txt", "koi8-u", charmap.KOI8R}, // KOI8-U: KOI8-R plus Ukrainian letters
		{"uk.txt", "windows-1251", charmap.Windows1251},
		{"uk.txt", "koi8-u", charmap.KOI8U},
		{"ja.txt", "shift_jis", japanese.ShiftJIS},
		{"ja.txt", "euc-jp", japanese.EUCJP},
		{"ko.txt", "euc-kr", korean.EUCKR},
		{"zh.txt", "gb18030", simplifiedchinese.GBK},
		{"th.txt", "windows-874", charmap.Windows874},
		{"he.txt", "windows-1255", charmap.Windows1255},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.want, func(t *testing.T) {
			for _, wrap := range []string{"%s", "<html><head><title>x</title><script>var a = 1;</script></head><body><p>%s</p></body></html>"} {
				raw := encode(t, tt.enc, strings.Replace(wrap, "%s", sampleText(t, tt.file), 1))
				out, cs, err := Decode(raw, "")
				if err != nil {
					t.Fatal(err)
				}
				if cs.Name != tt.want || cs.From != FromDetector || cs.Confidence <= 0 {
					t.Errorf("decided %s, want %s from detector", cs, tt.want)
				}
				if want := decodeWith(t, tt.enc, raw); string(out) != want {
					t.Errorf("decoded text differs:\n got %.200q\nwant %.200q", out, want)
				}
			}
		})
	}
}

// Latin-script text in windows-1252 stays windows-1252: the detector does
// not take German or French for something else.
func TestDetectWesternStaysWindows1252(t *testing.T) {
	for _, s := range []string{
		"Die Bundesregierung hat am Mittwoch neue Maßnahmen zur Stärkung der Wirtschaft beschlossen. Der Kanzler sagte, man müsse die Energiepreise senken.",
		"Le président a annoncé mercredi une série de mesures destinées à soutenir le pouvoir d’achat des ménages. « Nous devons agir vite », a-t-il déclaré.",
		"\u201cPeace plan\u201d talks \u2014 day two",
		"Zürich, São Paulo",
	} {
		cs := DecideCharset(encode(t, charmap.Windows1252, s), "")
		if cs.Name != "windows-1252" {
			t.Errorf("%.30q: decided %s, want windows-1252", s, cs)
		}
	}
}

// A <meta charset> late in the head, after a large inline script, is found.
func TestMetaCharsetLateInHead(t *testing.T) {
	script := "<script>var config = {" + strings.Repeat(`"k": "v", `, 500) + "};</script>"
	page := "<!DOCTYPE html><html><head><title>x</title>" + script +
		`<meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head><body><h1>Донецк</h1></body></html>`
	if i := strings.Index(page, "<meta"); i < 5000 {
		t.Fatalf("meta at byte %d, want it past 5,000", i)
	}
	out, cs, err := Decode(encode(t, charmap.Windows1251, page), "text/html")
	if err != nil {
		t.Fatal(err)
	}
	if cs.Name != "windows-1251" || cs.From != FromMeta || !strings.Contains(string(out), "<h1>Донецк</h1>") {
		t.Errorf("decided %s, got %q", cs, out[len(out)-40:])
	}
	// Not in a script, not in the body, not past the bound.
	for name, p := range map[string]string{
		"in a script":      `<head><script>document.write('<meta charset="koi8-r">')</script></head><body>x</body>`,
		"in the body":      `<head></head><body><meta charset="koi8-r">x</body>`,
		"past the bound":   "<head><style>" + strings.Repeat("a{}", metaPrescanLen/3) + `</style><meta charset="koi8-r"></head>`,
		"in a feed's item": `<rss><channel><item><description><meta charset="koi8-r"></description></item></channel></rss>`,
	} {
		if cs := DecideCharset([]byte(p), ""); cs.From == FromMeta {
			t.Errorf("%s: decided %s", name, cs)
		}
	}
}

func TestCharsetString(t *testing.T) {
	cs := Charset{Name: "windows-1251", From: FromDetector, Confidence: 0.93}
	if got := cs.String(); got != "windows-1251 from detector, confidence 0.93" {
		t.Errorf("String() = %q", got)
	}
	cs = DecideCharset([]byte(strings.Replace(ruFeed, "%s", "windows-1251", 1)), "")
	if got := cs.String(); got != "utf-8 from utf-8-bytes, over windows-1251 from xml-prolog" {
		t.Errorf("String() = %q", got)
	}
}
