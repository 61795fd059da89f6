package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// inflight counts concurrent requests and remembers the peak.
type inflight struct {
	now, peak atomic.Int64
}

func (f *inflight) handler(hold time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := f.now.Add(1)
		defer f.now.Add(-1)
		for {
			p := f.peak.Load()
			if n <= p || f.peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(hold)
	}
}

// loopbackNames makes each name resolve to 127.0.0.1, so one test server
// can stand for several hosts.
func loopbackNames(o *Options, names ...string) {
	fn := newFakeNet()
	for _, n := range names {
		fn.hosts[n] = []string{"127.0.0.1"}
	}
	o.Resolver = fn // default dialer: loopback only
}

func getAll(t *testing.T, c *Client, urls []string) []error {
	t.Helper()
	errs := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			_, errs[i] = c.Get(context.Background(), Request{URL: u, AllowPrivate: true})
		})
	}
	wg.Wait()
	return errs
}

func port(srv *httptest.Server) string {
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return p
}

func TestPerHostConcurrency(t *testing.T) {
	var f inflight
	srv, _ := server(t, f.handler(80*time.Millisecond))
	srv2 := httptest.NewServer(f.handler(80 * time.Millisecond)) // same host, other port
	defer srv2.Close()
	o := testOptions()
	o.Feeds = Pace{Conns: 2}
	loopbackNames(&o, "a.test")
	var urls []string
	for i := 0; i < 4; i++ {
		urls = append(urls, "http://a.test:"+port(srv)+"/", "http://a.test:"+port(srv2)+"/")
	}
	for _, err := range getAll(t, New(o), urls) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := f.peak.Load(); p != 2 {
		t.Errorf("peak concurrency on one host (two ports) = %d, want 2", p)
	}
}

func TestGlobalConcurrency(t *testing.T) {
	var f inflight
	srv, _ := server(t, f.handler(30*time.Millisecond))
	o := testOptions()
	o.GlobalConns = 1
	loopbackNames(&o, "a.test", "b.test", "c.test")
	var urls []string
	for _, h := range []string{"a.test", "b.test", "c.test"} {
		urls = append(urls, "http://"+h+":"+port(srv)+"/", "http://"+h+":"+port(srv)+"/")
	}
	for _, err := range getAll(t, New(o), urls) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := f.peak.Load(); p != 1 {
		t.Errorf("peak concurrency = %d, want 1", p)
	}
}

func TestRetryAfterHonouredPerHost(t *testing.T) {
	var mode atomic.Int64 // 0: 503 with Retry-After; 1: 200
	srv, hits := server(t, func(w http.ResponseWriter, r *http.Request) {
		if mode.Load() == 0 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	o := testOptions()
	loopbackNames(&o, "a.test", "b.test")
	c := New(o)
	clock := &fakeClock{t: time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)}
	c.now = clock.Now
	urlA := "http://a.test:" + port(srv) + "/feed"

	_, err := c.Get(context.Background(), Request{URL: urlA, AllowPrivate: true})
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 503 || se.RetryAfter != 120*time.Second {
		t.Fatalf("err = %v, want 503 with RetryAfter 2m", err)
	}
	mode.Store(1)
	_, err = c.Get(context.Background(), Request{URL: "http://a.test:" + port(srv) + "/other", AllowPrivate: true})
	var be *BackoffError
	if !errors.Is(err, ErrHostBackoff) || !errors.As(err, &be) || !be.Until.Equal(clock.Now().Add(120*time.Second)) {
		t.Fatalf("err = %v, want ErrHostBackoff until +2m", err)
	}
	if hits.Load() != 1 {
		t.Errorf("backed-off request reached the server (%d hits)", hits.Load())
	}
	if _, err := c.Get(context.Background(), Request{URL: "http://b.test:" + port(srv) + "/", AllowPrivate: true}); err != nil {
		t.Errorf("another host: %v", err)
	}
	clock.Advance(121 * time.Second)
	if _, err := c.Get(context.Background(), Request{URL: urlA, AllowPrivate: true}); err != nil {
		t.Errorf("after Retry-After: %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"0", 0},
		{"-3", 0},
		{"soon", 0},
		{"Thu, 26 Nov 2026 07:01:30 GMT", 90 * time.Second},
		{"Thursday, 26-Nov-26 07:01:30 GMT", 90 * time.Second}, // RFC 850
		{"Thu Nov 26 07:01:30 2026", 90 * time.Second},         // asctime
		{"Thu, 26 Nov 2026 06:00:00 GMT", 0},                   // past
		{"99999999", maxRetryAfter},
		{"Fri, 01 Jan 2100 00:00:00 GMT", maxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
