package fetch

import (
	"context"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// pacedClient is a Client on a fake clock: sleeping advances the clock,
// so pacing is measured in fake time and the test never waits.
type pacedClient struct {
	*Client
	clock *fakeClock
	mu    sync.Mutex
	at    map[string][]time.Duration // request start (fake time since t0) by path
	t0    time.Time
}

func newPacedClient(t *testing.T, o Options, handler func(w http.ResponseWriter, r *http.Request, p *pacedClient)) (*pacedClient, string) {
	t.Helper()
	p := &pacedClient{clock: &fakeClock{t: time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)}, at: map[string][]time.Duration{}}
	p.t0 = p.clock.Now()
	srv, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.at[r.Host] = append(p.at[r.Host], p.clock.Now().Sub(p.t0))
		p.mu.Unlock()
		if handler != nil {
			handler(w, r, p)
		}
	})
	o.Timeout = 5 * time.Second
	loopbackNames(&o, "a.test", "b.test", "a.example.test", "b.example.test", "example.test")
	p.Client = New(o)
	p.now = p.clock.Now
	p.sleep = func(_ context.Context, d time.Duration) error { p.clock.Advance(d); return nil }
	return p, port(srv)
}

func (p *pacedClient) get(t *testing.T, host, port string) error {
	t.Helper()
	_, err := p.Get(context.Background(), Request{URL: "http://" + host + ":" + port + "/", AllowPrivate: true})
	return err
}

// page fetches through Transport, as colly does for page sources.
func (p *pacedClient) page(t *testing.T, host, port string) {
	t.Helper()
	hc := &http.Client{Transport: p.Transport(true)}
	resp, err := hc.Get("http://" + host + ":" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// starts returns the fake times at which host's requests reached the server.
func (p *pacedClient) starts(host, port string) []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.at[host+":"+port]
}

// The bucket lets a burst go at once and paces the rest at the rate; a
// host's pace is its own.
func TestPaceBurstThenRate(t *testing.T) {
	p, port := newPacedClient(t, Options{Feeds: Pace{Rate: 5, Burst: 20, Conns: 4}}, nil)
	for range 100 {
		if err := p.get(t, "a.test", port); err != nil {
			t.Fatal(err)
		}
	}
	at := p.starts("a.test", port)
	if at[19] != 0 {
		t.Errorf("request 20 (within the burst) started at %s, want at once", at[19])
	}
	if at[20] != 200*time.Millisecond {
		t.Errorf("request 21 started at %s, want 200ms (5/s)", at[20])
	}
	if want := 16 * time.Second; at[99] != want {
		t.Errorf("request 100 started at %s, want %s ((100-20)/5 s)", at[99], want)
	}
	if err := p.get(t, "b.test", port); err != nil {
		t.Fatal(err)
	}
	if at := p.starts("b.test", port); at[0] != 16*time.Second {
		t.Errorf("another host's first request waited until %s, want no wait (16s)", at[0])
	}
}

// Page crawls are paced more gently than feed polls by default.
func TestPagesGentlerThanFeeds(t *testing.T) {
	p, port := newPacedClient(t, Options{}, nil)
	for range 10 {
		if err := p.get(t, "a.test", port); err != nil {
			t.Fatal(err)
		}
		p.page(t, "b.test", port)
	}
	if at := p.starts("a.test", port); at[9] > 7*time.Second {
		t.Errorf("ten feed polls to one host ended at %s; want them in the default burst", at[9])
	}
	pages := p.starts("b.test", port)
	if want := time.Duration(10-DefaultPagePace.Burst) * time.Second; pages[9] != want {
		t.Errorf("ten page fetches to one host: last at %s, want %s (burst %d, then 1/s)", pages[9], want, DefaultPagePace.Burst)
	}
}

// Hosts override the defaults for the hosts they name; the most specific
// entry wins; Unpaced turns all of it off.
func TestHostPaces(t *testing.T) {
	hosts := []HostPace{
		{Match: "*.example.test", Pace: Pace{Rate: rate.Inf, Conns: 8}},
		{Match: "a.example.test", Pace: Pace{Rate: 1, Burst: 1, Conns: 1}},
	}
	p, port := newPacedClient(t, Options{Feeds: Pace{Rate: 2, Burst: 2, Conns: 2}, Hosts: hosts}, nil)
	for _, h := range []string{"a.example.test", "b.example.test", "example.test"} {
		for range 5 {
			if err := p.get(t, h, port); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Sequential requests: each host's pace adds to the clock in turn.
	want := map[string]time.Duration{"a.example.test": 4 * time.Second, "b.example.test": 4 * time.Second, "example.test": 4*time.Second + 1500*time.Millisecond}
	for h, w := range want {
		if at := p.starts(h, port); at[4] != w {
			t.Errorf("%s: fifth request at %s, want %s", h, at[4], w)
		}
	}

	u, port := newPacedClient(t, Options{Feeds: Pace{Rate: 1, Burst: 1, Conns: 2}, Hosts: hosts[1:], Unpaced: true}, nil)
	for range 5 {
		if err := u.get(t, "a.example.test", port); err != nil {
			t.Fatal(err)
		}
	}
	if at := u.starts("a.example.test", port); at[4] != 0 {
		t.Errorf("Unpaced: fifth request at %s, want no wait", at[4])
	}
}

// rate: unlimited without connections leaves only the global cap.
func TestUnlimitedHostConnections(t *testing.T) {
	c := New(Options{GlobalConns: 40, Hosts: []HostPace{
		{Match: "mine.test", Pace: Pace{Rate: rate.Limit(math.Inf(1))}}, // as the config has it
		{Match: "capped.test", Pace: Pace{Rate: rate.Inf, Conns: 3}},
		{Match: "slow.test", Pace: Pace{Rate: 1}},
	}})
	tests := []struct {
		host         string
		feeds, pages int
	}{
		{"mine.test", 40, 40},
		{"capped.test", 3, 3},
		{"slow.test", DefaultFeedPace.Conns, DefaultPagePace.Conns},
		{"other.test", DefaultFeedPace.Conns, DefaultPagePace.Conns},
	}
	for _, tt := range tests {
		if feeds, pages := c.Paces(tt.host); feeds.Conns != tt.feeds || pages.Conns != tt.pages {
			t.Errorf("%s: connections %d for feeds, %d for pages; want %d, %d", tt.host, feeds.Conns, pages.Conns, tt.feeds, tt.pages)
		}
	}
}

func TestMatchHost(t *testing.T) {
	hosts := []HostPace{
		{Match: "*.example.com", Pace: Pace{Burst: 1}},
		{Match: "*.news.example.com", Pace: Pace{Burst: 2}},
		{Match: "News.Google.com.", Pace: Pace{Burst: 3}},
	}
	tests := []struct {
		host  string
		burst int // 0: no match
	}{
		{"a.example.com", 1},
		{"x.y.example.com", 1},
		{"example.com", 0},
		{"badexample.com", 0},
		{"a.news.example.com", 2},
		{"news.google.com", 3},
		{"google.com", 0},
	}
	for _, tt := range tests {
		p, ok := matchHost(hosts, tt.host)
		if got := map[bool]int{true: p.Burst}[ok]; got != tt.burst {
			t.Errorf("matchHost(%s) = %+v, %v; want burst %d", tt.host, p, ok, tt.burst)
		}
	}
}

// A 429 or 503 (with or without Retry-After), a 5xx, a slow answer halve
// the host's rate for a while; steady success brings it back.
func TestAdaptivePace(t *testing.T) {
	var mode atomic.Value // what the next answer is
	mode.Store("ok")
	p, port := newPacedClient(t, Options{Feeds: Pace{Rate: 10, Burst: 1, Conns: 1}},
		func(w http.ResponseWriter, r *http.Request, p *pacedClient) {
			switch mode.Load() {
			case "429":
				w.WriteHeader(http.StatusTooManyRequests)
			case "500":
				w.WriteHeader(http.StatusInternalServerError)
			case "slow":
				p.clock.Advance(slowResponse + time.Second)
			}
		})
	gap := func(answer string) time.Duration {
		t.Helper()
		mode.Store(answer)
		_ = p.get(t, "a.test", port)
		at := p.starts("a.test", port)
		return at[len(at)-1] - at[len(at)-2]
	}
	_ = p.get(t, "a.test", port)
	if g := gap("ok"); g != 100*time.Millisecond {
		t.Fatalf("gap at full pace = %s, want 100ms", g)
	}
	gap("429") // lowers the rate: the next gap is 200ms
	if g := gap("ok"); g != 200*time.Millisecond {
		t.Errorf("gap after a 429 = %s, want 200ms (half the rate)", g)
	}
	gap("500")
	if g := gap("ok"); g != 400*time.Millisecond {
		t.Errorf("gap after a 500 = %s, want 400ms", g)
	}
	gap("slow")
	if g := gap("ok"); g < 800*time.Millisecond {
		t.Errorf("gap after a slow answer = %s, want at least 800ms", g)
	}
	// Within the penalty hold, success restores nothing; after it, each
	// success a restore step apart doubles the rate back.
	if g := gap("ok"); g != 800*time.Millisecond {
		t.Errorf("gap within the hold = %s, want 800ms", g)
	}
	p.clock.Advance(penaltyHold)
	for range 4 {
		gap("ok")
		p.clock.Advance(restoreStep)
	}
	_ = p.get(t, "a.test", port)
	if g := gap("ok"); g != 100*time.Millisecond {
		t.Errorf("gap after steady success = %s, want 100ms (full pace again)", g)
	}
}

// A reload's SetPaces applies to hosts already known.
func TestSetPaces(t *testing.T) {
	p, port := newPacedClient(t, Options{Feeds: Pace{Rate: 1, Burst: 1, Conns: 1}}, nil)
	for range 3 {
		_ = p.get(t, "a.test", port)
	}
	p.SetPaces(Pace{}, Pace{}, []HostPace{{Match: "a.test", Pace: Pace{Rate: rate.Inf, Conns: 4}}})
	for range 3 {
		_ = p.get(t, "a.test", port)
	}
	at := p.starts("a.test", port)
	if at[2] != 2*time.Second || at[5] != 2*time.Second {
		t.Errorf("starts = %v, want 1/s and then no wait", at)
	}
}

// Get takes its first hop's slot before the request exists; a redirect
// back to the same host must still get a slot of its own, even when the
// host allows one connection.
func TestPreAcquiredSlotAndRedirects(t *testing.T) {
	p, port := newPacedClient(t, Options{Feeds: Pace{Rate: rate.Inf, Conns: 1}}, func(w http.ResponseWriter, r *http.Request, _ *pacedClient) {
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/next", http.StatusFound)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := p.Get(ctx, Request{URL: "http://a.test:" + port + "/", AllowPrivate: true})
	if err != nil || !strings.HasSuffix(resp.URL, "/next") {
		t.Fatalf("Get = %v, %v; want the redirect followed", resp, err)
	}
	// Both slots were given back: the next Get does not wait.
	if _, err := p.Get(ctx, Request{URL: "http://a.test:" + port + "/next", AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
}

// Unpaced means unpaced: failures do not bring a rate back.
func TestUnpacedIsNotLoweredByTrouble(t *testing.T) {
	p, port := newPacedClient(t, Options{Unpaced: true}, func(w http.ResponseWriter, r *http.Request, _ *pacedClient) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	for range 10 {
		_ = p.get(t, "a.test", port)
	}
	if at := p.starts("a.test", port); at[9] != 0 {
		t.Errorf("tenth request after nine 500s at %s, want no wait", at[9])
	}
}
