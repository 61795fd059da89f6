package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/model"
)

// ErrRobotsDisallowed reports a listing page that robots.txt forbids.
var ErrRobotsDisallowed = errors.New("disallowed by robots.txt")

// fetchPages reads a page source: the listing page with a conditional GET,
// then the unseen article pages it links to, through colly. One bad article
// page is logged and skipped; a bad listing page fails the pass.
func (c *Crawler) fetchPages(ctx context.Context, r Request) (*Result, error) {
	src := r.Source
	if src.Page == "" {
		return nil, errors.New("source has neither a feed nor a page URL")
	}
	allow := allowPrivate(src)
	if err := c.robots(ctx, src.Page, allow); err != nil {
		return nil, err
	}
	resp, body, err := c.get(ctx, fetch.Request{
		URL: src.Page, ETag: r.ETag, LastModified: r.LastModified, AllowPrivate: allow, Accept: acceptHTML,
	})
	if err != nil {
		return nil, err
	}
	res := &Result{NotModified: resp.NotModified, ETag: resp.ETag, LastModified: resp.LastModified}
	if resp.NotModified {
		return res, nil
	}
	links, complete, err := c.listingLinks(src, r.Seen, resp.URL, body)
	if err != nil {
		return nil, err
	}
	res.Articles, complete = c.crawlArticles(ctx, src, links, complete)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !complete {
		// Articles were left for later: do not let a 304 hide them.
		res.ETag, res.LastModified = "", ""
	}
	return res, nil
}

// acceptHTML is the Accept header for listing and article pages.
const acceptHTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"

// listingLinks picks the article links of a fetched listing page.
// complete is false when max_articles left some out.
func (c *Crawler) listingLinks(src model.Source, seen func(string) bool, pageURL string, body []byte) ([]pageLink, bool, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", pageURL, err)
	}
	max := src.MaxArticles
	if max <= 0 {
		max = c.maxArticles
	}
	f := linkFilter{site: siteOf(src.Page), seen: seen, max: max, self: canonical(pageURL)}
	links, truncated, err := pickLinks(body, u, src.Links, f)
	if err != nil {
		return nil, false, fmt.Errorf("%s: links: %w", pageURL, err)
	}
	return links, !truncated, nil
}

// robots returns ErrRobotsDisallowed when robots.txt forbids rawURL.
func (c *Crawler) robots(ctx context.Context, rawURL string, allow bool) error {
	ok, err := c.fetch.RobotsAllowed(ctx, rawURL, allow)
	if err != nil {
		return fmt.Errorf("robots.txt for %s: %w", rawURL, err)
	}
	if !ok {
		return fmt.Errorf("%s: %w", rawURL, ErrRobotsDisallowed)
	}
	return nil
}
