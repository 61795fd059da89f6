package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/newswatch/newswatch/model"
)

// maxFeedCandidates bounds how many advertised feeds one page may make us try.
const maxFeedCandidates = 3

// ErrNoFeed reports an HTML page, served where a feed was expected, that
// advertises no readable feed.
var ErrNoFeed = errors.New("HTML page advertises no feed")

// Discover returns the feed a feed source actually reads: its URL when that
// serves a feed, else the first feed its HTML page advertises with
// <link rel="alternate"> that parses. Page sources have no feed: "".
func (c *Crawler) Discover(ctx context.Context, src model.Source) (string, error) {
	if src.Feed == "" {
		return "", nil
	}
	res, err := c.fetchFeedAt(ctx, Request{Source: src}, src.Feed)
	if err != nil {
		return "", sourceError(src, err)
	}
	return res.FeedURL, nil
}

// discoverFeed reads the first feed advertised by the HTML page at pageURL
// that fetches and parses.
func (c *Crawler) discoverFeed(ctx context.Context, src model.Source, pageURL string, page []byte) (*Result, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shown(src, pageURL), err)
	}
	links := feedLinks(page, base)
	if len(links) == 0 {
		return nil, fmt.Errorf("%s: %w", shown(src, pageURL), ErrNoFeed)
	}
	var errs []error
	for _, link := range links[:min(len(links), maxFeedCandidates)] {
		res, err := c.readFeed(ctx, src, link)
		if err == nil {
			return res, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("%s: %w: %w", shown(src, pageURL), ErrNoFeed, errors.Join(errs...))
}
