package crawler

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHTMLToText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Witkoff met Putin", "Witkoff met Putin"},
		{"entities", "AT&amp;T &eacute;t&eacute; &#8212; &lt;b&gt;", "AT&T été — <b>"},
		{"inline tags join words", "Kreml<b>in</b> <i>said</i>", "Kremlin said"},
		{"block elements break lines", "<p>One</p><p>Two</p><div>Three</div>Four<br>Five", "One\n\nTwo\n\nThree\nFour\nFive"},
		{"script and style skipped", "<script>var a = '<p>x</p>';</script>Text<style>p{}</style>", "Text"},
		{"spaces collapsed", "  a \n\t b&nbsp;&nbsp;c  ", "a b c"},
		{"list items", "<ul><li>a</li><li>b</li></ul>", "a\nb"},
		{"image separates", "a<img src=x>b", "a b"},
		{"self-closing script", "<script/>kept", "kept"},
		{"bare ampersand and lt", "5 < 6 & 7", "5 < 6 & 7"},
		{"empty", "", ""},
		// Parsed as a browser parses it.
		{"implied end tags", "<p>One<p>Two<ul><li>a<li>b</ul>", "One\n\nTwo\n\na\nb"},
		{"unclosed object keeps its fallback text", `<object width="400"><param name="movie" value="x.swf"><embed src="x.swf"></embed> Drones hit Kharkiv`, "Drones hit Kharkiv"},
		{"unclosed iframe does not swallow the rest", `<p>Video</p><iframe src="https://v.example/1"> Shelling in <b>Kherson</b>`, "Video\n\nShelling in Kherson"},
		{"unclosed noscript", `a<noscript><p>b`, "a\n\nb"},
		{"unclosed script at the end", `<p>a</p><script>b`, "a\n\nb"},
		{"closed script at the end stays hidden", `<p>Text</p><script>if (a<b) document.write('<p>x</p>')</script>`, "Text"},
		{"closed iframe's fallback hidden", `a<iframe src=x>Your browser</iframe> b`, "a b"},
		{"template and svg skipped", `a <template><p>t</p></template><svg><text>s</text></svg>b`, "a b"},
		{"zero-width space is not a space", "Krem\u200blin said", "Krem\u200blin said"},
		{"soft hyphen entity kept in the word", "Krem&shy;lin", "Krem\u00adlin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := htmlToText(tt.in, DefaultMaxTextBytes); got != tt.want {
				t.Errorf("htmlToText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCapText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short", "abc", 10, "abc"},
		{"exact", "abc", 3, "abc"},
		{"ascii", "abcdef", 4, "abcd"},
		{"inside a rune", "aДонецк", 4, "aД"},
		{"no cap", "abc", 0, "abc"},
		{"trailing space trimmed", "ab cd", 3, "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := capText(tt.in, tt.n)
			if got != tt.want || !utf8.ValidString(got) {
				t.Errorf("capText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func TestCheckFeedDepth(t *testing.T) {
	deep := strings.Repeat("<a>", maxFeedDepth+1) + strings.Repeat("</a>", maxFeedDepth+1)
	flat := "<rss><channel>" + strings.Repeat("<item><title>x</title><br/><![CDATA[<p><p><p>]]><!-- <x> --></item>", maxFeedDepth*2) + "</channel></rss>"
	if err := checkFeedDepth([]byte(deep)); err == nil {
		t.Error("a feed nested too deep passed")
	}
	if err := checkFeedDepth([]byte(flat)); err != nil {
		t.Errorf("a long flat feed failed: %v", err)
	}
	c := New(Options{})
	if _, err := c.parseFeed("s", "", []byte(`<?xml version="1.0"?><rss version="2.0"><channel><item><title>t</title><description>`+deep+`</description></item></channel></rss>`)); err == nil || !strings.Contains(err.Error(), "nested more than") {
		t.Errorf("parseFeed error %v, want the depth refused", err)
	}
}

// The streaming extractor (the bounded path for huge or deep documents)
// gives the text the tree gives, on documents a browser reads the same way.
func TestStreamAgreesWithTree(t *testing.T) {
	docs := []string{
		"<p>One</p><p>Two</p><div>Three</div>Four<br>Five",
		"<h1>Title</h1><p>Body <b>bold</b> and <a href=x>link</a>.</p><script>var s = '<p>';</script><style>p{}</style><p>End</p>",
		"<ul><li>a</li><li>b</li></ul><table><tr><td>c</td><td>d</td></tr></table>",
		`<p>Video</p><iframe src="https://v.example/1"> Shelling in <b>Kherson</b>`,
		`<p>a</p><noscript><img src=pixel></noscript><p>b</p>`,
		`<object><param name=a value=b><embed src=x></embed> Drones hit Kharkiv</object>`,
		`<p>Clip: <embed src=x.swf> Drones hit Kharkiv</p>`,
		"Krem&shy;lin &amp; the &lt;Duma&gt;",
	}
	for _, d := range docs {
		tree := htmlToText(d, 0)
		var w textWriter
		streamText([]byte(d), &w)
		if got := w.String(); got != tree {
			t.Errorf("%q: stream %q, tree %q", d, got, tree)
		}
	}
}

// Past the tree bounds the text still comes, from the stream, and stops
// at the cap.
func TestHugeFragmentsAreBounded(t *testing.T) {
	wide := strings.Repeat("<div>w</div>", maxTreeElems+10) + "<p>Donetsk at the end</p>"
	if got := htmlToText(wide, 0); !strings.HasSuffix(got, "w\n\nDonetsk at the end") {
		t.Errorf("wide: text ends %q", got[max(0, len(got)-40):])
	}
	deep := strings.Repeat("<div>", maxTreeDepth*4) + "Donetsk" + strings.Repeat("</div>", maxTreeDepth*4)
	if got := htmlToText(deep, 0); got != "Donetsk" {
		t.Errorf("deep: %q", got)
	}
	if got := htmlToText(wide, 1000); len(got) > 1000 || len(got) < 900 {
		t.Errorf("capped text is %d bytes, want at most 1000", len(got))
	}
	if n := treePrefix([]byte(deep)); n >= len(deep) || n < maxTreeDepth*len("<div>") {
		t.Errorf("treePrefix(deep) = %d of %d", n, len(deep))
	}
	// A page nested deeper than the parser takes still gives its title and text.
	page := "<html><head><title>Deep</title></head><body>" + deep + "</body></html>"
	c := New(Options{})
	a, err := c.extractPage([]byte(page), mustParseURL(t, "https://news.example/deep"), "news.example", selectors{})
	if err != nil || a.Title != "Deep" || a.Body != "Donetsk" {
		t.Errorf("deep page: %+v, %v", a, err)
	}
}

// A listing page past the tree bounds still gives the links of its first
// part, without building a tree of the whole page.
func TestPickLinksOnAHugeListing(t *testing.T) {
	page := `<html><body><ul><li><a href="/news/1">One</a></li></ul>` + strings.Repeat("<div>x</div>", maxTreeElems+10) + `<a href="/news/2">Two</a></body></html>`
	u := mustParseURL(t, "https://news.example/news")
	links, _, err := pickLinks([]byte(page), u, "li a, a", linkFilter{site: "news.example", max: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || !strings.HasSuffix(links[0].URL, "/news/1") {
		t.Errorf("links %+v, want the first one only", links)
	}
}
