package crawler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/rss"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/urlcanon"
)

// ErrNotFeed reports a document that is not an RSS, Atom or JSON feed, such
// as an HTML error page served where a feed was expected.
var ErrNotFeed = errors.New("not a feed")

// parseFeed parses a feed already decoded to UTF-8 (see Crawler.get) into
// articles. feedURL resolves relative item links. Truncated or malformed
// documents are errors (gofeed reads to the root's end tag and reports
// them), so a partial parse never makes items look deleted. A document that
// is not a feed, such as an HTML page, is ErrNotFeed whatever its markup:
// real pages are rarely well-formed XML, and autodiscovery must see them.
// Entities declared in a DTD are never expanded (encoding/xml does not).
func (c *Crawler) parseFeed(source, feedURL string, body []byte) ([]*model.Article, error) {
	if err := checkFeedDepth(body); err != nil {
		return nil, fmt.Errorf("parse feed: %w", err)
	}
	p := gofeed.NewParser()
	// We never use item images; gofeed's fallback that finds one parses
	// every description and content as HTML, most of a feed's parse time.
	p.RSSTranslator = &rssTranslator{gofeed.DefaultRSSTranslator{DisableContentImageScan: true}}
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

// rssTranslator is gofeed's, plus RSS 2.0's rule that a <guid> is the
// item's permalink unless it says isPermaLink="false": an item with such a
// guid and no <link> is still known by its link, across sources too.
type rssTranslator struct {
	gofeed.DefaultRSSTranslator
}

func (t *rssTranslator) Translate(feed any) (*gofeed.Feed, error) {
	out, err := t.DefaultRSSTranslator.Translate(feed)
	if err != nil {
		return nil, err
	}
	in := feed.(*rss.Feed) // the default translator checked
	if len(in.Items) != len(out.Items) {
		return out, nil // gofeed translates item by item; never reached
	}
	for i, it := range in.Items {
		if o := out.Items[i]; o.Link == "" && len(o.Links) == 0 && isPermalink(it.GUID) {
			o.Link = it.GUID.Value
		}
	}
	return out, nil
}

// isPermalink: a guid that is an absolute http(s) URL and not marked
// isPermaLink="false". A relative guid is never resolved into a link.
func isPermalink(g *rss.GUID) bool {
	if g == nil || strings.EqualFold(strings.TrimSpace(g.IsPermalink), "false") {
		return false
	}
	u, err := url.Parse(strings.TrimSpace(g.Value))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
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
		Title:         capText(oneLine(htmlToText(it.Title, c.maxText)), c.maxText),
		Summary:       htmlToText(it.Description, c.maxText),
		Body:          htmlToText(it.Content, c.maxText),
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
