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
