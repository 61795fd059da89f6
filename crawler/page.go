package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/redact"
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
	articles, complete, err := c.readListing(ctx, r, resp.URL, body)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Articles = articles
	if !complete {
		// Articles were left for later: do not let a 304 hide them.
		res.ETag, res.LastModified = "", ""
	}
	return res, nil
}

// readListing reads the articles a fetched listing page links to. complete
// is false when some were left for a later pass.
func (c *Crawler) readListing(ctx context.Context, r Request, pageURL string, body []byte) ([]*model.Article, bool, error) {
	known, _ := c.aliases.Load(r.Source.Name)
	alias, _ := known.(map[string]string)
	listed := map[string]bool{}
	links, complete, err := c.listingLinks(ctx, r.Source, seenVia(r.Seen, alias), listed, pageURL, body)
	if err != nil {
		return nil, false, err
	}
	found := map[string]string{}
	articles, complete := c.crawlArticles(ctx, r.Source, links, complete, found)
	c.rememberAliases(r.Source.Name, alias, found, listed)
	return articles, complete, nil
}

// acceptHTML is the Accept header for listing and article pages.
const acceptHTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"

// listingLinks picks the article links of a fetched listing page: on
// site, unseen, allowed by robots.txt, at most max_articles of them (links
// robots.txt forbids do not count). complete is false when some were left
// out: by max_articles, or because robots.txt could not be read. listed
// receives the canonical link of every on-site link on the page.
func (c *Crawler) listingLinks(ctx context.Context, src model.Source, seen func(string) bool, listed map[string]bool, pageURL string, body []byte) ([]pageLink, bool, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", shown(src, pageURL), err)
	}
	max := src.MaxArticles
	if max <= 0 {
		max = c.maxArticles
	}
	allowed, unsure := c.robotsFilter(ctx, src)
	f := linkFilter{site: siteOf(src.Page), seen: seen, allowed: allowed, max: max, self: canonical(pageURL), listed: listed}
	links, truncated, err := pickLinks(body, u, src.Links, f)
	if err != nil {
		return nil, false, fmt.Errorf("%s: links: %w", shown(src, pageURL), err)
	}
	return links, !truncated && !*unsure, nil
}

// robotsFilter reports whether robots.txt lets a page source fetch a link.
// A link is skipped (and logged) when it does not, or when robots.txt could
// not be read; then *unsure is set, since a later pass may succeed.
func (c *Crawler) robotsFilter(ctx context.Context, src model.Source) (allowed func(link string) bool, unsure *bool) {
	allow := allowPrivate(src)
	unsure = new(bool)
	return func(link string) bool {
		err := c.robots(ctx, link, allow)
		if err != nil {
			c.log.Info("crawler: article page skipped", "source", src.Name, "url", shown(src, link), "err", redact.Error(err, src.SecretParams...))
			*unsure = *unsure || !errors.Is(err, ErrRobotsDisallowed)
		}
		return err == nil
	}, unsure
}

// rememberAliases keeps, for each link on this pass's listing, the
// canonical link its article turned out to have where the two differ
// (found: this pass; old: earlier ones), so seenVia can skip it next time.
// Links gone from the listing are forgotten, which bounds the table.
func (c *Crawler) rememberAliases(source string, old, found map[string]string, listed map[string]bool) {
	next := map[string]string{}
	for link := range listed {
		if a, ok := found[link]; ok {
			next[link] = a
		} else if a, ok := old[link]; ok {
			next[link] = a
		}
	}
	if len(next) == 0 {
		c.aliases.Delete(source)
		return
	}
	c.aliases.Store(source, next) // never modified once stored
}

// robots returns ErrRobotsDisallowed when robots.txt forbids rawURL.
func (c *Crawler) robots(ctx context.Context, rawURL string, allow bool) error {
	ok, err := c.fetch.RobotsAllowed(ctx, rawURL, allow)
	if err != nil {
		return fmt.Errorf("robots.txt for %s: %w", redact.URL(rawURL), err)
	}
	if !ok {
		return fmt.Errorf("%s: %w", redact.URL(rawURL), ErrRobotsDisallowed)
	}
	return nil
}
