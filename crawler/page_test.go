package crawler

import (
	"compress/gzip"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/model"
)

// loopbackResolver resolves every name to 127.0.0.1, so tests can use
// several host names (news.test, sub.news.test, other.test) while no packet
// leaves loopback.
type loopbackResolver struct{}

func (loopbackResolver) LookupIPAddr(context.Context, string) ([]net.IPAddr, error) {
	return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}}, nil
}

// site is a fake news site serving testdata/site for every host name.
type site struct {
	srv  *httptest.Server
	port string
	mu   sync.Mutex
	hits map[string]int // "host/path" -> requests
}

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{hits: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	_, s.port, _ = net.SplitHostPort(s.srv.Listener.Addr().String())
	return s
}

func (s *site) url(host, path string) string { return "http://" + host + ":" + s.port + path }

func (s *site) hit(host, path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[host+path]
}

func (s *site) serve(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.Host)
	s.mu.Lock()
	s.hits[host+r.URL.Path]++
	s.mu.Unlock()
	file := map[string]string{
		"/news": "listing.html", "/news/1": "1.html", "/news/2": "2.html",
		"/news/5": "5.html", "/news/6": "6.html", "/news/7": "7.html",
	}[r.URL.Path]
	switch {
	case r.URL.Path == "/robots.txt":
		_, _ = w.Write([]byte("User-agent: *\nDisallow: /news/private\n"))
	case r.URL.Path == "/news/moved":
		http.Redirect(w, r, s.url("other.test", "/news/x"), http.StatusFound)
	case r.URL.Path == "/news/gz":
		s.serveGzip(w, "1.html")
	case r.URL.Path == "/news/huge":
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body><h1>Huge</h1><p>" + strings.Repeat("x", 64<<10) + "</p></body></html>"))
	case r.URL.Path == "/news/pdf":
		w.Header().Set("Content-Type", "application/pdf")
		_, _ = w.Write([]byte("%PDF-1.4 binary"))
	case r.URL.Path == "/news/broken":
		http.Error(w, "boom", http.StatusInternalServerError)
	case r.URL.Path == "/news" && r.Header.Get("If-None-Match") == `"L1"`:
		w.WriteHeader(http.StatusNotModified)
	case file != "":
		s.serveFile(w, file)
	default:
		http.NotFound(w, r)
	}
}

func (s *site) serveFile(w http.ResponseWriter, file string) {
	body, err := os.ReadFile(filepath.Join("testdata", "site", file))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	ct := "text/html; charset=utf-8"
	switch file {
	case "listing.html":
		w.Header().Set("ETag", `"L1"`)
		body = []byte(strings.ReplaceAll(string(body), "PORT", s.port))
	case "7.html":
		ct = "text/html; charset=windows-1251"
	case "5.html":
		ct = "text/html" // charset from the meta tag
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(body)
}

// serveGzip sends a testdata/site file gzip-encoded.
func (s *site) serveGzip(w http.ResponseWriter, file string) {
	body, err := os.ReadFile(filepath.Join("testdata", "site", file))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Encoding", "gzip")
	zw := gzip.NewWriter(w)
	_, _ = zw.Write(body)
	_ = zw.Close()
}

func newSiteCrawler(t *testing.T, o Options) *Crawler {
	t.Helper()
	fc := fetch.New(fetch.Options{Timeout: 5 * time.Second, Unpaced: true, Resolver: loopbackResolver{}})
	t.Cleanup(fc.CloseIdleConnections)
	o.Fetch = fc
	return newTestCrawler(t, o)
}

func (s *site) source() model.Source {
	return model.Source{
		Name: "site", Page: s.url("news.test", "/news"), Links: "div.list .item",
		Title: "h1.headline", Body: "div.content", AllowPrivate: true,
	}
}

func TestPageSource(t *testing.T) {
	s := newSite(t)
	c := newSiteCrawler(t, Options{})
	seen := func(link string) bool { return strings.HasSuffix(link, "/news/seen") }
	res, err := c.Fetch(testContext(t), Request{Source: s.source(), Seen: seen})
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]*model.Article{}
	var links []string
	for _, a := range res.Articles {
		links = append(links, strings.TrimPrefix(a.Link, "http://"))
		byPath[a.Link[strings.LastIndex(a.Link, "/"):]] = a
		if a.Source != "site" || a.GUID != "" {
			t.Errorf("article %s: source %q guid %q, want site and no GUID", a.Link, a.Source, a.GUID)
		}
	}
	p := ":" + s.port
	want := []string{"news.test" + p + "/news/1", "sub.news.test" + p + "/news/2",
		"news.test" + p + "/news/5", "news.test" + p + "/news/6", "news.test" + p + "/news/7"}
	if strings.Join(links, " ") != strings.Join(want, " ") {
		t.Fatalf("articles\n%q\nwant (page order, on host, unseen, allowed)\n%q", links, want)
	}

	t.Run("never fetched", func(t *testing.T) {
		for _, hp := range [][2]string{{"other.test", "/news/x"}, {"news.test", "/news/seen"},
			{"news.test", "/news/private/4"}, {"news.test", "/news/ignored"}} {
			if n := s.hit(hp[0], hp[1]); n != 0 {
				t.Errorf("%s%s fetched %d times", hp[0], hp[1], n)
			}
		}
		if n := s.hit("news.test", "/news/1"); n != 1 {
			t.Errorf("/news/1 fetched %d times, want once (its duplicate link skipped)", n)
		}
		if n := s.hit("news.test", "/news/broken"); n != 1 {
			t.Errorf("/news/broken fetched %d times, want once", n)
		}
	})
	t.Run("selectors", func(t *testing.T) {
		a := byPath["/1"]
		if a.Title != "Selected headline one" {
			t.Errorf("title %q, want the Title selector's text over og:title", a.Title)
		}
		if a.Body != "Body of article one mentions Donetsk.\n\nSecond paragraph.\n\nThird block." {
			t.Errorf("body %q, want every Body selector match", a.Body)
		}
		if want := time.Date(2025, 12, 2, 10, 0, 0, 0, time.UTC); !a.Published.Equal(want) {
			t.Errorf("published %v, want %v from <time datetime>", a.Published, want)
		}
		if a.CanonicalLink != s.url("news.test", "/news/1") {
			t.Errorf("canonical %q, want the same-host <link rel=canonical> without utm_*", a.CanonicalLink)
		}
	})
	t.Run("readability fallback", func(t *testing.T) {
		c := newSiteCrawler(t, Options{})
		src := s.source()
		src.Title, src.Body = "", ""
		res, err := c.Fetch(testContext(t), Request{Source: src, Seen: seen})
		if err != nil {
			t.Fatal(err)
		}
		var five, six *model.Article
		for _, a := range res.Articles {
			switch {
			case strings.HasSuffix(a.Link, "/news/5"):
				five = a
			case strings.HasSuffix(a.Link, "/news/6"):
				six = a
			}
		}
		if five == nil || six == nil {
			t.Fatalf("articles 5 and 6 missing from %d articles", len(res.Articles))
		}
		if five.Title != "First heading five" {
			t.Errorf("title %q, want the first h1", five.Title)
		}
		if !strings.Contains(five.Body, "Paragraph 3.") || strings.Contains(five.Body, "cookie policy") || strings.Contains(five.Body, "Related link") {
			t.Errorf("body %q, want the main text only", five.Body)
		}
		if want := time.Date(2025, 11, 30, 8, 15, 0, 0, time.UTC); !five.Published.Equal(want) {
			t.Errorf("published %v, want %v from article:published_time", five.Published, want)
		}
		if six.Title != "Listing site - Six" {
			t.Errorf("title %q, want <title> without h1 or og:title", six.Title)
		}
		if want := time.Date(2025, 11, 29, 5, 0, 0, 0, time.UTC); !six.Published.Equal(want) {
			t.Errorf("published %v, want %v from JSON-LD", six.Published, want)
		}
		if six.CanonicalLink != s.url("news.test", "/news/6") {
			t.Errorf("canonical %q, want the fetched URL (off-host canonical ignored)", six.CanonicalLink)
		}
	})
	t.Run("charset from Content-Type decoded once", func(t *testing.T) {
		a := byPath["/7"]
		if a.Title != "Заголовок семь" || a.Body != "Текст о Донецке." {
			t.Errorf("title %q body %q", a.Title, a.Body)
		}
	})
	t.Run("a failed page keeps validators off", func(t *testing.T) {
		if res.ETag != "" {
			t.Errorf("ETag %q after a failed article page, want none so the next pass refetches", res.ETag)
		}
	})
}

func TestPageSourceMaxArticles(t *testing.T) {
	s := newSite(t)
	c := newSiteCrawler(t, Options{MaxArticles: 2})
	res, err := c.Fetch(testContext(t), Request{Source: s.source()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Articles) != 2 || !strings.HasSuffix(res.Articles[1].Link, "/news/2") {
		t.Fatalf("got %d articles, want the first 2 in page order", len(res.Articles))
	}
	if s.hit("news.test", "/news/5") != 0 {
		t.Error("article beyond max_articles fetched")
	}
	if res.ETag != "" {
		t.Errorf("ETag %q with articles left for later, want none", res.ETag)
	}

	src := s.source()
	src.MaxArticles = 1
	res, err = c.Fetch(testContext(t), Request{Source: src})
	if err != nil || len(res.Articles) != 1 {
		t.Fatalf("source max_articles 1: %v, %d articles", err, len(res.Articles))
	}
}

func TestPageSourceConditionalAndRevisit(t *testing.T) {
	s := newSite(t)
	c := newSiteCrawler(t, Options{})
	src := s.source()
	src.Links = `a.item[href="/news/1"], a.item[href="/news/6"]`
	for pass := 1; pass <= 2; pass++ {
		res, err := c.Fetch(testContext(t), Request{Source: src})
		if err != nil || len(res.Articles) != 2 || res.ETag != `"L1"` {
			t.Fatalf("pass %d: %v, %+v", pass, err, res)
		}
	}
	if n := s.hit("news.test", "/news/1"); n != 2 {
		t.Errorf("/news/1 fetched %d times in two passes, want 2 (colly must allow revisits)", n)
	}
	res, err := c.Fetch(testContext(t), Request{Source: src, ETag: `"L1"`})
	if err != nil || !res.NotModified || len(res.Articles) != 0 {
		t.Fatalf("conditional pass: %v, %+v", err, res)
	}
}

func TestPageSourceRobotsDisallowsListing(t *testing.T) {
	s := newSite(t)
	c := newSiteCrawler(t, Options{})
	src := s.source()
	src.Page = s.url("news.test", "/news/private/list")
	_, err := c.Fetch(testContext(t), Request{Source: src})
	if !errors.Is(err, ErrRobotsDisallowed) {
		t.Fatalf("error %v, want ErrRobotsDisallowed", err)
	}
	if s.hit("news.test", "/news/private/list") != 0 {
		t.Error("disallowed listing page fetched")
	}
}

func TestPickLinks(t *testing.T) {
	body := []byte(`<html><head><base href="https://www.site.example/section/"></head><body>
<a class="x" href="a">a</a><a class="x" href="https://site.example/b">b</a>
<a class="x" href="https://cdn.site.example/c">c</a><a class="x" href="https://evil.example/d">d</a>
<a class="x" href="https://notsite.example/e">e</a><a class="x" href="javascript:alert(1)">f</a>
<a class="x" href="#top">self</a></body></html>`)
	page := mustParseURL(t, "https://www.site.example/section/")
	f := linkFilter{site: siteOf("https://www.site.example/section/"), max: 10, self: canonical(page.String())}
	links, truncated, err := pickLinks(body, page, "a.x", f)
	if err != nil || truncated {
		t.Fatal(err, truncated)
	}
	var got []string
	for _, l := range links {
		got = append(got, l.URL)
	}
	want := "https://www.site.example/section/a https://site.example/b https://cdn.site.example/c"
	if strings.Join(got, " ") != want {
		t.Errorf("links %q, want %q", got, want)
	}
}

func TestPageSourceHostilePages(t *testing.T) {
	s := newSite(t)
	fc := fetch.New(fetch.Options{Timeout: 5 * time.Second, Unpaced: true, Resolver: loopbackResolver{}, MaxBodySize: 32 << 10})
	t.Cleanup(fc.CloseIdleConnections)
	c := newTestCrawler(t, Options{Fetch: fc})
	src := s.source()
	src.Links = "p.extra a"
	res, err := c.Fetch(testContext(t), Request{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Articles) != 1 || !strings.HasSuffix(res.Articles[0].Link, "/news/gz") {
		t.Fatalf("got %d articles, want only the gzipped page (redirect off site, oversized and PDF pages skipped)", len(res.Articles))
	}
	if a := res.Articles[0]; a.Title != "Selected headline one" || !strings.Contains(a.Body, "Donetsk") {
		t.Errorf("gzipped page read as title %q body %q", a.Title, a.Body)
	}
	if n := s.hit("other.test", "/news/x"); n != 0 {
		t.Errorf("off-site redirect followed %d times", n)
	}
	if s.hit("news.test", "/news/huge") != 1 || s.hit("news.test", "/news/moved") != 1 {
		t.Error("hostile pages were not tried once each")
	}
}
