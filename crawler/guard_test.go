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

// TestAllowPrivateFalseMeansFalse: an explicit allow_private: false refuses
// private and loopback targets even when the source's own URL names one
// (an IP literal, localhost); unset, such a URL is trusted as written. The
// injected dialler refuses every private address, so "allowed" shows as an
// attempted dial that never leaves the process.
func TestAllowPrivateFalseMeansFalse(t *testing.T) {
	tests := []struct {
		name      string
		src       model.Source
		wantDial  string // "" when the guard must refuse before any dial
		wantGuard bool
	}{
		{"explicit false, private literal feed", model.Source{Name: "a", Feed: "http://10.0.0.1/feed", PrivateSet: true}, "", true},
		{"explicit false, loopback literal feed", model.Source{Name: "b", Feed: "http://127.0.0.1/feed", PrivateSet: true}, "", true},
		{"explicit false, localhost feed", model.Source{Name: "c", Feed: "http://localhost/feed", PrivateSet: true}, "", true},
		{"explicit false, IPv6 loopback page", model.Source{Name: "d", Page: "http://[::1]/list", Links: "a", PrivateSet: true}, "", true},
		{"explicit false, metadata page", model.Source{Name: "e", Page: "http://169.254.169.254/list", Links: "a", PrivateSet: true}, "", true},
		{"unset, private literal feed", model.Source{Name: "f", Feed: "http://10.0.0.1/feed"}, "10.0.0.1:80", false},
		{"unset, localhost feed", model.Source{Name: "g", Feed: "http://localhost/feed"}, "127.0.0.1:80", false},
		{"explicit true, private literal feed", model.Source{Name: "h", Feed: "http://10.0.0.1/feed", AllowPrivate: true, PrivateSet: true}, "10.0.0.1:80", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn := &fakeNet{srv: nil, hosts: map[string]string{"localhost": "127.0.0.1"}}
			fc := fetch.New(fetch.Options{Timeout: 5 * time.Second, Unpaced: true, Resolver: fn, DialContext: fn.DialContext})
			t.Cleanup(fc.CloseIdleConnections)
			c := newTestCrawler(t, Options{Fetch: fc})
			_, err := c.Fetch(testContext(t), Request{Source: tt.src})
			if err == nil {
				t.Fatal("Fetch succeeded; the fake network reaches nothing")
			}
			if got := errors.Is(err, fetch.ErrBlockedAddress); got != tt.wantGuard {
				t.Errorf("error %v: blocked = %v, want %v", err, got, tt.wantGuard)
			}
			fn.mu.Lock()
			defer fn.mu.Unlock()
			if tt.wantDial == "" && len(fn.dialled) > 0 {
				t.Errorf("dialled %v, want the guard to refuse first", fn.dialled)
			}
			if tt.wantDial != "" && (len(fn.dialled) == 0 || fn.dialled[0] != tt.wantDial) {
				t.Errorf("dialled %v, want %s (the guard letting it through)", fn.dialled, tt.wantDial)
			}
		})
	}
}

// TestAllowPrivateDecision is the decision on its own, for every form of
// the setting and of the source URL.
func TestAllowPrivateDecision(t *testing.T) {
	tests := []struct {
		url          string
		allow, isSet bool
		want         bool
	}{
		{"https://news.example/rss", false, false, false},
		{"https://news.example/rss", true, true, true},
		{"https://news.example/rss", false, true, false},
		{"http://192.168.1.10/rss", false, false, true},
		{"http://192.168.1.10/rss", false, true, false},
		{"http://localhost:8080/rss", false, false, true},
		{"http://localhost:8080/rss", false, true, false},
		{"http://feeds.localhost/rss", false, true, false},
		{"http://[fd00::1]/rss", false, true, false},
		{"http://[fd00::1]/rss", true, true, true},
	}
	for _, tt := range tests {
		src := model.Source{Feed: tt.url, AllowPrivate: tt.allow, PrivateSet: tt.isSet}
		if got := allowPrivate(src); got != tt.want {
			t.Errorf("allowPrivate(%s, allow %v, set %v) = %v, want %v", tt.url, tt.allow, tt.isSet, got, tt.want)
		}
	}
}
