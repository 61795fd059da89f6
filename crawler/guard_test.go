package crawler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/model"
)

// publicIP stands for a public address in fake DNS answers; fakeNet routes
// it to a loopback test server, so no packet ever leaves loopback.
const publicIP = "93.184.216.34"

// fakeNet is an injected resolver and dialer: names resolve from a table,
// and only publicIP:80 is ever dialled (to the loopback server). Anything
// else is refused and remembered.
type fakeNet struct {
	srv   *httptest.Server
	hosts map[string]string // name -> IP

	mu      sync.Mutex
	dialled []string
}

func (f *fakeNet) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ip, ok := f.hosts[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
}

func (f *fakeNet) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	f.mu.Lock()
	f.dialled = append(f.dialled, addr)
	f.mu.Unlock()
	if addr != net.JoinHostPort(publicIP, "80") {
		return nil, fmt.Errorf("fakeNet: refusing to dial %s", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, f.srv.Listener.Addr().String())
}

// Without allow_private, nothing a public source leads to (an advertised
// feed, a listing's link, an article's redirect) may reach a private
// address, even on the source's own site.
func TestSourcesNeverReachPrivateAddresses(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("news.test/", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/feed": // an HTML page advertising a feed on an internal host
			_, _ = w.Write([]byte(`<html><head><link rel="alternate" type="application/rss+xml" href="http://intranet.test/feed.xml"></head></html>`))
		case "/list":
			_, _ = w.Write([]byte(`<html><body><a href="http://int.news.test/a">a</a><a href="/moved">b</a><a href="/ok">c</a></body></html>`))
		case "/moved":
			http.Redirect(w, r, "http://int.news.test/b", http.StatusFound)
		case "/ok":
			_, _ = w.Write([]byte(`<html><body><h1>Public</h1><p>Kremlin</p></body></html>`))
		default:
			http.NotFound(w, r)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	fn := &fakeNet{srv: srv, hosts: map[string]string{
		"news.test": publicIP, "intranet.test": "10.0.0.1", "int.news.test": "169.254.169.254",
	}}
	fc := fetch.New(fetch.Options{Timeout: 5 * time.Second, Unpaced: true, Resolver: fn, DialContext: fn.DialContext})
	t.Cleanup(fc.CloseIdleConnections)
	c := newTestCrawler(t, Options{Fetch: fc})

	t.Run("autodiscovered feed", func(t *testing.T) {
		_, err := c.Fetch(testContext(t), Request{Source: model.Source{Name: "f", Feed: "http://news.test/feed"}})
		if !errors.Is(err, fetch.ErrBlockedAddress) {
			t.Errorf("error %v, want ErrBlockedAddress", err)
		}
	})
	t.Run("followed links and redirects", func(t *testing.T) {
		src := model.Source{Name: "p", Page: "http://news.test/list", Links: "a"}
		res, err := c.Fetch(testContext(t), Request{Source: src})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Articles) != 1 || res.Articles[0].Title != "Public" {
			t.Errorf("got %d articles, want only the public one", len(res.Articles))
		}
	})
	fn.mu.Lock()
	defer fn.mu.Unlock()
	for _, d := range fn.dialled {
		if d != net.JoinHostPort(publicIP, "80") {
			t.Errorf("dialled %s", d)
		}
	}
}
