package crawler

import (
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// pageLink is one article link picked from a listing page.
type pageLink struct {
	URL, Canonical string
}

// linkFilter decides which links of a listing page are crawled.
type linkFilter struct {
	site string            // links must be on this host or a subdomain
	seen func(string) bool // known articles (by canonical link) are skipped
	// allowed, if set, is asked last (robots.txt); a link it refuses does
	// not count toward max.
	allowed func(link string) bool
	max     int    // at most this many, in page order
	self    string // the listing page's canonical link, never an article
	// listed, if set, receives the canonical link of every on-site link
	// on the page, taken or not.
	listed map[string]bool
}

// pickLinks returns the article links selected by sel on a listing page
// (UTF-8 HTML fetched from pageURL), resolved, on site, unseen, without
// duplicates, at most f.max of them. truncated reports that more were left.
func pickLinks(body []byte, pageURL *url.URL, sel string, f linkFilter) (links []pageLink, truncated bool, err error) {
	// A bounded tree: on a listing page past the bounds, the links of its
	// first 50,000 elements are read.
	root, _, err := parseBounded(body)
	if err != nil {
		return nil, false, err
	}
	doc := goquery.NewDocumentFromNode(root)
	base := pageURL
	if href, ok := doc.Find("base[href]").First().Attr("href"); ok {
		if u, err := pageURL.Parse(strings.TrimSpace(href)); err == nil {
			base = u
		}
	}
	done := f.listed
	if done == nil {
		done = map[string]bool{}
	}
	doc.Find(sel).EachWithBreak(func(_ int, s *goquery.Selection) bool {
		l, ok := f.accept(base, linkHref(s), done)
		if !ok {
			return true
		}
		if len(links) == f.max {
			truncated = true
			return false
		}
		links = append(links, l)
		return true
	})
	return links, truncated, nil
}

// linkHref is the href of a selected <a>, or of the first link inside the
// selected element.
func linkHref(s *goquery.Selection) string {
	if href, ok := s.Attr("href"); ok {
		return href
	}
	return s.Find("a[href]").First().AttrOr("href", "")
}

// accept resolves href and applies the filter; done tracks the canonical
// links already met on this page.
func (f linkFilter) accept(base *url.URL, href string, done map[string]bool) (pageLink, bool) {
	link := resolve(base, href)
	if link == "" {
		return pageLink{}, false
	}
	u, err := url.Parse(link)
	if err != nil || !onSite(u.Hostname(), f.site) {
		return pageLink{}, false
	}
	c := canonical(link)
	if c == "" || c == f.self || done[c] {
		return pageLink{}, false
	}
	done[c] = true
	if (f.seen != nil && f.seen(c)) || (f.allowed != nil && !f.allowed(link)) {
		return pageLink{}, false
	}
	return pageLink{URL: link, Canonical: c}, true
}

// siteOf is the host a page source's links must stay on: the source URL's
// host without a leading "www.", so www.example.com and example.com (and
// their subdomains) count as one site.
func siteOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
}

// seenVia extends seen to listing links whose article, on an earlier pass,
// turned out to be known by another canonical link (its <link
// rel="canonical">, or where the link redirected): Seen only knows articles
// by the link they were recorded under.
func seenVia(seen func(string) bool, alias map[string]string) func(string) bool {
	if seen == nil || len(alias) == 0 {
		return seen
	}
	return func(link string) bool {
		if seen(link) {
			return true
		}
		a, ok := alias[link]
		return ok && seen(a)
	}
}
