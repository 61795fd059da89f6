package fetch

import (
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestToUTF8(t *testing.T) {
	tests := []struct {
		name, body, contentType string
		want                    string // substring of the result
	}{
		{"windows-1251 in Content-Type", "<p>\xc4\xee\xed\xe5\xf6\xea</p>", "text/html; charset=windows-1251", "<p>Донецк</p>"},
		{"ISO-8859-1 XML prolog", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rss><title>Caf\xe9</title></rss>", "application/xml", "<title>Café</title>"},
		{"windows-1251 XML prolog", "<?xml version='1.0' encoding='windows-1251'?><rss><title>\xca\xf0\xe5\xec\xeb\xfc</title></rss>", "", "<title>Кремль</title>"},
		{"Content-Type beats prolog", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t>\xc4\xee\xed\xe5\xf6\xea</t>", "text/xml; charset=windows-1251", "<t>Донецк</t>"},
		{"UTF-8 BOM stripped", "\xef\xbb\xbf<rss><title>Zürich</title></rss>", "application/rss+xml", "<rss><title>Zürich</title>"},
		{"doubled BOM", "\xef\xbb\xbf\xef\xbb\xbf<rss/>", "", "<rss/>"},
		{"BOM beats a wrong Content-Type", "\xef\xbb\xbfZürich", "text/plain; charset=windows-1251", "Zürich"},
		{"undeclared Latin-1", "<html><body>Z\xfcrich, S\xe3o Paulo</body></html>", "text/html", "Zürich, São Paulo"},
		{"undeclared windows-1252 quotes", "\x93Peace plan\x94", "", "“Peace plan”"},
		{"meta charset", "<html><head><meta charset=\"windows-1251\"></head><body>\xc4\xee\xed\xe5\xf6\xea</body></html>", "text/html", "Донецк"},
		{"meta http-equiv", "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"></head><body>\xe4\xcf\xce\xc5\xc3\xcb</body></html>", "", "Донецк"},
		{"plain UTF-8 untouched", "<p>Донецк — Kremlin</p>", "", "<p>Донецк — Kremlin</p>"},
		{"UTF-16LE BOM", "\xff\xfeK\x00y\x00i\x00v\x00", "", "Kyiv"},
		{"invalid UTF-8 when declared UTF-8", "ok \xff ok", "text/plain; charset=utf-8", "ok \uFFFD ok"},
		{"unknown label ignored", "Z\xfcrich", "text/plain; charset=x-klingon", "Zürich"},
		// A stray invalid byte far down a page declared UTF-8 by <meta> (and
		// with UTF-8 in its head) must not turn the whole page into mojibake.
		{"meta UTF-8 with a stray invalid byte", "<html><head><meta charset=\"utf-8\"><title>Донецк</title></head><body>" +
			strings.Repeat("x", 2000) + "Кремль \xff</body></html>", "text/html", "Кремль \uFFFD"},
		{"meta UTF-8, ASCII head", "<meta charset=utf-8><p>" + strings.Repeat("x", 2000) + "Кремль \xff", "", "Кремль \uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ToUTF8([]byte(tt.body), tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(got), tt.want) {
				t.Errorf("ToUTF8 = %q, want it to contain %q", got, tt.want)
			}
			if strings.HasPrefix(string(got), "\uFEFF") {
				t.Errorf("BOM kept: %q", got)
			}
		})
	}
}

// After ToUTF8, an XML parser must not decode the text a second time: the
// prolog has to say UTF-8 (encoding/xml refuses any other encoding).
func TestToUTF8RewritesXMLProlog(t *testing.T) {
	in := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\" standalone=\"yes\"?>\n<rss><title>Caf\xe9</title></rss>"
	out, err := ToUTF8([]byte(in), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`) {
		t.Errorf("prolog not rewritten: %q", out)
	}
	var doc struct {
		Title string `xml:"title"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil || doc.Title != "Café" {
		t.Errorf("xml.Unmarshal = %q, %v", doc.Title, err)
	}
}

// Whatever comes in, what comes out is valid UTF-8 with no BOM.
func FuzzToUTF8(f *testing.F) {
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>\xe9</a>"), "")
	f.Add([]byte("\xef\xbb\xbfplain"), "text/plain; charset=koi8-r")
	f.Add([]byte("\xfe\xff\x00K"), "")
	f.Add([]byte("<meta charset=gbk>\x81\x40"), "text/html")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		out, err := ToUTF8(body, contentType)
		if err != nil {
			return
		}
		if !utf8.Valid(out) {
			t.Errorf("ToUTF8(%q, %q) = %q: not UTF-8", body, contentType, out)
		}
		if strings.HasPrefix(string(out), "\uFEFF") {
			t.Errorf("ToUTF8(%q, %q) kept a BOM", body, contentType)
		}
	})
}
