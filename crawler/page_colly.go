package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gocolly/colly/v2"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/model"
)

// errNotHTML marks a linked page that is not HTML (a PDF, an image).
var errNotHTML = errors.New("not an HTML page")

// maxRedirects caps an article page's redirect chain (fetch caps it too).
const maxRedirects = 10

// articlePage is one article page as colly fetched it.
type articlePage struct {
	url         *url.URL // after redirects
	contentType string   // as served; colly is kept from converting the body
	body        []byte
}

// crawlArticles fetches the article pages with colly, one at a time (fetch
// paces requests per host), and extracts an article from each. complete is
// false when a page failed and may succeed on a later pass.
func (c *Crawler) crawlArticles(ctx context.Context, src model.Source, links []pageLink, complete bool) ([]*model.Article, bool) {
	if len(links) == 0 {
		return nil, complete
	}
	allow := allowPrivate(src)
	site := siteOf(src.Page)
	col := c.collector(ctx, allow, site)
	var articles []*model.Article
	for _, l := range links {
		if ctx.Err() != nil {
			return articles, false
		}
		if err := c.robots(ctx, l.URL, allow); err != nil {
			c.log.Info("crawler: article page skipped", "source", src.Name, "url", l.URL, "err", err)
			complete = complete && errors.Is(err, ErrRobotsDisallowed)
			continue
		}
		a, err := c.crawlArticle(col, l.URL, site, selectors{Title: src.Title, Body: src.Body})
		if err != nil {
			c.log.Warn("crawler: article page skipped", "source", src.Name, "url", l.URL, "err", err)
			complete = complete && errors.Is(err, errNotHTML) // a PDF stays a PDF
			continue
		}
		a.Source = src.Name
		articles = append(articles, a)
	}
	return articles, complete
}

// crawlArticle visits one article page and extracts its article.
func (c *Crawler) crawlArticle(col *pageCollector, link, site string, sel selectors) (*model.Article, error) {
	page, err := col.visit(link)
	if err != nil {
		return nil, err
	}
	if page.contentType != "" && !looksLikeHTML(page.body, page.contentType) {
		return nil, fmt.Errorf("%w: %s", errNotHTML, page.contentType)
	}
	body, err := fetch.ToUTF8(page.body, page.contentType)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	a, err := c.extractPage(body, page.url, site, sel)
	if err != nil {
		return nil, err
	}
	if a.CanonicalLink == "" {
		return nil, errors.New("no usable link")
	}
	return a, nil
}

// pageCollector wraps a colly collector that visits one page at a time.
type pageCollector struct {
	col  *colly.Collector
	last *articlePage
}

// collector sets colly up for polling through fetch: every request goes
// through fetch's transport (SSRF guard, decoded-size cap, politeness).
func (c *Crawler) collector(ctx context.Context, allow bool, site string) *pageCollector {
	col := colly.NewCollector()
	// Set after NewCollector, so COLLY_* environment variables cannot undo them.
	col.Context = ctx
	col.AllowURLRevisit = true // polling visits the same URLs again
	col.IgnoreRobotsTxt = true // robots.txt is checked through fetch, cached per host
	col.MaxBodySize = 0        // colly's cap counts gzip bytes; fetch caps decoded bytes
	col.Async, col.CacheDir, col.DetectCharset = false, "", false
	col.MaxDepth, col.MaxRequests, col.ParseHTTPErrorResponse = 0, 0, false
	col.AllowedDomains, col.DisallowedDomains = nil, nil
	col.WithTransport(c.fetch.Transport(allow))
	col.SetRequestTimeout(0) // fetch bounds each exchange, ctx the whole pass
	col.DisableCookies()
	col.SetRedirectHandler(stayOnSite(site))
	pc := &pageCollector{col: col}
	col.OnResponseHeaders(func(r *colly.Response) {
		// Keep the charset for fetch.ToUTF8 and hide it from colly, which
		// would otherwise convert the body first and ToUTF8 a second time.
		r.Ctx.Put("content_type", r.Headers.Get("Content-Type"))
		r.Headers.Del("Content-Type")
	})
	col.OnResponse(func(r *colly.Response) {
		pc.last = &articlePage{url: r.Request.URL, contentType: r.Ctx.Get("content_type"), body: r.Body}
	})
	return pc
}

// stayOnSite refuses redirects that leave site or go on too long.
func stayOnSite(site string) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fetch.ErrTooManyRedirects
		}
		if !onSite(req.URL.Hostname(), site) {
			return fmt.Errorf("redirect leaves %s: %s", site, req.URL.Redacted())
		}
		return nil
	}
}

// visit fetches link synchronously and returns the page colly received.
func (pc *pageCollector) visit(link string) (*articlePage, error) {
	pc.last = nil
	if err := pc.col.Visit(link); err != nil {
		return nil, err
	}
	if pc.last == nil {
		return nil, errors.New("no response")
	}
	return pc.last, nil
}
