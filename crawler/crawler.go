package crawler

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/redact"
)

// Defaults for the zero values of Options.
const (
	DefaultMaxArticles  = 30
	DefaultMaxTextBytes = 1 << 20
)

// Options configures a Crawler.
type Options struct {
	// Fetch does every request; share the daemon's client so politeness
	// and the robots.txt cache are shared. Default: fetch.New with defaults.
	Fetch *fetch.Client
	// MaxArticles caps the article pages fetched per pass of a page source
	// whose own MaxArticles is zero; default 30.
	MaxArticles int
	// MaxTextBytes caps each text field of an article (cut at a rune
	// boundary); default 1 MiB, above any real article.
	MaxTextBytes int
	// Logger receives one line per skipped article page; default discards.
	Logger *slog.Logger
	// Stdin is what Load reads for the target "-"; default os.Stdin.
	Stdin io.Reader
}

// Crawler reads sources into articles. It is safe for concurrent use.
type Crawler struct {
	fetch       *fetch.Client
	maxArticles int
	maxText     int
	log         *slog.Logger
	stdin       io.Reader
	// discovered maps a feed source's URL to the feed its HTML page
	// advertised, so later passes fetch the feed directly.
	discovered sync.Map
	// aliases maps a page source's name to what rememberAliases keeps.
	aliases sync.Map
}

// New returns a Crawler with o's zero values defaulted.
func New(o Options) *Crawler {
	c := &Crawler{fetch: o.Fetch, maxArticles: o.MaxArticles, maxText: o.MaxTextBytes, log: o.Logger}
	if c.fetch == nil {
		c.fetch = fetch.New(fetch.Options{})
	}
	if c.maxArticles <= 0 {
		c.maxArticles = DefaultMaxArticles
	}
	if c.maxText <= 0 {
		c.maxText = DefaultMaxTextBytes
	}
	if c.stdin = o.Stdin; c.stdin == nil {
		c.stdin = os.Stdin
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Request is one pass over a source.
type Request struct {
	Source model.Source
	// ETag and LastModified are the validators of the last successful fetch.
	ETag, LastModified string
	// Seen reports whether an article (by canonical link) is already known,
	// so a page source does not fetch it again. Nil means nothing is known.
	Seen func(canonicalLink string) bool
}

// Result is what one pass found.
type Result struct {
	// NotModified is set when the feed or listing page answered 304; there
	// are no articles then.
	NotModified bool
	// ETag and LastModified are the validators to send next time.
	ETag, LastModified string
	// FeedURL is the feed actually read: the source's feed URL, or the feed
	// an HTML page pointed to (autodiscovery). Empty for page sources.
	FeedURL string
	// Articles are in document order, CanonicalLink filled.
	Articles []*model.Article
}

// Fetch reads the source once: a feed (following autodiscovery when the
// feed URL serves HTML) or a page source (listing page, then article pages).
// Any error means the source failed this pass and Result is nil; one bad
// article page of a page source is only logged.
//
// A page source's Result carries no validators when articles were left for
// a later pass (max_articles reached, a page failed), so a 304 on the
// listing cannot hide them. For an autodiscovered feed the validators are
// the feed's; the discovered URL is remembered in memory, so after a restart
// the first request (to the HTML page) carries the feed's validators.
func (c *Crawler) Fetch(ctx context.Context, r Request) (*Result, error) {
	var (
		res *Result
		err error
	)
	if r.Source.Feed != "" {
		res, err = c.fetchFeed(ctx, r)
	} else {
		res, err = c.fetchPages(ctx, r)
	}
	if err != nil {
		return nil, sourceError(r.Source, err)
	}
	return res, nil
}

// sourceError is how a source's failure leaves the crawler: named after
// the source, with every URL in its text (ours, and those that fetch,
// net/http or colly quote) redacted with the source's secret parameters.
// The wrapping here is the last line: the URLs we format ourselves are
// redacted where we format them too (shown).
func sourceError(src model.Source, err error) error {
	return redact.Error(fmt.Errorf("crawler: %s: %w", src.Name, err), src.SecretParams...)
}

// shown is a URL of src as it may appear in an error or a log line.
func shown(src model.Source, u string) string { return redact.URL(u, src.SecretParams...) }

// allowPrivate is a source's permission to reach private addresses, on
// every hop (redirects, autodiscovered feeds, article links): what
// allow_private says when it is set; unset, whether the source's own URL
// names a private or loopback host (an IP literal, localhost), since
// writing such a URL is as explicit as writing allow_private: true.
func allowPrivate(src model.Source) bool {
	if src.AllowPrivate || src.PrivateSet {
		return src.AllowPrivate
	}
	return fetch.HostIsPrivate(src.URL())
}
