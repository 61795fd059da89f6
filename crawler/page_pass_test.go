package crawler

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/model"
)

// An article page reached through a chain of slow on-site redirects gets
// one fetch Timeout for the whole chain, as a feed does, not one per hop.
func TestPageSourceRedirectChainShareTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/list":
			_, _ = w.Write([]byte(`<html><body><a class="a" href="/a">slow</a><a class="a" href="/fast">fast</a></body></html>`))
		case r.URL.Path == "/fast":
			_, _ = w.Write([]byte(`<html><body><h1>Fast</h1><p>Kremlin</p></body></html>`))
		case strings.HasPrefix(r.URL.Path, "/a"):
			select { // 100ms a hop, 6 hops: each fits 300ms, the chain does not
			case <-time.After(100 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
			if len(r.URL.Path) < 7 {
				http.Redirect(w, r, r.URL.Path+"a", http.StatusFound)
				return
			}
			_, _ = w.Write([]byte(`<html><body><h1>Slow</h1><p>Kremlin</p></body></html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	fc := fetch.New(fetch.Options{Timeout: 300 * time.Millisecond, Unpaced: true, Resolver: loopbackResolver{}})
	t.Cleanup(fc.CloseIdleConnections)
	c := newTestCrawler(t, Options{Fetch: fc})
	src := model.Source{Name: "slow", Page: "http://news.test:" + port + "/list", Links: "a.a", AllowPrivate: true}
	res, err := c.Fetch(testContext(t), Request{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, a := range res.Articles {
		titles = append(titles, a.Title)
	}
	if strings.Join(titles, ",") != "Fast" {
		t.Errorf("articles %q, want only Fast (the slow chain cut by the deadline)", titles)
	}
	if res.ETag != "" || res.LastModified != "" {
		t.Error("a page cut by the deadline left the pass complete")
	}
}

// An on-site redirect loop stops at fetch's redirect cap.
func TestPageSourceRedirectLoop(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/list":
			_, _ = w.Write([]byte(`<html><body><a href="/loop">loop</a></body></html>`))
		case "/loop":
			hits.Add(1)
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	fc := fetch.New(fetch.Options{Timeout: 5 * time.Second, Unpaced: true, Resolver: loopbackResolver{}, MaxRedirects: 3})
	t.Cleanup(fc.CloseIdleConnections)
	c := newTestCrawler(t, Options{Fetch: fc})
	src := model.Source{Name: "loop", Page: "http://news.test:" + port + "/list", Links: "a", AllowPrivate: true}
	res, err := c.Fetch(testContext(t), Request{Source: src})
	if err != nil || len(res.Articles) != 0 {
		t.Fatalf("Fetch: %v, %+v", err, res)
	}
	if n := hits.Load(); n != 4 {
		t.Errorf("loop page requested %d times, want 4 (the page and 3 redirects)", n)
	}
}

// An article known by another link than the listing's (its rel=canonical
// moved it to https, or the link redirects to a slug) is still not fetched
// again once seen.
func TestPageSourceSeenByArticleCanonical(t *testing.T) {
	var hits sync.Map // path -> *atomic.Int32
	count := func(p string) *atomic.Int32 {
		n, _ := hits.LoadOrStore(p, new(atomic.Int32))
		return n.(*atomic.Int32)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count(r.URL.Path).Add(1)
		switch r.URL.Path {
		case "/list":
			_, _ = w.Write([]byte(`<html><body><a href="/n/1">one</a><a href="/n/2">two</a><a href="/n/3">three</a></body></html>`))
		case "/n/1":
			_, _ = w.Write([]byte(`<html><head><link rel="canonical" href="https://news.test/story/one"></head><body><h1>One</h1></body></html>`))
		case "/n/2":
			http.Redirect(w, r, "/story/two-slug", http.StatusMovedPermanently)
		case "/story/two-slug", "/n/3":
			_, _ = w.Write([]byte(`<html><body><h1>Article</h1></body></html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	fc := fetch.New(fetch.Options{Timeout: 5 * time.Second, Unpaced: true, Resolver: loopbackResolver{}})
	t.Cleanup(fc.CloseIdleConnections)
	c := newTestCrawler(t, Options{Fetch: fc})
	src := model.Source{Name: "alias", Page: "http://news.test:" + port + "/list", Links: "a", AllowPrivate: true}
	stored := map[string]bool{} // what the daemon records: articles by their canonical link
	seen := func(link string) bool { return stored[link] }
	for pass := 1; pass <= 3; pass++ {
		res, err := c.Fetch(testContext(t), Request{Source: src, Seen: seen})
		if err != nil {
			t.Fatal(err)
		}
		if pass == 1 && len(res.Articles) != 3 {
			t.Fatalf("first pass: %d articles, want 3", len(res.Articles))
		}
		if pass > 1 && len(res.Articles) != 0 {
			t.Errorf("pass %d: %d articles, want none (all seen)", pass, len(res.Articles))
		}
		for _, a := range res.Articles {
			stored[a.CanonicalLink] = true
		}
	}
	for _, p := range []string{"/n/1", "/n/2", "/n/3"} {
		if n := count(p).Load(); n != 1 {
			t.Errorf("%s fetched %d times in three passes, want once", p, n)
		}
	}
}

// Links robots.txt forbids are never fetched and do not use up
// max_articles: the allowed ones after them are still read.
func TestPageSourceDisallowedLinksDoNotCount(t *testing.T) {
	var private atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/robots.txt":
			_, _ = w.Write([]byte("User-agent: *\nDisallow: /video/\n"))
		case r.URL.Path == "/list":
			_, _ = w.Write([]byte(`<html><body><a href="/video/1">v1</a><a href="/video/2">v2</a>` +
				`<a href="/news/1">n1</a><a href="/news/2">n2</a><a href="/news/3">n3</a></body></html>`))
		case strings.HasPrefix(r.URL.Path, "/video/"):
			private.Add(1)
		case strings.HasPrefix(r.URL.Path, "/news/"):
			_, _ = w.Write([]byte(`<html><body><h1>` + r.URL.Path + `</h1></body></html>`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	fc := fetch.New(fetch.Options{Timeout: 5 * time.Second, Unpaced: true, Resolver: loopbackResolver{}})
	t.Cleanup(fc.CloseIdleConnections)
	c := newTestCrawler(t, Options{Fetch: fc})
	src := model.Source{Name: "robots", Page: "http://news.test:" + port + "/list", Links: "a", AllowPrivate: true, MaxArticles: 2}
	res, err := c.Fetch(testContext(t), Request{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, a := range res.Articles {
		titles = append(titles, a.Title)
	}
	if strings.Join(titles, " ") != "/news/1 /news/2" {
		t.Errorf("articles %q, want the first two allowed ones", titles)
	}
	if private.Load() != 0 {
		t.Error("a page robots.txt forbids was fetched")
	}
	if res.ETag != "" {
		t.Error("validators kept with /news/3 left for later")
	}
}
