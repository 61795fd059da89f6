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

	// Guarded by Client.mu.
	until time.Time // Retry-After in force until then
	users int       // acquire calls waiting for or holding a slot
	idle  time.Time // when the last user let go
}

// sweepMin is the table size (hosts, robots.txt entries) below which
// nothing is swept.
const sweepMin = 256

func hostKey(u *url.URL) string {
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

// hostRef returns key's state, counted as in use until unref: only unused
// states are swept, so two states never exist for one host at once.
func (c *Client) hostRef(key string) *hostState {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hosts[key]
	if h == nil {
		c.sweepHosts()
		h = &hostState{slots: make(chan struct{}, c.opt.PerHostConns), lim: c.hostLimiter()}
		c.hosts[key] = h
	}
	h.users++
	return h
}

func (c *Client) unref(h *hostState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h.users--
	h.idle = c.now()
}

// sweepHosts forgets the hosts that a fresh state would treat the same:
// unused, past their Retry-After and their delay. A daemon meets an
// unbounded number of hosts over its life (redirect targets, subdomains a
// listing page links to), so the table must not keep them all. It sweeps
// when the table has doubled since the last sweep, so the cost is
// amortised over insertions. c.mu must be held.
func (c *Client) sweepHosts() {
	if len(c.hosts) < c.hostsSweepAt {
		return
	}
	now := c.now()
	for k, h := range c.hosts {
		if h.users == 0 && !now.Before(h.until) && now.Sub(h.idle) >= c.opt.PerHostDelay {
			delete(c.hosts, k)
		}
	}
	c.hostsSweepAt = max(2*len(c.hosts), sweepMin)
}

// acquire waits for a slot on the host, its delay, then a global slot, in
// that order: holding a global slot while queueing for a busy host would
// let one slow host starve all the others. The wait is bounded by ctx only;
// the per-exchange Timeout starts once the request may go.
func (c *Client) acquire(ctx context.Context, key string) (h *hostState, release func(), err error) {
	h = c.hostRef(key)
	if err := c.wait(ctx, key, h); err != nil {
		c.unref(h)
		return nil, nil, err
	}
	return h, func() { <-c.global; <-h.slots; c.unref(h) }, nil
}

func (c *Client) wait(ctx context.Context, key string, h *hostState) error {
	if err := c.backoff(key, h); err != nil {
		return err
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for host %s: %w", key, ctx.Err())
	}
	if err := h.lim.Wait(ctx); err != nil {
		<-h.slots
		return fmt.Errorf("wait for host %s: %w", key, err)
	}
	// Check again: the request ahead of us may have been told to back off.
	if err := c.backoff(key, h); err != nil {
		<-h.slots
		return err
	}
	select {
	case c.global <- struct{}{}:
	case <-ctx.Done():
		<-h.slots
		return fmt.Errorf("wait for a connection slot: %w", ctx.Err())
	}
	return nil
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
func (c *Client) noteRetryAfter(h *hostState, resp *http.Response) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return
	}
	now := c.now()
	d := parseRetryAfter(resp.Header.Get("Retry-After"), now)
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := now.Add(d); until.After(h.until) {
		h.until = until
	}
}
