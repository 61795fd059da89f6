package crawler

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/newswatch/newswatch/model"
)

func TestFeedLinks(t *testing.T) {
	page := `<html><head>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="text/html" href="/other">
<link rel="alternate" hreflang="ru" type="application/rss+xml; charset=utf-8" href="/rss.xml">
<LINK REL="Alternate home" TYPE="application/atom+xml" HREF="https://cdn.example/atom.xml">
<link rel="alternate" type="application/feed+json" href="feed.json"/>
<link rel="alternate" type="application/json" href="/api.json">
</head></html>`
	base, _ := url.Parse("https://site.example/news/")
	got := feedLinks([]byte(page), base)
	want := []string{
		"https://site.example/rss.xml",
		"https://cdn.example/atom.xml",
		"https://site.example/news/feed.json",
		"https://site.example/api.json",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("feedLinks = %q, want %q", got, want)
	}
}

func TestAutodiscovery(t *testing.T) {
	var pageHits, feedHits atomic.Int32
	feed := readTestdata(t, "atom.xml")
	mux := http.NewServeMux()
	mux.HandleFunc("/world", func(w http.ResponseWriter, r *http.Request) {
		pageHits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html><head><title>World</title>
<link rel="alternate" type="application/rss+xml" href="/missing.rss">
<link rel="alternate" type="application/atom+xml" href="/world/atom.xml"></head><body>news</body></html>`))
	})
	mux.HandleFunc("/world/atom.xml", func(w http.ResponseWriter, r *http.Request) {
		feedHits.Add(1)
		if r.Header.Get("If-None-Match") == `"a1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"a1"`)
		w.Header().Set("Content-Type", "application/atom+xml")
		_, _ = w.Write([]byte(feed))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newTestCrawler(t, Options{})
	src := model.Source{Name: "world", Feed: srv.URL + "/world"}
	feedURL := srv.URL + "/world/atom.xml"

	t.Run("Fetch follows the advertised feed", func(t *testing.T) {
		res, err := c.Fetch(testContext(t), Request{Source: src})
		if err != nil {
			t.Fatal(err)
		}
		if res.FeedURL != feedURL || len(res.Articles) != 2 || res.ETag != `"a1"` {
			t.Fatalf("result %+v, want 2 articles from %s", res, feedURL)
		}
		if res.Articles[0].Source != "world" || res.Articles[0].Title != "Peace plan draft published" {
			t.Errorf("first article %+v", res.Articles[0])
		}
	})
	t.Run("next pass goes straight to the feed", func(t *testing.T) {
		pages := pageHits.Load()
		res, err := c.Fetch(testContext(t), Request{Source: src, ETag: `"a1"`})
		if err != nil {
			t.Fatal(err)
		}
		if !res.NotModified || res.FeedURL != feedURL || pageHits.Load() != pages {
			t.Fatalf("result %+v, page fetched %d more times", res, pageHits.Load()-pages)
		}
	})
	t.Run("Discover names the feed", func(t *testing.T) {
		got, err := c.Discover(testContext(t), src)
		if err != nil || got != feedURL {
			t.Fatalf("Discover = %q, %v; want %q", got, err, feedURL)
		}
		direct := model.Source{Name: "direct", Feed: feedURL}
		if got, err := c.Discover(testContext(t), direct); err != nil || got != feedURL {
			t.Fatalf("Discover(direct feed) = %q, %v; want the feed itself", got, err)
		}
		if got, err := c.Discover(testContext(t), model.Source{Name: "p", Page: srv.URL}); err != nil || got != "" {
			t.Fatalf("Discover(page source) = %q, %v; want empty", got, err)
		}
	})
	t.Run("a page without feeds fails", func(t *testing.T) {
		srv := newServer(t, map[string]route{"/": {contentType: "text/html", body: readTestdata(t, "error-page.html")}})
		_, err := c.Discover(testContext(t), model.Source{Name: "none", Feed: srv.URL + "/"})
		if !errors.Is(err, ErrNoFeed) {
			t.Fatalf("Discover error %v, want ErrNoFeed", err)
		}
	})
}

// Real pages are rarely well-formed XML: an inline script with "<", an
// unclosed <p>, a document cut short. Autodiscovery must still read them.
func TestAutodiscoveryFromTagSoup(t *testing.T) {
	feed := readTestdata(t, "atom.xml")
	pages := map[string]string{
		"script":   `<!doctype html><html><head><link rel="alternate" type="application/atom+xml" href="/atom.xml"><script>for (var i = 0; i < 3 && ok; i++) {}</script></head><body></body></html>`,
		"unclosed": `<!doctype html><html><head><link rel="alternate" type="application/atom+xml" href="/atom.xml"></head><body><p>news`,
	}
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, map[string]route{
				"/":         {contentType: "text/html; charset=utf-8", body: page},
				"/atom.xml": {contentType: "application/atom+xml", body: feed},
			})
			c := newTestCrawler(t, Options{})
			src := model.Source{Name: "soup", Feed: srv.URL + "/"}
			res, err := c.Fetch(testContext(t), Request{Source: src})
			if err != nil {
				t.Fatal(err)
			}
			if res.FeedURL != srv.URL+"/atom.xml" || len(res.Articles) != 2 {
				t.Errorf("read %d articles from %q, want 2 from the advertised feed", len(res.Articles), res.FeedURL)
			}
			if got, err := c.Discover(testContext(t), src); err != nil || got != srv.URL+"/atom.xml" {
				t.Errorf("Discover = %q, %v", got, err)
			}
		})
	}
}

// A remembered feed that stops being a feed (the site moved it and the old
// URL now serves a page) is forgotten, so the next pass finds the new one.
func TestAutodiscoveryForgetsMovedFeed(t *testing.T) {
	feed := readTestdata(t, "atom.xml")
	var moved atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		href := "/old.xml"
		if moved.Load() {
			href = "/new.xml"
		}
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<html><head><link rel="alternate" type="application/atom+xml" href="` + href + `"></head></html>`))
	})
	mux.HandleFunc("/old.xml", func(w http.ResponseWriter, r *http.Request) {
		if moved.Load() {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<html><body>Our feed has moved.</body></html>`))
			return
		}
		_, _ = w.Write([]byte(feed))
	})
	mux.HandleFunc("/new.xml", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(feed)) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newTestCrawler(t, Options{})
	src := model.Source{Name: "moving", Feed: srv.URL + "/"}

	if res, err := c.Fetch(testContext(t), Request{Source: src}); err != nil || res.FeedURL != srv.URL+"/old.xml" {
		t.Fatalf("first pass: %v, %+v", err, res)
	}
	moved.Store(true)
	if _, err := c.Fetch(testContext(t), Request{Source: src}); err == nil {
		t.Fatal("pass reading a page at the remembered feed URL succeeded")
	}
	res, err := c.Fetch(testContext(t), Request{Source: src})
	if err != nil || res.FeedURL != srv.URL+"/new.xml" || len(res.Articles) != 2 {
		t.Fatalf("pass after the move: %v, %+v; want 2 articles from the new feed", err, res)
	}
}
