package fetch

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
)

// metaPrescanLen bounds the <meta> prescan. Browsers look at the first
// 1,024 bytes and re-decode when the tree builder meets a later <meta>;
// real pages put a megabyte of inline script and style first (one
// broadcaster's charset is at byte 8,283), so the whole head is searched,
// up to this bound.
const metaPrescanLen = 64 << 10

// metaCharset is the charset label a <meta charset> or <meta http-equiv=
// "Content-Type" content="...; charset=..."> declares in the document's
// head, "" if none. The prescan tokenises, so text inside scripts, styles
// and comments is never taken for a tag, and it stops at <body> (or a
// feed's first item: a feed's HTML content is not its head).
func metaCharset(body []byte) string {
	z := html.NewTokenizer(bytes.NewReader(body[:min(len(body), metaPrescanLen)]))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "head" {
				return ""
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body", "item", "entry":
				return ""
			case "meta":
				if label := metaLabel(z, hasAttr); label != "" {
					return label
				}
			}
		}
	}
}

// metaLabel reads a <meta> tag's charset declaration, as the HTML
// standard's prescan does: charset, or http-equiv with a content charset.
func metaLabel(z *html.Tokenizer, more bool) string {
	var cs, content string
	httpEquiv := false
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		switch string(k) {
		case "charset":
			cs = strings.TrimSpace(string(v))
		case "http-equiv":
			httpEquiv = strings.EqualFold(strings.TrimSpace(string(v)), "content-type")
		case "content":
			content = string(v)
		}
	}
	if cs != "" {
		return cs
	}
	if httpEquiv {
		return contentCharset(content)
	}
	return ""
}

// contentCharset extracts the charset from a meta content attribute
// ("text/html; charset=koi8-r"), the standard's way: after "charset",
// optional spaces, "=", then a quoted or bare value.
func contentCharset(s string) string {
	for {
		i := strings.Index(strings.ToLower(s), "charset")
		if i < 0 {
			return ""
		}
		s = strings.TrimLeft(s[i+len("charset"):], " \t\n\f\r")
		if !strings.HasPrefix(s, "=") {
			continue
		}
		s = strings.TrimLeft(s[1:], " \t\n\f\r")
		if s == "" {
			return ""
		}
		if q := s[0]; q == '"' || q == '\'' {
			if j := strings.IndexByte(s[1:], q); j >= 0 {
				return s[1 : 1+j]
			}
			return ""
		}
		if j := strings.IndexAny(s, " \t\n\f\r;"); j >= 0 {
			s = s[:j]
		}
		return s
	}
}
