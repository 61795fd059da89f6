package fetch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// publicIP stands for a public address in fake DNS answers. Nothing is
// ever sent to it: fakeNet routes it to a loopback test server.
const publicIP = "93.184.216.34"

// fakeNet is an injected resolver and dialer. It answers from a table and
// only ever connects to loopback test servers, so no test can send a
// packet anywhere else.
type fakeNet struct {
	mu      sync.Mutex
	hosts   map[string][]string // name -> IPs
	routes  map[string]string   // "ip:port" -> loopback listener address
	dialled []string
}

func newFakeNet() *fakeNet {
	return &fakeNet{hosts: map[string][]string{}, routes: map[string]string{}}
}

func (f *fakeNet) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ips, ok := f.hosts[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, ip := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(ip)})
	}
	return out, nil
}

func (f *fakeNet) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	f.mu.Lock()
	f.dialled = append(f.dialled, addr)
	to, ok := f.routes[addr]
	f.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("fakeNet: refusing to dial %s", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, to)
}

func (f *fakeNet) Dialled() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.dialled...)
}

// route makes name resolve to publicIP and connections to publicIP:80 reach srv.
func (f *fakeNet) route(name string, srv *httptest.Server) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts[name] = []string{publicIP}
	f.routes[net.JoinHostPort(publicIP, "80")] = srv.Listener.Addr().String()
}

// testOptions are fast options for tests: short deadline, no delay.
func testOptions() Options {
	return Options{UserAgent: "newswatch-test/1.0", Timeout: 300 * time.Millisecond, Unpaced: true}
}

// server starts an httptest server and counts its requests.
func server(t testing.TB, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// fakeClock is an injected clock for backoff and cache expiry.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
