package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/temoto/robotstxt"

	"github.com/newswatch/newswatch/redact"
)

// robots.txt cache lifetimes. A server error is cached briefly: Google
// treats 5xx (and 429) as "disallow everything for now", and so do we, but
// a short blip must not silence a page source for an hour.
const (
	robotsTTL      = time.Hour
	robotsErrorTTL = 10 * time.Minute
	// robotsMaxSize is where Google stops reading robots.txt.
	robotsMaxSize = 500 << 10
)

type robotsEntry struct {
	mu      sync.Mutex // one fetch per host at a time; others wait for it
	data    *robotstxt.RobotsData
	expires time.Time
}

// RobotsAllowed reports whether robots.txt lets our User-Agent fetch
// rawURL. robots.txt is cached per scheme and host for an hour. A missing
// one (any 4xx) allows everything; a 5xx or 429 disallows everything for
// ten minutes (Google's convention); one that does not parse allows
// everything. A network error is returned, with no decision cached.
func (c *Client) RobotsAllowed(ctx context.Context, rawURL string, allowPrivate bool) (bool, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false, redact.Error(fmt.Errorf("fetch: robots for %s: %w", rawURL, err))
	}
	if err := checkScheme(u); err != nil {
		return false, redact.Error(fmt.Errorf("fetch: robots for %s: %w", rawURL, err))
	}
	e := c.robotsEntry(u.Scheme + "://" + u.Host)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.data == nil || !c.now().Before(e.expires) {
		if err := c.loadRobots(ctx, e, u, allowPrivate); err != nil {
			return false, err
		}
	}
	return e.data.TestAgent(pathOf(u), c.opt.UserAgent), nil
}

func (c *Client) robotsEntry(key string) *robotsEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.robots[key]
	if e == nil {
		c.sweepRobots()
		e = &robotsEntry{}
		c.robots[key] = e
	}
	return e
}

// sweepRobots drops expired entries (each can hold a parsed robots.txt of
// up to robotsMaxSize) that no one is using, so the cache holds at most the
// hosts seen within robotsTTL. Like sweepHosts it runs when the table has
// doubled since the last sweep. c.mu must be held; an entry in use is
// skipped (TryLock), never waited for.
func (c *Client) sweepRobots() {
	if len(c.robots) < c.robotsSweepAt {
		return
	}
	now := c.now()
	for k, e := range c.robots {
		if !e.mu.TryLock() {
			continue
		}
		if !now.Before(e.expires) {
			delete(c.robots, k)
		}
		e.mu.Unlock()
	}
	c.robotsSweepAt = max(2*len(c.robots), sweepMin)
}

// loadRobots fetches and parses robots.txt into e. Redirects are followed
// (robots.txt often moves to https or www).
func (c *Client) loadRobots(ctx context.Context, e *robotsEntry, u *url.URL, allowPrivate bool) error {
	robotsURL := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}).String()
	status, body, err := c.getRobots(ctx, robotsURL, allowPrivate)
	if err != nil {
		return err
	}
	ttl := robotsTTL
	if status >= 500 || status == 429 {
		status, ttl = 503, robotsErrorTTL // 429 is temporary too
	}
	data, err := robotstxt.FromStatusAndBytes(status, body)
	if err != nil {
		data, _ = robotstxt.FromStatusAndBytes(404, nil) // unparseable or odd status: allow
	}
	e.data, e.expires = data, c.now().Add(ttl)
	return nil
}

// getRobots returns robots.txt's status and (on 2xx) body, truncated.
func (c *Client) getRobots(ctx context.Context, robotsURL string, allowPrivate bool) (int, []byte, error) {
	resp, err := c.Get(ctx, Request{URL: robotsURL, AllowPrivate: allowPrivate, Accept: "text/plain, */*;q=0.5"})
	var se *StatusError
	switch {
	case errors.As(err, &se):
		return se.Code, nil, nil
	case err != nil:
		return 0, nil, fmt.Errorf("fetch: robots: %w", err)
	case resp.NotModified:
		return 404, nil, nil // we sent no validators; treat as no file
	}
	body := resp.Body
	if len(body) > robotsMaxSize {
		body = body[:robotsMaxSize]
	}
	return resp.StatusCode, body, nil
}

func pathOf(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}
