package crawler

import (
	"context"
	"errors"
	"fmt"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/redact"
)

// fetchFeed reads a feed source with a conditional GET. When the feed URL
// serves HTML, the page's advertised feed is read instead and remembered, so
// later passes go straight to it with their validators. When a remembered
// feed fails in any way (gone, or now serving a page), it is forgotten and
// the next pass discovers afresh.
func (c *Crawler) fetchFeed(ctx context.Context, r Request) (*Result, error) {
	feedURL := r.Source.Feed
	if u, ok := c.discovered.Load(r.Source.Feed); ok {
		feedURL = u.(string)
	}
	res, err := c.fetchFeedAt(ctx, r, feedURL)
	if err != nil {
		c.discovered.Delete(r.Source.Feed)
		return nil, err
	}
	return res, nil
}

// fetchFeedAt reads feedURL, the source's feed URL or the feed it led to.
func (c *Crawler) fetchFeedAt(ctx context.Context, r Request, feedURL string) (*Result, error) {
	src := r.Source
	resp, body, err := c.get(ctx, fetch.Request{
		URL: feedURL, ETag: r.ETag, LastModified: r.LastModified, AllowPrivate: allowPrivate(src),
	})
	if err != nil {
		return nil, err
	}
	res := &Result{NotModified: resp.NotModified, ETag: resp.ETag, LastModified: resp.LastModified, FeedURL: feedURL}
	if resp.NotModified {
		return res, nil
	}
	res.Articles, err = c.parseFeed(src.Name, resp.URL, body)
	if err == nil {
		return res, nil
	}
	if !errors.Is(err, ErrNotFeed) || feedURL != src.Feed || !looksLikeHTML(body, resp.ContentType) {
		return nil, fmt.Errorf("%s: %w", shown(src, feedURL), err)
	}
	res, err = c.discoverFeed(ctx, src, resp.URL, body)
	if err != nil {
		return nil, err
	}
	c.discovered.Store(src.Feed, res.FeedURL)
	return res, nil
}

// get fetches one document and converts its body to UTF-8 (not on a 304).
func (c *Crawler) get(ctx context.Context, r fetch.Request) (*fetch.Response, []byte, error) {
	resp, err := c.fetch.Get(ctx, r)
	if err != nil {
		return nil, nil, err // fetch names the URL, redacted
	}
	if resp.NotModified {
		return resp, nil, nil
	}
	body, err := c.decode(resp.Body, resp.ContentType, resp.URL)
	if err != nil {
		return nil, nil, fmt.Errorf("decode %s: %w", redact.URL(resp.URL), err)
	}
	return resp, body, nil
}

// readFeed fetches and parses feedURL without validators.
func (c *Crawler) readFeed(ctx context.Context, src model.Source, feedURL string) (*Result, error) {
	resp, body, err := c.get(ctx, fetch.Request{URL: feedURL, AllowPrivate: allowPrivate(src)})
	if err != nil {
		return nil, err
	}
	articles, err := c.parseFeed(src.Name, resp.URL, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shown(src, feedURL), err)
	}
	return &Result{ETag: resp.ETag, LastModified: resp.LastModified, FeedURL: feedURL, Articles: articles}, nil
}
