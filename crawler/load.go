package crawler

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/redact"
)

// TestSource is the source name of articles loaded from a URL or stdin.
const TestSource = "test"

// maxLoadSize caps a file or stdin read by Load, like fetch caps a body.
const maxLoadSize = fetch.DefaultMaxBodySize

// Load reads one target for `newswatch test`: an http(s) URL (private
// addresses allowed: the user named it), a file path, or "-" for stdin. A
// feed yields its items; an HTML page one article with its main text; plain
// text one article whose first line is the title and the rest the body.
func (c *Crawler) Load(ctx context.Context, target string) ([]*model.Article, error) {
	articles, err := c.load(ctx, target)
	if err != nil {
		return nil, redact.Error(fmt.Errorf("crawler: %s: %w", target, err))
	}
	return articles, nil
}

func (c *Crawler) load(ctx context.Context, target string) ([]*model.Article, error) {
	switch {
	case target == "-":
		body, err := readCapped(c.stdin)
		if err != nil {
			return nil, err
		}
		return c.loadDocument(TestSource, nil, body, "")
	case strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "https://"):
		resp, err := c.fetch.Get(ctx, fetch.Request{URL: target, AllowPrivate: true})
		if err != nil {
			return nil, err
		}
		base, err := url.Parse(resp.URL)
		if err != nil {
			return nil, err
		}
		return c.loadDocument(TestSource, base, resp.Body, resp.ContentType)
	}
	f, err := os.Open(target)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	body, err := readCapped(f)
	if err != nil {
		return nil, err
	}
	return c.loadDocument(filepath.Base(target), nil, body, "")
}

// loadDocument decodes raw bytes and reads them as a feed, an HTML page or
// plain text. base is where the document came from (nil for files and stdin).
func (c *Crawler) loadDocument(source string, base *url.URL, raw []byte, contentType string) ([]*model.Article, error) {
	body, err := c.decode(raw, contentType, source)
	if err != nil {
		return nil, err
	}
	baseURL := ""
	if base != nil {
		baseURL = base.String()
	}
	switch detectKind(body, contentType) {
	case kindFeed:
		return c.parseFeed(source, baseURL, body)
	case kindHTML:
		page := base
		if page == nil {
			page = &url.URL{}
		}
		a, err := c.extractPage(body, page, page.Hostname(), selectors{})
		if err != nil {
			return nil, err
		}
		a.Source = source
		return []*model.Article{a}, nil
	}
	if strings.TrimSpace(string(body)) == "" {
		return nil, nil // an empty file is no article
	}
	return []*model.Article{c.textArticle(source, baseURL, string(body))}, nil
}

// textArticle: the first non-blank line is the title, the rest the body.
func (c *Crawler) textArticle(source, link, text string) *model.Article {
	text = strings.TrimLeft(strings.ReplaceAll(text, "\r\n", "\n"), " \t\r\n")
	title, body, _ := strings.Cut(text, "\n")
	return &model.Article{
		Source:        source,
		Link:          link,
		CanonicalLink: canonical(link),
		Title:         capText(oneLine(title), c.maxText),
		Body:          capText(strings.TrimSpace(body), c.maxText),
	}
}

// readCapped reads r to its end, refusing more than maxLoadSize bytes.
func readCapped(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxLoadSize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxLoadSize {
		return nil, fmt.Errorf("more than %d bytes: %w", maxLoadSize, fetch.ErrTooLarge)
	}
	return body, nil
}
