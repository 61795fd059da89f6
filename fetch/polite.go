package fetch

import (
	"context"
	"errors"
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
	lanes [2]*lane // by class
	gen   int      // the paces generation the lanes were built for

	// Guarded by Client.mu.
	until  time.Time // Retry-After in force until then
	users  int       // acquire calls waiting for or holding a slot
	idle   time.Time // when the last user let go
	factor float64   // 1: full pace; lowered by trouble (see adapt)
	calm   time.Time // no restore step before this
}

// lane is one class's bucket and connection cap on a host.
type lane struct {
	base  Pace
	slots chan struct{}
	lim   *rate.Limiter
}

func newLane(base Pace, factor float64) *lane {
	r, b := effective(base, factor)
	return &lane{base: base, slots: make(chan struct{}, base.Conns), lim: rate.NewLimiter(r, b)}
}

// forgetPenalty is how long a lowered host must be left alone before the
// table may forget it (and with it the penalty): by then steady success
// would have restored most of its rate anyway.
const forgetPenalty = 10 * time.Minute

// sweepMin is the table size (hosts, robots.txt entries) below which
// nothing is swept.
const sweepMin = 256

func hostKey(u *url.URL) string {
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

// hostRef returns key's state and its lane for cl, counted as in use until
// unref: only unused states are swept, so two states never exist for one
// host at once. Lanes built for an older policy (before SetPaces) are
// rebuilt; requests holding a slot of an old lane release it there.
func (c *Client) hostRef(key string, cl class) (*hostState, *lane) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hosts[key]
	if h == nil {
		c.sweepHosts()
		h = &hostState{factor: 1, gen: -1}
		c.hosts[key] = h
	}
	if h.gen != c.gen {
		for i := range h.lanes {
			h.lanes[i] = newLane(c.paces.pace(key, class(i)), h.factor)
		}
		h.gen = c.gen
	}
	h.users++
	return h, h.lanes[cl]
}

func (c *Client) unref(h *hostState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h.users--
	h.idle = c.now()
}

// sweepHosts forgets the hosts that a fresh state would treat the same:
// unused, past their Retry-After, idle long enough for their buckets to
// have refilled, and not lowered by trouble in the last forgetPenalty. A daemon meets an unbounded number of
// hosts over its life (redirect targets, subdomains a listing page links
// to), so the table must not keep them all. It sweeps when the table has
// doubled since the last sweep, so the cost is amortised over insertions.
// c.mu must be held.
func (c *Client) sweepHosts() {
	if len(c.hosts) < c.hostsSweepAt {
		return
	}
	now := c.now()
	for k, h := range c.hosts {
		penalised := h.factor < 1 && now.Sub(h.idle) < forgetPenalty
		if h.users == 0 && !penalised && !now.Before(h.until) && now.Sub(h.idle) >= h.refill() {
			delete(c.hosts, k)
		}
	}
	c.hostsSweepAt = max(2*len(c.hosts), sweepMin)
}

func (h *hostState) refill() time.Duration {
	var d time.Duration
	for _, l := range h.lanes {
		if l != nil {
			d = max(d, refill(l.base))
		}
	}
	return d
}

// acquire waits for a slot on the host, its bucket, then a global slot, in
// that order: holding a global slot while queueing for a busy host would
// let one slow host starve all the others. The wait is bounded by ctx only;
// the per-exchange Timeout starts once the request may go.
func (c *Client) acquire(ctx context.Context, key string, cl class) (h *hostState, release func(), err error) {
	h, ln := c.hostRef(key, cl)
	if err := c.wait(ctx, key, h, ln); err != nil {
		c.unref(h)
		return nil, nil, err
	}
	return h, func() { <-c.global; <-ln.slots; c.unref(h) }, nil
}

func (c *Client) wait(ctx context.Context, key string, h *hostState, ln *lane) error {
	if err := c.backoff(key, h); err != nil {
		return err
	}
	select {
	case ln.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for host %s: %w", key, ctx.Err())
	}
	if err := c.take(ctx, ln.lim); err != nil {
		<-ln.slots
		return fmt.Errorf("wait for host %s: %w", key, err)
	}
	// Check again: the request ahead of us may have been told to back off.
	if err := c.backoff(key, h); err != nil {
		<-ln.slots
		return err
	}
	select {
	case c.global <- struct{}{}:
	case <-ctx.Done():
		<-ln.slots
		return fmt.Errorf("wait for a connection slot: %w", ctx.Err())
	}
	return nil
}

// take waits for a token from lim, on the Client's clock: reserve, then
// sleep until the reservation is due (given back if ctx ends first).
func (c *Client) take(ctx context.Context, lim *rate.Limiter) error {
	now := c.now()
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return errors.New("rate limiter refused a request") // not reached: bursts are at least 1
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if err := c.sleep(ctx, d); err != nil {
		r.CancelAt(c.now())
		return err
	}
	return nil
}

// sleepCtx is the real Client.sleep.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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

// outcome is what one exchange tells the pacing about its host.
type outcome struct {
	resp    *http.Response // nil when the exchange failed
	err     error
	elapsed time.Duration // until the response headers
}

// trouble reports whether o should lower the host's rate: the host asked
// us to slow down (429, 503), is failing (other 5xx, no answer) or is slow.
// A cancelled request says nothing about the host.
func (o outcome) trouble() bool {
	switch {
	case o.err != nil:
		return !errors.Is(o.err, context.Canceled)
	case o.resp.StatusCode >= 500 || o.resp.StatusCode == http.StatusTooManyRequests:
		return true
	}
	return o.elapsed > slowResponse
}

// adapt applies an exchange's outcome to its host: Retry-After, then the
// rate (halved on trouble, restored step by step on steady success).
func (c *Client) adapt(h *hostState, o outcome) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if o.resp != nil {
		c.noteRetryAfter(h, o.resp, now)
	}
	old := h.factor
	switch {
	case c.paces.off:
		// Unpaced: no rate to lower (Retry-After still holds).
	case o.trouble():
		h.factor = max(h.factor/2, minFactor)
		h.calm = now.Add(max(penaltyHold, h.until.Sub(now)))
	case h.factor < 1 && !now.Before(h.calm):
		h.factor = min(h.factor*2, 1)
		h.calm = now.Add(restoreStep)
	}
	if h.factor == old {
		return
	}
	for _, l := range h.lanes {
		r, b := effective(l.base, h.factor)
		l.lim.SetLimitAt(now, r)
		l.lim.SetBurstAt(now, b)
	}
}

// noteRetryAfter records a 429 or 503's Retry-After against the host.
// c.mu must be held.
func (c *Client) noteRetryAfter(h *hostState, resp *http.Response, now time.Time) {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return
	}
	d := parseRetryAfter(resp.Header.Get("Retry-After"), now)
	if d <= 0 {
		return
	}
	if until := now.Add(d); until.After(h.until) {
		h.until = until
	}
}
