package crawler

import (
	"bytes"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// feedTypes are the <link rel="alternate"> types autodiscovery follows.
var feedTypes = map[string]bool{
	"application/rss+xml":   true,
	"application/atom+xml":  true,
	"application/feed+json": true,
	"application/json":      true,
	"application/rdf+xml":   true,
}

// feedLinks lists, in document order, the feeds an HTML page advertises
// with <link rel="alternate" type="..." href="...">, resolved against base.
func feedLinks(body []byte, base *url.URL) []string {
	var links []string
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return links
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		if atom.Lookup(name) == atom.Link && hasAttr {
			if link := alternateFeed(z, base); link != "" {
				links = append(links, link)
			}
		}
	}
}

// alternateFeed reads a <link>'s attributes and returns its resolved href
// when it advertises a feed.
func alternateFeed(z *html.Tokenizer, base *url.URL) string {
	var rel, typ, href string
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case "rel":
			rel = strings.ToLower(string(v))
		case "type":
			typ = strings.ToLower(strings.TrimSpace(string(v)))
		case "href":
			href = string(v)
		}
		if !more {
			break
		}
	}
	if i := strings.IndexByte(typ, ';'); i >= 0 {
		typ = strings.TrimSpace(typ[:i])
	}
	if !feedTypes[typ] || !hasToken(rel, "alternate") {
		return ""
	}
	return resolve(base, href)
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(list) {
		if f == tok {
			return true
		}
	}
	return false
}
