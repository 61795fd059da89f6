package crawler

import (
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

// page is an article page as a bounded tree (see parseBounded) and the
// bytes it came from.
type page struct {
	doc      *goquery.Document
	body     []byte
	complete bool   // the tree holds the whole page
	tail     string // sourceTail(body)
}

// extractPage reduces an article page (UTF-8 HTML) to an article. pageURL is
// the URL the page was fetched from (its Link); site is the host whose
// subdomains a <link rel="canonical"> may point to (the source's host).
func (c *Crawler) extractPage(body []byte, pageURL *url.URL, site string, sel selectors) (*model.Article, error) {
	root, complete, err := parseBounded(body)
	if err != nil {
		return nil, err
	}
	p := &page{doc: goquery.NewDocumentFromNode(root), body: body, complete: complete, tail: sourceTail(body)}
	canon := pageCanonical(p.doc, pageURL, site)
	link := canon
	if pageURL.Scheme == "http" || pageURL.Scheme == "https" {
		link = pageURL.String()
	}
	a := &model.Article{
		Link:          link,
		CanonicalLink: canonical(canon),
		Published:     pagePublished(p.doc),
	}
	// Readability runs last: it changes the tree.
	titles := c.titleCandidates(p, sel.Title)
	text, main := c.pageBody(p, pageURL, sel.Body)
	a.Title = capText(titles.pick(main), c.maxText)
	a.Body = capText(text, c.maxText)
	return a, nil
}

// pageBody: the text of every element the Body selector picks, else the main
// text found by readability, else the text of the whole <body>. main is
// readability's result, when it ran and found one.
func (c *Crawler) pageBody(p *page, pageURL *url.URL, sel string) (text string, main *readability.Article) {
	if sel != "" {
		var parts []string
		p.doc.Find(sel).Each(func(_ int, s *goquery.Selection) {
			if t := c.selectionText(s, p.tail); t != "" {
				parts = append(parts, t)
			}
		})
		if len(parts) > 0 {
			return strings.Join(parts, "\n\n"), nil
		}
	}
	if !p.complete {
		// Only a prefix is a tree: stream the whole page's text.
		w := textWriter{limit: c.maxText}
		streamText(p.body, &w)
		return w.String(), nil
	}
	if art := readable(p.doc, pageURL); art != nil {
		if t := c.nodeText(art.Node, p.tail); t != "" {
			return t, art
		}
	}
	return c.selectionText(p.doc.Find("body"), p.tail), nil
}

// maxReadabilityElems bounds the pages readability scores: on larger ones
// it is slow, and the page's whole text is used instead.
const maxReadabilityElems = 20000

// readable is the page's main content according to readability; nil when
// readability finds none, gives up, or fails. It runs on the page's own
// tree (ParseAndMutate: no copy), so nothing may read the tree after it.
func readable(doc *goquery.Document, pageURL *url.URL) (art *readability.Article) {
	if len(doc.Nodes) == 0 {
		return nil
	}
	defer func() {
		if recover() != nil { // a hostile page must not take the crawler down
			art = nil
		}
	}()
	p := readability.NewParser()
	p.MaxElemsToParse = maxReadabilityElems
	a, err := p.ParseAndMutate(doc.Nodes[0], pageURL)
	if err != nil || a.Node == nil {
		return nil
	}
	return &a
}

// selectionText is the plain text of the selected elements.
func (c *Crawler) selectionText(s *goquery.Selection, tail string) string {
	w := textWriter{limit: c.maxText, tail: tail}
	for _, n := range s.Nodes {
		nodeText(n, &w)
		w.breakLine(true)
	}
	return strings.TrimSpace(w.String())
}

func (c *Crawler) nodeText(n *html.Node, tail string) string {
	w := textWriter{limit: c.maxText, tail: tail}
	nodeText(n, &w)
	return strings.TrimSpace(w.String())
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
