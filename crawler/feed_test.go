package crawler

import (
	"bytes"
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

// A feed cut short anywhere is an error, never a shorter list of items
// (which would make the rest look deleted).
func TestFeedTruncatedAnywhere(t *testing.T) {
	c := newTestCrawler(t, Options{})
	for _, name := range []string{"rss20.xml", "rss10.xml", "atom.xml", "windows-1251.xml"} {
		t.Run(name, func(t *testing.T) {
			doc, err := fetch.ToUTF8([]byte(readTestdata(t, name)), "")
			if err != nil {
				t.Fatal(err)
			}
			full, err := c.parseFeed("t", "http://feed.test/", doc)
			if err != nil || len(full) == 0 {
				t.Fatalf("whole feed: %d articles, %v", len(full), err)
			}
			end := bytes.LastIndexByte(doc, '>') // what follows the root's end tag is not the feed
			for i := range end {
				if articles, err := c.parseFeed("t", "http://feed.test/", doc[:i]); err == nil {
					t.Fatalf("cut at byte %d of %d: %d articles, no error", i, len(doc), len(articles))
				}
			}
		})
	}
}

// RSS 2.0: a <guid> is the item's permalink unless isPermaLink="false", so
// an item without <link> is still known by its (canonical) link.
func TestFeedGUIDPermalink(t *testing.T) {
	feed := `<rss version="2.0"><channel><title>x</title>
<item><title>permalink guid</title><guid>https://news.example/a?utm_source=rss</guid></item>
<item><title>explicit permalink</title><guid isPermaLink="true">https://news.example/b</guid></item>
<item><title>not a permalink</title><guid isPermaLink="false">https://news.example/?p=3</guid></item>
<item><title>opaque guid</title><guid>news-4</guid></item>
<item><title>relative guid</title><guid>/5</guid></item>
<item><title>link wins</title><link>https://news.example/6</link><guid>https://news.example/other</guid></item>
</channel></rss>`
	want := []string{
		"https://news.example/a", "https://news.example/b", "", "", "", "https://news.example/6",
	}
	articles, err := newTestCrawler(t, Options{}).parseFeed("t", "http://feed.test/rss", []byte(feed))
	if err != nil {
		t.Fatal(err)
	}
	if len(articles) != len(want) {
		t.Fatalf("%d articles, want %d", len(articles), len(want))
	}
	for i, a := range articles {
		if a.CanonicalLink != want[i] {
			t.Errorf("%s: canonical link %q, want %q", a.Title, a.CanonicalLink, want[i])
		}
		if a.GUID == "" {
			t.Errorf("%s: GUID lost", a.Title)
		}
	}
}
