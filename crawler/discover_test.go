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
