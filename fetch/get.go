package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/newswatch/newswatch/redact"
)

// DefaultAccept asks for feeds first, then HTML (for feed autodiscovery).
const DefaultAccept = "application/rss+xml, application/atom+xml, application/feed+json, " +
	"application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"

// Request is one GET.
type Request struct {
	URL                string
	ETag, LastModified string // conditional GET: the validators of the last response
	AllowPrivate       bool   // permit private/loopback/link-local targets
	Accept             string // default DefaultAccept
}

// Response is a 2xx or 304 answer.
type Response struct {
	URL         string // final URL after redirects
	StatusCode  int
	NotModified bool // 304
	// ETag and LastModified are the validators to send next time. On a 304
	// that omits them, the request's are kept.
	ETag, LastModified string
	ContentType        string
	Body               []byte // decompressed, capped, NOT charset-converted
}

// Get fetches r.URL, following redirects. A status other than 2xx or 304
// is a *StatusError; errors wrap ErrTooLarge, ErrBlockedAddress,
// ErrTooManyRedirects, ErrUnsupportedScheme, ErrHostBackoff or
// context.DeadlineExceeded where those apply. Timeout bounds the whole
// request, every redirect hop and body included, counted from the moment
// the first hop gets its politeness slot: time queueing for that slot is
// bounded by ctx alone.
func (c *Client) Get(ctx context.Context, r Request) (*Response, error) {
	resp, err := c.do(ctx, r)
	if err != nil {
		// Every URL in the message (ours, one a url.Parse error quotes, a
		// redirect's) goes through redact.
		return nil, redact.Error(fmt.Errorf("fetch: get %s: %w", r.URL, err))
	}
	final := resp.Request.URL.String()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out := response(final, resp, nil)
		out.NotModified = true
		out.ETag = orDefault(out.ETag, r.ETag)
		out.LastModified = orDefault(out.LastModified, r.LastModified)
		return out, nil
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return response(final, resp, bodyBytes(resp)), nil
	}
	return nil, &StatusError{
		URL:        redact.URL(final),
		Code:       resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
	}
}

func (c *Client) do(ctx context.Context, r Request) (*http.Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return nil, err
	}
	if err := checkScheme(u); err != nil {
		return nil, err
	}
	// Wait for the first hop's slot here, before any of the HTTP machinery
	// exists: with thousands of sources due at once, a waiting Get then
	// holds a few hundred bytes and a shallow stack, not a request, its
	// contexts and a deep stack inside http.Client.
	pre, err := c.preAcquire(ctx, hostKey(u))
	if err != nil {
		return nil, err
	}
	defer pre.drop()
	ctx = context.WithValue(ctx, heldKey{}, pre)
	req, err := http.NewRequestWithContext(WithBudget(ctx), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	setHeaders(req, r)
	hc := &http.Client{Transport: &transport{c: c, allowPrivate: r.AllowPrivate, class: feedClass}, CheckRedirect: c.checkRedirect}
	resp, err := hc.Do(req)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // we name the URL ourselves
	}
	return resp, err
}

func setHeaders(req *http.Request, r Request) {
	req.Header.Set("Accept", orDefault(r.Accept, DefaultAccept))
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}
}

// checkRedirect allows at most MaxRedirects redirects, to http(s) only.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.opt.MaxRedirects {
		return fmt.Errorf("redirect %d, limit %d: %w", len(via), c.opt.MaxRedirects, ErrTooManyRedirects)
	}
	return checkScheme(req.URL)
}

func response(final string, resp *http.Response, body []byte) *Response {
	return &Response{
		URL:          final,
		StatusCode:   resp.StatusCode,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		ContentType:  resp.Header.Get("Content-Type"),
		Body:         body,
	}
}

// bodyBytes takes the body our transport already read, without a copy.
func bodyBytes(resp *http.Response) []byte {
	if mb, ok := resp.Body.(memBody); ok {
		return mb.data
	}
	b, _ := io.ReadAll(resp.Body) // not reached: our transport always sets memBody
	return b
}

// orDefault returns a if set, else b.
func orDefault(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
