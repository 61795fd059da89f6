package crawler

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/fetch"
)

// newTestCrawler returns a crawler whose fetch client has no politeness
// delay (tests hit one loopback host many times) and short timeouts.
func newTestCrawler(t *testing.T, o Options) *Crawler {
	t.Helper()
	if o.Fetch == nil {
		fc := fetch.New(fetch.Options{Timeout: 5 * time.Second, Unpaced: true, Feeds: fetch.Pace{Conns: 4}, Pages: fetch.Pace{Conns: 4}})
		t.Cleanup(fc.CloseIdleConnections)
		o.Fetch = fc
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	return New(o)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// route is one canned response of a test server.
type route struct {
	contentType string
	body        string
	status      int // default 200
}

// newServer serves routes by path; unknown paths are 404. robots.txt is
// 404 (allow all) unless a route sets it.
func newServer(t *testing.T, routes map[string]route) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if rt.contentType != "" {
			w.Header().Set("Content-Type", rt.contentType)
		}
		w.WriteHeader(max(rt.status, http.StatusOK))
		_, _ = w.Write([]byte(rt.body))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustParseURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
