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
	"github.com/newswatch/newswatch/redact"
)

// errNotHTML marks a linked page that is not HTML (a PDF, an image).
var errNotHTML = errors.New("not an HTML page")

// articlePage is one article page as colly fetched it.
type articlePage struct {
	url         *url.URL // after redirects
	contentType string   // as served; colly is kept from converting the body
	body        []byte
}

// crawlArticles fetches the article pages (robots.txt already consulted,
// see listingLinks) with colly, one at a time (fetch paces requests per
// host), and extracts an article from each. complete is
// false when a page failed and may succeed on a later pass. found receives
// the links whose article has another canonical link.
func (c *Crawler) crawlArticles(ctx context.Context, src model.Source, links []pageLink, complete bool, found map[string]string) ([]*model.Article, bool) {
	if len(links) == 0 {
		return nil, complete
	}
	site := siteOf(src.Page)
	col := c.collector(ctx, allowPrivate(src), site)
	var articles []*model.Article
	for _, l := range links {
		if ctx.Err() != nil {
			return articles, false
		}
		a, err := c.crawlArticle(col, l.URL, site, selectors{Title: src.Title, Body: src.Body})
		if err != nil {
			c.log.Warn("crawler: article page skipped", "source", src.Name, "url", shown(src, l.URL), "err", redact.Error(err, src.SecretParams...))
			complete = complete && errors.Is(err, errNotHTML) // a PDF stays a PDF
			continue
		}
		a.Source = src.Name
		articles = append(articles, a)
		if a.CanonicalLink != l.Canonical {
			found[l.Canonical] = a.CanonicalLink
		}
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
	body, err := c.decode(page.body, page.contentType, page.url.String())
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
	ctx  context.Context // the pass's
	last *articlePage
}

// collector sets colly up for polling through fetch: every request goes
// through fetch's transport (SSRF guard, decoded-size cap, politeness).
func (c *Crawler) collector(ctx context.Context, allow bool, site string) *pageCollector {
	col := colly.NewCollector()
	// Set after NewCollector, so COLLY_* environment variables cannot undo them.
	col.AllowURLRevisit = true // polling visits the same URLs again
	col.IgnoreRobotsTxt = true // robots.txt is checked through fetch, cached per host
	col.MaxBodySize = 0        // colly's cap counts gzip bytes; fetch caps decoded bytes
	col.Async, col.CacheDir, col.DetectCharset = false, "", false
	col.MaxDepth, col.MaxRequests, col.ParseHTTPErrorResponse = 0, 0, false
	col.AllowedDomains, col.DisallowedDomains = nil, nil
	col.WithTransport(c.fetch.Transport(allow))
	col.SetRequestTimeout(0) // fetch bounds each visit (see visit), ctx the whole pass
	col.DisableCookies()
	col.SetRedirectHandler(stayOnSite(site))
	pc := &pageCollector{col: col, ctx: ctx}
	col.OnResponseHeaders(func(r *colly.Response) {
		// Keep the charset for fetch.Decode and hide it from colly, which
		// would otherwise convert the body first and Decode a second time.
		r.Ctx.Put("content_type", r.Headers.Get("Content-Type"))
		r.Headers.Del("Content-Type")
	})
	col.OnResponse(func(r *colly.Response) {
		pc.last = &articlePage{url: r.Request.URL, contentType: r.Ctx.Get("content_type"), body: r.Body}
	})
	return pc
}

// stayOnSite refuses redirects that leave site. fetch's transport refuses a
// chain longer than its MaxRedirects.
func stayOnSite(site string) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, _ []*http.Request) error {
		if !onSite(req.URL.Hostname(), site) {
			return fmt.Errorf("redirect leaves %s: %s", site, redact.URL(req.URL.String()))
		}
		return nil
	}
}

// visit fetches link synchronously and returns the page colly received.
// colly follows redirects itself, so the visit gets a fetch budget: its
// hops share one Timeout instead of each getting a fresh one.
func (pc *pageCollector) visit(link string) (*articlePage, error) {
	pc.last = nil
	pc.col.Context = fetch.WithBudget(pc.ctx) // read by Visit, synchronously
	if err := pc.col.Visit(link); err != nil {
		return nil, err
	}
	if pc.last == nil {
		return nil, errors.New("no response")
	}
	return pc.last, nil
}
