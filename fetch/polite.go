package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// hostState is one host's politeness state. Hosts are keyed by name
// without port: two ports on one machine share its capacity.
type hostState struct {
	slots chan struct{} // per-host concurrency
	lim   *rate.Limiter // per-host delay
	until time.Time     // Retry-After in force until then; guarded by Client.mu
}

func hostKey(u *url.URL) string {
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

func (c *Client) host(key string) *hostState {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hosts[key]
	if h == nil {
		h = &hostState{slots: make(chan struct{}, c.opt.PerHostConns), lim: c.hostLimiter()}
		c.hosts[key] = h
	}
	return h
}

// acquire waits for a slot on the host, its delay, then a global slot, in
// that order: holding a global slot while queueing for a busy host would
// let one slow host starve all the others. The wait is bounded by ctx only;
// the per-exchange Timeout starts once the request may go.
func (c *Client) acquire(ctx context.Context, key string) (release func(), err error) {
	h := c.host(key)
	if err := c.backoff(key, h); err != nil {
		return nil, err
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for host %s: %w", key, ctx.Err())
	}
	if err := h.lim.Wait(ctx); err != nil {
		<-h.slots
		return nil, fmt.Errorf("wait for host %s: %w", key, err)
	}
	// Check again: the request ahead of us may have been told to back off.
	if err := c.backoff(key, h); err != nil {
		<-h.slots
		return nil, err
	}
	select {
	case c.global <- struct{}{}:
	case <-ctx.Done():
		<-h.slots
		return nil, fmt.Errorf("wait for a connection slot: %w", ctx.Err())
	}
	return func() { <-c.global; <-h.slots }, nil
}

// backoff fails fast while the host's Retry-After is in force. We fail
// rather than wait because Retry-After can be minutes or hours: a scheduled
// daemon should free the worker and let its own backoff retry the source.
func (c *Client) backoff(key string, h *hostState) error {
	c.mu.Lock()
	until := h.until
	c.mu.Unlock()
	if c.now().Before(until) {
		return &BackoffError{Host: key, Until: until}
	}
	return nil
}

// noteRetryAfter records a 429 or 503's Retry-After against the host.
func (c *Client) noteRetryAfter(key string, resp *http.Response) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return
	}
	now := c.now()
	d := parseRetryAfter(resp.Header.Get("Retry-After"), now)
	if d <= 0 {
		return
	}
	h := c.host(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := now.Add(d); until.After(h.until) {
		h.until = until
	}
}
