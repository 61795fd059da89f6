package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// maxServe bounds the server child's life even if nobody closes its stdin.
const maxServe = 5 * time.Minute

// runServer listens on one port per loopback host and serves every feed
// on every host (the client picks the host). Bodies are built and gzipped
// once at start, so serving costs little.
func runServer(ctx context.Context, cfg config) int {
	feeds := buildFeeds(cfg)
	srv := &http.Server{Handler: handler(feeds, cfg.latency), ReadHeaderTimeout: 10 * time.Second}
	for i := 0; i < cfg.hosts; i++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(hostOf(i), "0"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "fetchbench: serve:", err)
			return 1
		}
		go func() { _ = srv.Serve(ln) }()
		fmt.Println(ln.Addr().String())
	}
	fmt.Println("ready")
	ctx, cancel := context.WithTimeout(ctx, maxServe)
	defer cancel()
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	<-ctx.Done()
	_ = srv.Close()
	return 0
}

type feed struct {
	etag string
	gz   []byte
}

func buildFeeds(cfg config) []feed {
	out := make([]feed, cfg.feeds)
	pub := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	for i := range out {
		var doc bytes.Buffer
		fmt.Fprintf(&doc, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed %d</title><link>http://example.com/%d</link>`, i, i)
		for j := 0; j < cfg.items; j++ {
			fmt.Fprintf(&doc, `<item><title>Story %d of feed %d: Kremlin talks on Donetsk continue</title>`+
				`<link>http://example.com/%d/story/%d?utm_source=rss</link><guid>feed-%d-item-%d</guid>`+
				`<pubDate>%s</pubDate><description>&lt;p&gt;%s&lt;/p&gt;</description></item>`,
				j, i, i, j, i, j, pub.Add(-time.Duration(j)*time.Hour).Format(time.RFC1123Z), strings.Repeat("Envoys met in Moscow to discuss the peace plan. ", 8))
		}
		doc.WriteString(`</channel></rss>`)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = zw.Write(doc.Bytes())
		_ = zw.Close()
		out[i] = feed{etag: `"feed-` + strconv.Itoa(i) + `-v1"`, gz: gz.Bytes()}
	}
	return out
}

// handler answers /feed/N after the latency, 304 when the ETag matches,
// gzip when asked (it always is by fetch).
func handler(feeds []feed, latency time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
		if err != nil || n < 0 || n >= len(feeds) {
			http.NotFound(w, r)
			return
		}
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
		f := feeds[n]
		w.Header().Set("ETag", f.etag)
		if r.Header.Get("If-None-Match") == f.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(f.gz)))
		_, _ = w.Write(f.gz)
	}
}
