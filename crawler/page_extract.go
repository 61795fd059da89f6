package crawler

import (
	"bytes"
	"cmp"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"

	"github.com/newswatch/newswatch/model"
)

// selectors are a page source's optional CSS selectors for article parts.
type selectors struct {
	Title, Body string
}

// extractPage reduces an article page (UTF-8 HTML) to an article. pageURL is
// the URL the page was fetched from (its Link); site is the host whose
// subdomains a <link rel="canonical"> may point to (the source's host).
func (c *Crawler) extractPage(body []byte, pageURL *url.URL, site string, sel selectors) (*model.Article, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	canon := pageCanonical(doc, pageURL, site)
	link := canon
	if pageURL.Scheme == "http" || pageURL.Scheme == "https" {
		link = pageURL.String()
	}
	return &model.Article{
		Link:          link,
		CanonicalLink: canonical(canon),
		Title:         capText(oneLine(pageTitle(doc, sel.Title)), c.maxText),
		Body:          capText(pageBody(doc, pageURL, sel.Body), c.maxText),
		Published:     pagePublished(doc),
	}, nil
}

// pageTitle: the Title selector, else og:title, else the first h1, else <title>.
func pageTitle(doc *goquery.Document, sel string) string {
	if sel != "" {
		if t := selectionText(doc.Find(sel).First()); t != "" {
			return t
		}
	}
	if t, ok := doc.Find(`meta[property="og:title"]`).First().Attr("content"); ok && oneLine(t) != "" {
		return htmlToText(t)
	}
	if t := selectionText(doc.Find("h1").First()); t != "" {
		return t
	}
	return selectionText(doc.Find("title").First())
}

// pageBody: the text of every element the Body selector picks, else the main
// text found by readability, else the text of the whole <body>.
func pageBody(doc *goquery.Document, pageURL *url.URL, sel string) string {
	if sel != "" {
		var parts []string
		doc.Find(sel).Each(func(_ int, s *goquery.Selection) {
			if t := selectionText(s); t != "" {
				parts = append(parts, t)
			}
		})
		if len(parts) > 0 {
			return strings.Join(parts, "\n\n")
		}
	}
	if t := readableText(doc, pageURL); t != "" {
		return t
	}
	return selectionText(doc.Find("body"))
}

// maxReadabilityElems bounds the pages readability scores: on larger ones
// it is slow, and the page's whole text is used instead.
const maxReadabilityElems = 20000

// readableText is the page's main text according to readability; "" when
// readability finds none, gives up, or fails.
func readableText(doc *goquery.Document, pageURL *url.URL) (text string) {
	if len(doc.Nodes) == 0 {
		return ""
	}
	defer func() {
		if recover() != nil { // a hostile page must not take the crawler down
			text = ""
		}
	}()
	p := readability.NewParser()
	p.MaxElemsToParse = maxReadabilityElems
	art, err := p.ParseDocument(doc.Nodes[0], pageURL)
	if err != nil || art.Node == nil {
		return ""
	}
	return nodeText(art.Node)
}

// selectionText is the plain text of the selected elements' HTML.
func selectionText(s *goquery.Selection) string {
	var b strings.Builder
	for _, n := range s.Nodes {
		b.WriteString(nodeText(n))
		b.WriteString("\n\n")
	}
	return strings.TrimSpace(b.String())
}

// nodeText renders a node back to HTML and reduces it to text, so page text
// and feed text come out of the same htmlToText.
func nodeText(n *html.Node) string {
	var b bytes.Buffer
	if err := html.Render(&b, n); err != nil {
		return ""
	}
	return htmlToText(b.String())
}

// pageCanonical is <link rel="canonical"> when it is on site (the host or a
// subdomain of it), else the fetched URL. A page not fetched over HTTP (a
// file) takes any web canonical link, or none.
func pageCanonical(doc *goquery.Document, pageURL *url.URL, site string) string {
	fetched := ""
	if pageURL.Scheme == "http" || pageURL.Scheme == "https" {
		fetched = pageURL.String()
	}
	href, ok := doc.Find(`link[rel~="canonical"]`).First().Attr("href")
	if !ok {
		return fetched
	}
	link := resolve(pageURL, href)
	if link == "" || fetched == "" {
		return cmp.Or(link, fetched)
	}
	if u, err := url.Parse(link); err != nil || !onSite(u.Hostname(), site) {
		return fetched
	}
	return link
}

// onSite reports whether host is site or a subdomain of it.
func onSite(host, site string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	site = strings.TrimSuffix(strings.ToLower(site), ".")
	return site != "" && (host == site || strings.HasSuffix(host, "."+site))
}
