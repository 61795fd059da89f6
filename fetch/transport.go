package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// transport is what Transport returns: politeness, the guard (through the
// base transport's dialer), the per-exchange deadline, decoding and the cap.
type transport struct {
	c            *Client
	allowPrivate bool
	class        class
}

// memBody is a fully read, decoded body. Get takes its bytes directly
// instead of copying them.
type memBody struct {
	*bytes.Reader
	data []byte
}

func (memBody) Close() error { return nil }

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close() // a RoundTripper must close it, even on error
	}
	if err := checkScheme(req.URL); err != nil {
		return nil, err
	}
	if n := redirectDepth(req); n > t.c.opt.MaxRedirects {
		return nil, fmt.Errorf("redirect %d, limit %d: %w", n, t.c.opt.MaxRedirects, ErrTooManyRedirects)
	}
	key := hostKey(req.URL)
	h, release, ok := takeHeld(req.Context(), key, t.class)
	if !ok {
		var err error
		if h, release, err = t.c.acquire(req.Context(), key, t.class); err != nil {
			return nil, err
		}
	}
	defer release()
	return t.exchange(req, h)
}

// heldKey marks a context carrying a *held: the slot Get acquired for its
// first hop before building the request.
type heldKey struct{}

// held is a host slot acquired ahead of the request that will use it. The
// first hop to its host takes it (and releases it when done); Get drops it
// if no hop did.
type held struct {
	mu      sync.Mutex
	key     string
	class   class
	h       *hostState
	release func()
	taken   bool
}

func (c *Client) preAcquire(ctx context.Context, key string) (*held, error) {
	h, release, err := c.acquire(ctx, key, feedClass)
	if err != nil {
		return nil, err
	}
	return &held{key: key, class: feedClass, h: h, release: release}, nil
}

// takeHeld hands the context's held slot to a hop for key, once.
func takeHeld(ctx context.Context, key string, cl class) (*hostState, func(), bool) {
	p, _ := ctx.Value(heldKey{}).(*held)
	if p == nil {
		return nil, nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.taken || p.key != key || p.class != cl {
		return nil, nil, false
	}
	p.taken = true
	return p.h, p.release, true
}

// drop releases the slot if no hop took it.
func (p *held) drop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.taken {
		p.taken = true
		p.release()
	}
}

// exchange performs one request under the Timeout (see exchangeDeadline),
// reading and decoding the whole body before the deadline is released: the
// deadline must cover the body, or a one-byte-a-second drip would hold a
// worker forever.
func (t *transport) exchange(req *http.Request, h *hostState) (*http.Response, error) {
	ctx, cancel := context.WithDeadline(req.Context(), exchangeDeadline(req.Context(), t.c.opt.Timeout))
	defer cancel()
	out := req.Clone(ctx) // never modify the caller's request
	out.Header.Set("User-Agent", t.c.opt.UserAgent)
	out.Header.Set("Accept-Encoding", "gzip, deflate")
	start := t.c.now()
	resp, err := t.c.base(t.allowPrivate).RoundTrip(out)
	t.c.adapt(h, outcome{resp: resp, err: err, elapsed: t.c.now().Sub(start)})
	if err != nil {
		return nil, withDeadline(ctx, t.c.opt.Timeout, err)
	}
	data, err := readBody(resp, t.c.opt.MaxBodySize)
	if err != nil {
		return nil, withDeadline(ctx, t.c.opt.Timeout, fmt.Errorf("read body: %w", err))
	}
	resp.Body = memBody{bytes.NewReader(data), data}
	resp.ContentLength = int64(len(data))
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	resp.Uncompressed = true
	resp.Request = req
	return resp, nil
}

// budgetKey marks a context carrying a *budget (see WithBudget).
type budgetKey struct{}

// WithBudget returns a context under which every hop that goes through
// Transport shares one Timeout, counted from the start of the first, as the
// redirects of one Get do. Without it each hop has a Timeout of its own, so
// a caller that follows redirects itself (colly) should use a fresh one for
// each page it visits: else a chain of slow hops runs to MaxRedirects+1
// times the Timeout.
func WithBudget(ctx context.Context) context.Context {
	return context.WithValue(ctx, budgetKey{}, &budget{})
}

// budget is a deadline that starts when the first hop may go, so time
// spent queueing for that first politeness slot is not counted.
type budget struct {
	mu       sync.Mutex
	deadline time.Time
}

// exchangeDeadline is when this hop must be done: timeout from now, or,
// within Get, timeout from the start of the first hop.
func exchangeDeadline(ctx context.Context, timeout time.Duration) time.Time {
	now := time.Now()
	b, ok := ctx.Value(budgetKey{}).(*budget)
	if !ok {
		return now.Add(timeout)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.deadline.IsZero() {
		b.deadline = now.Add(timeout)
	}
	return b.deadline
}

// withDeadline makes a timeout say so, and keeps it recognisable with
// errors.Is(err, context.DeadlineExceeded) whatever error the cut
// connection produced.
func withDeadline(ctx context.Context, timeout time.Duration, err error) error {
	ctxErr := ctx.Err()
	switch {
	case ctxErr != context.DeadlineExceeded:
		return err
	case errors.Is(err, ctxErr):
		return fmt.Errorf("exchange deadline %s: %w", timeout, err)
	}
	return fmt.Errorf("exchange deadline %s: %w (%w)", timeout, ctxErr, err)
}

func checkScheme(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: %w", u.Scheme, ErrUnsupportedScheme)
	}
	return nil
}

// redirectDepth counts the redirects that led to req: http.Client links
// each redirected request to the response that caused it.
func redirectDepth(req *http.Request) int {
	n := 0
	for r := req; r.Response != nil && r.Response.Request != nil && n < 1000; r = r.Response.Request {
		n++
	}
	return n
}
