package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/fetch"
)

// feedServer serves mutable documents with ETags and counts how each
// request was answered.
type feedServer struct {
	*httptest.Server
	mu       sync.Mutex
	docs     map[string]doc
	hits     map[string]int
	notMod   map[string]int
	handlers map[string]http.HandlerFunc
}

type doc struct {
	body        string
	contentType string
}

func newFeedServer(t *testing.T) *feedServer {
	fs := &feedServer{docs: map[string]doc{}, hits: map[string]int{}, notMod: map[string]int{}, handlers: map[string]http.HandlerFunc{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) set(path, contentType, body string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.docs[path] = doc{body: body, contentType: contentType}
}

func (fs *feedServer) handle(path string, h http.HandlerFunc) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.handlers[path] = h
}

func (fs *feedServer) counts(path string) (hits, notModified int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.hits[path], fs.notMod[path]
}

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	fs.hits[r.URL.Path]++
	h, hasHandler := fs.handlers[r.URL.Path]
	d, ok := fs.docs[r.URL.Path]
	fs.mu.Unlock()
	if hasHandler {
		h(w, r)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256([]byte(d.body))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if r.Header.Get("If-None-Match") == etag {
		fs.mu.Lock()
		fs.notMod[r.URL.Path]++
		fs.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", d.contentType)
	io.WriteString(w, d.body)
}

// rssItem is one item of a test RSS feed.
type rssItem struct {
	guid, link, title, desc string
	pub                     time.Time // zero: undated
}

func rss(items ...rssItem) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><link>http://example.com/</link><description>d</description>`)
	for _, it := range items {
		b.WriteString("<item>")
		if it.guid != "" {
			fmt.Fprintf(&b, "<guid isPermaLink=\"false\">%s</guid>", it.guid)
		}
		fmt.Fprintf(&b, "<title>%s</title><link>%s</link><description>%s</description>", xmlEsc(it.title), xmlEsc(it.link), xmlEsc(it.desc))
		if !it.pub.IsZero() {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", it.pub.UTC().Format(time.RFC1123Z))
		}
		b.WriteString("</item>")
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

func xmlEsc(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// syncBuffer is a bytes.Buffer safe for the notifier and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is a daemon on a temp state file with its stdout and log captured.
type harness struct {
	t      *testing.T
	dir    string
	cfgSrc string
	state  string           // what STATE in the config becomes; "": state.db in dir
	drain  time.Duration    // Once's delivery wait; 0 = the default
	paced  bool             // per-host pacing on (off unless the test is about it)
	now    func() time.Time // the daemon's clock; nil: time.Now
	out    *syncBuffer
	logs   *syncBuffer
	d      *Daemon
}

func newHarness(t *testing.T, yaml string) *harness {
	t.Helper()
	h := &harness{t: t, dir: t.TempDir(), out: &syncBuffer{}, logs: &syncBuffer{}}
	h.cfgSrc = yaml
	h.start()
	return h
}

func (h *harness) configPath() string { return filepath.Join(h.dir, "newswatch.yaml") }

func (h *harness) writeConfig(yaml string) {
	h.t.Helper()
	state := h.state
	if state == "" {
		state = filepath.Join(h.dir, "state.db")
	}
	yaml = strings.ReplaceAll(yaml, "STATE", state)
	if err := os.WriteFile(h.configPath(), []byte(yaml), 0o600); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) loadConfig() *config.Config {
	h.t.Helper()
	cfg, err := config.Load(h.configPath(), config.Options{Version: "test", LookupEnv: noEnv})
	if err != nil {
		h.t.Fatalf("config: %v", err)
	}
	return cfg
}

func noEnv(string) (string, bool) { return "", false }

// start opens (or reopens, after stop) the daemon on the same state file.
func (h *harness) start() {
	h.t.Helper()
	h.writeConfig(h.cfgSrc)
	cfg := h.loadConfig()
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := New(context.Background(), cfg, Options{
		Version: "test", Logger: log, Stdout: h.out, LookupEnv: noEnv,
		Fetch: &fetch.Options{Timeout: 2 * time.Second, Unpaced: !h.paced}, DrainTimeout: h.drain,
		Now: h.now,
	})
	if err != nil {
		h.t.Fatalf("New: %v", err)
	}
	h.d = d
	h.t.Cleanup(func() { h.d.Close() })
}

func (h *harness) restart() {
	h.t.Helper()
	if err := h.d.Close(); err != nil {
		h.t.Fatalf("close: %v", err)
	}
	h.start()
}

func (h *harness) once() int {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return h.d.Once(ctx)
}

// newOutput returns what the notifier printed since the last call.
func (h *harness) newOutput(seen *int) string {
	s := h.out.String()
	out := s[*seen:]
	*seen = len(s)
	return out
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
