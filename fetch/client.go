package fetch

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultUserAgent    = "newswatch/dev (+https://github.com/newswatch/newswatch)"
	DefaultTimeout      = 30 * time.Second
	DefaultMaxBodySize  = 10 << 20
	DefaultMaxRedirects = 10
	DefaultGlobalConns  = 32
)

// Resolver looks up a host's addresses; *net.Resolver satisfies it.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Options configures a Client. Zero values take the defaults above.
type Options struct {
	UserAgent    string
	Timeout      time.Duration // whole request incl. body and redirects; default 30s
	MaxBodySize  int64         // decoded bytes; default 10 MiB
	MaxRedirects int           // default 10; negative: follow none
	// Pacing per host (see Pace): Feeds for Get (feed polls), Pages for
	// Transport (page crawls); Hosts overrides both for the hosts it
	// names. Zero Feeds or Pages: DefaultFeedPace, DefaultPagePace.
	// SetPaces replaces all three in a running Client.
	Feeds, Pages Pace
	Hosts        []HostPace
	// Unpaced turns every per-host rate limit off, Hosts' included (tests
	// that are not about pacing); the connection caps still hold.
	Unpaced     bool
	GlobalConns int // requests in flight in total; default 32

	// Test seams: the resolver and dialer used at dial time (guard checks
	// happen there). DialContext receives an IP literal that already passed
	// the guard. Defaults: net.DefaultResolver and a net.Dialer.
	Resolver    Resolver
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client is safe for concurrent use. Make one per process and share it, so
// politeness limits and the robots.txt cache are shared too.
type Client struct {
	opt     Options
	now     func() time.Time
	guarded *http.Transport // refuses private addresses
	open    *http.Transport // allows them (Request.AllowPrivate)
	global  chan struct{}
	// sleep waits d or until ctx ends; injected with now in tests, so
	// pacing is tested on a fake clock.
	sleep func(ctx context.Context, d time.Duration) error

	mu     sync.Mutex
	paces  paces
	gen    int // bumped by SetPaces: host lanes of an older gen are rebuilt
	hosts  map[string]*hostState
	robots map[string]*robotsEntry
	// Table sizes at which the next insertion sweeps (see sweepHosts).
	hostsSweepAt, robotsSweepAt int
}

// New returns a Client with o's zero values defaulted.
func New(o Options) *Client {
	o = withDefaults(o)
	c := &Client{
		opt:    o,
		now:    time.Now,
		sleep:  sleepCtx,
		paces:  paces{feeds: o.Feeds, pages: o.Pages, hosts: o.Hosts, off: o.Unpaced, global: o.GlobalConns},
		global: make(chan struct{}, o.GlobalConns),
		hosts:  make(map[string]*hostState),
		robots: make(map[string]*robotsEntry),

		hostsSweepAt:  sweepMin,
		robotsSweepAt: sweepMin,
	}
	c.guarded = c.newTransport(false)
	c.open = c.newTransport(true)
	return c
}

func withDefaults(o Options) Options {
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBodySize <= 0 {
		o.MaxBodySize = DefaultMaxBodySize
	}
	switch {
	case o.MaxRedirects == 0:
		o.MaxRedirects = DefaultMaxRedirects
	case o.MaxRedirects < 0:
		o.MaxRedirects = 0 // from here on, 0 means none
	}
	if o.Feeds == (Pace{}) {
		o.Feeds = DefaultFeedPace
	}
	if o.Pages == (Pace{}) {
		o.Pages = DefaultPagePace
	}
	if o.GlobalConns <= 0 {
		o.GlobalConns = DefaultGlobalConns
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	return o
}

// newTransport builds one of the two base transports. They are separate so
// a connection dialled for a request allowed to reach a private address is
// never reused by one that is not. Compression is off because we decode
// ourselves: the cap must apply to the decoded bytes. Proxies from the
// environment are ignored: a proxy would do the dial the guard must check.
func (c *Client) newTransport(allowPrivate bool) *http.Transport {
	shortTimeout := min(c.opt.Timeout, 10*time.Second)
	dial := c.opt.DialContext
	if dial == nil {
		dial = netDialer(shortTimeout, allowPrivate).DialContext
	}
	d := &guardedDialer{allowPrivate: allowPrivate, resolver: c.opt.Resolver, dial: dial}
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           d.dialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   shortTimeout,
		ResponseHeaderTimeout: c.opt.Timeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		MaxIdleConns:          100,
		// A host's cap may be up to the global one (hosts:); keeping
		// fewer idle would close and redial connections it reuses.
		// MaxIdleConns bounds the total.
		MaxIdleConnsPerHost:    c.opt.GlobalConns,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// CloseIdleConnections closes idle keep-alive connections.
func (c *Client) CloseIdleConnections() {
	c.guarded.CloseIdleConnections()
	c.open.CloseIdleConnections()
}

// SetPaces replaces the pacing policy (a config reload): the default
// paces of feeds and pages and the per-host overrides; zero defaults mean
// DefaultFeedPace and DefaultPagePace. Each host takes the new policy at
// its next request, with its adaptive penalty kept; requests already
// holding a slot finish under the old one.
func (c *Client) SetPaces(feeds, pages Pace, hosts []HostPace) {
	if feeds == (Pace{}) {
		feeds = DefaultFeedPace
	}
	if pages == (Pace{}) {
		pages = DefaultPagePace
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.paces = paces{feeds: feeds, pages: pages, hosts: append([]HostPace(nil), hosts...), off: c.paces.off, global: c.paces.global}
	c.gen++
}

// Paces returns the paces in force for host's feed polls and page crawls
// (before any adaptive lowering).
func (c *Client) Paces(host string) (feeds, pages Pace) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paces.pace(host, feedClass), c.paces.pace(host, pageClass)
}

// Transport returns a RoundTripper for colly (or any http.Client) with the
// same guard, caps and politeness as Get, paced as page crawls (Pages). Bodies come back already decoded
// (Content-Encoding removed, Uncompressed set) and fully read, so the
// caller's own decompression and size checks see plain bytes. Redirects are
// followed by the caller's http.Client, but each hop passes through here:
// the guard applies to it and a chain longer than MaxRedirects is refused.
// Timeout applies to each hop here, unless the request's context comes
// from WithBudget: then to the whole chain.
func (c *Client) Transport(allowPrivate bool) http.RoundTripper {
	return &transport{c: c, allowPrivate: allowPrivate, class: pageClass}
}

func (c *Client) base(allowPrivate bool) *http.Transport {
	if allowPrivate {
		return c.open
	}
	return c.guarded
}
