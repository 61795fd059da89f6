package crawler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/urlcanon"
)

// ErrNotFeed reports a document that is not an RSS, Atom or JSON feed, such
// as an HTML error page served where a feed was expected.
var ErrNotFeed = errors.New("not a feed")

// parseFeed parses a feed already decoded to UTF-8 (see decodeFeed) into
// articles. feedURL resolves relative item links. Truncated or malformed
// documents are errors: a partial parse would make items look deleted.
func (c *Crawler) parseFeed(source, feedURL string, body []byte) ([]*model.Article, error) {
	if err := checkFeedSyntax(body); err != nil {
		return nil, err
	}
	p := gofeed.NewParser()
	// We never use item images; gofeed's fallback that finds one parses
	// every description and content as HTML, most of a feed's parse time.
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	feed, err := p.Parse(bytes.NewReader(body))
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, ErrNotFeed
	}
	if err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}
	base, _ := url.Parse(feedURL)
	articles := make([]*model.Article, 0, len(feed.Items))
	for _, it := range feed.Items {
		if it != nil {
			articles = append(articles, c.feedArticle(source, base, it))
		}
	}
	return articles, nil
}

// feedArticle converts one gofeed item into a plain-text article.
func (c *Crawler) feedArticle(source string, base *url.URL, it *gofeed.Item) *model.Article {
	link := resolve(base, it.Link)
	if link == "" && len(it.Links) > 0 {
		link = resolve(base, it.Links[0])
	}
	a := &model.Article{
		Source:        source,
		GUID:          capText(oneLine(it.GUID), c.maxText),
		Link:          link,
		CanonicalLink: canonical(link),
		Title:         capText(oneLine(htmlToText(it.Title)), c.maxText),
		Summary:       capText(htmlToText(it.Description), c.maxText),
		Body:          capText(htmlToText(it.Content), c.maxText),
		Published:     itemTime(it),
	}
	if a.GUID == "" && a.CanonicalLink == "" {
		a.GUID = contentGUID(a)
	}
	return a
}

// contentGUID gives an item with neither GUID nor link a key of its own,
// derived from its title, summary and date, so it is still seen only once.
func contentGUID(a *model.Article) string {
	h := sha256.New()
	for _, s := range []string{a.Title, a.Summary, a.Published.Format(time.RFC3339)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// itemTime is the item's published time, else its updated time, in UTC;
// zero when neither parses.
func itemTime(it *gofeed.Item) time.Time {
	switch {
	case it.PublishedParsed != nil:
		return it.PublishedParsed.UTC()
	case it.UpdatedParsed != nil:
		return it.UpdatedParsed.UTC()
	}
	return time.Time{}
}

// resolve makes ref absolute against base; "" when ref is empty or unusable.
func resolve(base *url.URL, ref string) string {
	ref = oneLine(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return ""
	}
	return u.String()
}

// canonical is urlcanon.Canonical of an absolute link, or "" when the link
// cannot be canonicalised.
func canonical(link string) string {
	if link == "" {
		return ""
	}
	c, err := urlcanon.Canonical(link)
	if err != nil {
		return ""
	}
	return c
}
