package crawler

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/model"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFetchFeedConditionalGET(t *testing.T) {
	feed := readTestdata(t, "rss20.xml")
	var full, notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` && r.Header.Get("If-Modified-Since") == "Tue, 02 Dec 2025 15:30:00 GMT" {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Tue, 02 Dec 2025 15:30:00 GMT")
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(feed))
	}))
	defer srv.Close()
	c := newTestCrawler(t, Options{})
	src := model.Source{Name: "cond", Feed: srv.URL}

	first, err := c.Fetch(testContext(t), Request{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	if first.NotModified || len(first.Articles) != 2 || first.ETag != `"v1"` || first.FeedURL != srv.URL {
		t.Fatalf("first fetch: %+v", first)
	}
	second, err := c.Fetch(testContext(t), Request{Source: src, ETag: first.ETag, LastModified: first.LastModified})
	if err != nil {
		t.Fatal(err)
	}
	if !second.NotModified || len(second.Articles) != 0 || second.ETag != `"v1"` {
		t.Fatalf("second fetch: %+v", second)
	}
	if full.Load() != 1 || notModified.Load() != 1 {
		t.Fatalf("server saw %d full and %d conditional answers, want 1 and 1", full.Load(), notModified.Load())
	}
}

func TestFetchFeedErrors(t *testing.T) {
	srv := newServer(t, map[string]route{
		"/truncated":         {contentType: "application/rss+xml", body: readTestdata(t, "truncated.xml")},
		"/malformed":         {contentType: "application/rss+xml", body: readTestdata(t, "malformed.xml")},
		"/error-page":        {contentType: "text/html", body: readTestdata(t, "error-page.html")},
		"/error-page-as-xml": {contentType: "application/rss+xml", body: readTestdata(t, "error-page.html")},
		"/plain":             {contentType: "text/plain", body: "just some text"},
		"/bad-json":          {contentType: "application/feed+json", body: `{"version": "https://jsonfeed.org/version/1.1", "items": [`},
		"/500":               {status: http.StatusInternalServerError, body: "boom"},
	})
	tests := []struct {
		path string
		is   error
	}{
		{"/truncated", nil},
		{"/malformed", nil},
		{"/error-page", ErrNoFeed},
		{"/error-page-as-xml", ErrNoFeed},
		{"/plain", ErrNotFeed},
		{"/bad-json", nil},
		{"/500", nil},
	}
	c := newTestCrawler(t, Options{})
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res, err := c.Fetch(testContext(t), Request{Source: model.Source{Name: "bad", Feed: srv.URL + tt.path}})
			if err == nil {
				t.Fatalf("Fetch succeeded with %d articles, want an error", len(res.Articles))
			}
			t.Logf("error: %v", err)
			if res != nil {
				t.Errorf("Result %+v with an error, want nil", res)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want it to wrap %v", err, tt.is)
			}
			if !strings.HasPrefix(err.Error(), "crawler: bad: ") {
				t.Errorf("error %q lacks the crawler: SOURCE: context", err)
			}
		})
	}
	t.Run("status error is typed", func(t *testing.T) {
		_, err := c.Fetch(testContext(t), Request{Source: model.Source{Name: "bad", Feed: srv.URL + "/500"}})
		var se *fetch.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusInternalServerError {
			t.Fatalf("error %v, want a *fetch.StatusError 500", err)
		}
	})
}

func TestFetchFeedEntityBomb(t *testing.T) {
	srv := newServer(t, map[string]route{"/": {contentType: "application/rss+xml", body: readTestdata(t, "entity-bomb.xml")}})
	c := newTestCrawler(t, Options{})
	res, err := c.Fetch(testContext(t), Request{Source: model.Source{Name: "bomb", Feed: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Articles) != 1 {
		t.Fatalf("got %d articles, want 1", len(res.Articles))
	}
	a := res.Articles[0]
	for _, s := range []string{a.Title, a.Summary, a.Body} {
		if len(s) > 64 || strings.Contains(s, "lollol") || strings.Contains(s, "root:") {
			t.Errorf("entity expanded: %q", s)
		}
	}
	if !strings.HasPrefix(a.Title, "Bomb") {
		t.Errorf("title %q, want the item kept", a.Title)
	}
}

func TestFeedTextCappedAtRuneBoundary(t *testing.T) {
	long := strings.Repeat("Донецк ", 100) // 2-byte runes
	feed := `<rss version="2.0"><channel><title>x</title><item><title>` + long + `</title><guid>g</guid>` +
		`<description>` + long + `</description></item></channel></rss>`
	srv := newServer(t, map[string]route{"/": {contentType: "application/rss+xml", body: feed}})
	c := newTestCrawler(t, Options{MaxTextBytes: 101})
	res, err := c.Fetch(testContext(t), Request{Source: model.Source{Name: "cap", Feed: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	a := res.Articles[0]
	for _, s := range []string{a.Title, a.Summary} {
		if len(s) > 101 || len(s) < 90 || !utf8.ValidString(s) || !strings.HasPrefix(s, "Донецк Донецк") {
			t.Errorf("capped text %q (%d bytes), want valid UTF-8 of at most 101 bytes", s, len(s))
		}
	}
}

func TestFetchCancelledOrEmptySource(t *testing.T) {
	s := newSite(t)
	c := newSiteCrawler(t, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, src := range []model.Source{s.source(), {Name: "feed", Feed: s.url("news.test", "/news"), AllowPrivate: true}} {
		if _, err := c.Fetch(ctx, Request{Source: src}); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: error %v, want context.Canceled", src.Name, err)
		}
	}
	if _, err := c.Fetch(t.Context(), Request{Source: model.Source{Name: "empty"}}); err == nil {
		t.Error("a source without URLs fetched without error")
	}
}
