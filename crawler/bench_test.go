package crawler

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// benchFeed is an RSS feed of 50 items with HTML descriptions and bodies,
// about the size of a busy news feed (~300 KB).
func benchFeed() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Bench</title><link>https://bench.example/</link><description>x</description>`)
	para := strings.Repeat("Witkoff met Putin in the Kremlin &amp; discussed the peace plan. ", 20)
	for i := range 50 {
		b.WriteString(`<item><title>Item ` + strings.Repeat("x", i%7) + ` &amp; more</title><link>https://bench.example/item?id=` +
			string(rune('a'+i%26)) + `&amp;utm_source=rss</link><guid>g` + string(rune('a'+i%26)) + `</guid>` +
			`<description><![CDATA[<p>` + para + `</p>]]></description><content:encoded><![CDATA[<div><p>` + para + `</p><p>` + para +
			`</p><script>x()</script></div>]]></content:encoded><pubDate>Tue, 02 Dec 2025 18:30:00 +0300</pubDate></item>`)
	}
	b.WriteString(`</channel></rss>`)
	return []byte(b.String())
}

func BenchmarkParseFeed(b *testing.B) {
	body := benchFeed()
	c := New(Options{})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := c.parseFeed("bench", "https://bench.example/feed", body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHTMLToText(b *testing.B) {
	html := strings.Repeat(`<p>Kremlin aide <b>Yuri Ushakov</b> said &quot;no&quot;.<br>Next&nbsp;line</p><script>t()</script>`, 500)
	b.SetBytes(int64(len(html)))
	for b.Loop() {
		htmlToText(html, DefaultMaxTextBytes)
	}
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "a &amp; b", "<script>x</script>y", "<br/>", "&#x10FFFF;", "\xff<b>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := htmlToText(s, DefaultMaxTextBytes)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("htmlToText(%q) = %q: invalid UTF-8", s, out)
		}
		if strings.TrimSpace(out) != out || strings.Contains(out, "\n\n\n") || strings.Contains(out, "  ") {
			t.Fatalf("htmlToText(%q) = %q: untidy whitespace", s, out)
		}
		if capped := capText(out, 7); len(capped) > 7 || (utf8.ValidString(out) && !utf8.ValidString(capped)) {
			t.Fatalf("capText(%q, 7) = %q", out, capped)
		}
	})
}
