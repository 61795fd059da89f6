package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/store"
)

// startRun runs h's daemon with ro and returns a stop that cancels it and
// waits for Run to return.
func startRun(t *testing.T, h *harness, ro RunOptions) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.d.Run(ctx, ro) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(40 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}

// TestShutdownLetsTheSlackPostInFlightFinish: SIGTERM while Slack is
// receiving a post. The post used to be cut off with the run context, stay
// pending and be posted again after the restart; it must finish within the
// grace period and be recorded as sent.
func TestShutdownLetsTheSlackPostInFlightFinish(t *testing.T) {
	feeds := newFeedServer(t)
	feeds.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "1", link: feeds.URL + "/1", title: "Putin speaks", desc: "Talks.", pub: recent(time.Hour)}))
	feeds.set("/other.xml", "application/rss+xml", rss())
	slack := newFakeSlack(t)
	posting := make(chan struct{})
	var once sync.Once
	slack.onPost = func() { once.Do(func() { close(posting) }) }
	slack.delay = 2 * time.Second
	h := newHarness(t, fmt.Sprintf(slackConfig, feeds.URL, slack.URL))

	stop := startRun(t, h, RunOptions{Grace: 10 * time.Second})
	select {
	case <-posting:
	case <-time.After(15 * time.Second):
		t.Fatal("no post reached Slack")
	}
	stop() // SIGTERM while Slack holds the answer
	counts, err := h.d.state.AlertCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts.Sent != 1 || counts.Pending != 0 {
		t.Fatalf("after shutdown: %+v, want the posts in flight recorded as sent", counts)
	}
	// A restart posts nothing again.
	h.restart()
	h.once()
	if n := len(slack.all()); n != 1 {
		t.Errorf("%d posts after a restart, want 1", n)
	}
}

// TestReloadsSerialised: SIGHUP and file changes arrive together; reloads
// run one at a time through Run's loop (go test -race reported the
// scheduler's state read without its lock when both fired).
func TestReloadsSerialised(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss())
	h := newHarness(t, fmt.Sprintf(runConfig, srv.URL))
	stop := startRun(t, h, RunOptions{ConfigPath: h.configPath()})
	defer stop()
	// Run takes SIGHUP before it is ready; a SIGHUP before that would end
	// the test process.
	eventually(t, "the daemon ready", h.d.ready.Load)
	var wg sync.WaitGroup
	for i := range 10 {
		cfg := fmt.Sprintf(runConfig, srv.URL)
		for j := range i + 1 {
			cfg += fmt.Sprintf("  - {name: extra%d, query: 'Witkoff%d'}\n", j, j)
		}
		wg.Go(func() { h.writeConfig(cfg) })
		wg.Go(func() { syscall.Kill(os.Getpid(), syscall.SIGHUP) })
		wg.Go(h.d.RequestReload)
		wg.Wait()
		time.Sleep(20 * time.Millisecond)
	}
	eventually(t, "the last edit in force", func() bool { return len(h.d.Config().Rules) == 11 })
}

// TestConfigMapSwapReloads: a Kubernetes ConfigMap volume updates by
// swapping the "..data" symlink; no event names the config file.
func TestConfigMapSwapReloads(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss())
	h := newHarness(t, fmt.Sprintf(runConfig, srv.URL))
	vol := filepath.Join(h.dir, "vol")
	write := func(gen, content string) {
		dir := filepath.Join(vol, gen)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		content = strings.ReplaceAll(content, "STATE", filepath.Join(h.dir, "state.db"))
		if err := os.WriteFile(filepath.Join(dir, "newswatch.yaml"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(vol, "..data_tmp")
		if err := os.Symlink(gen, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(vol, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	write("..2026_12_01_a", fmt.Sprintf(runConfig, srv.URL))
	path := filepath.Join(vol, "newswatch.yaml")
	if err := os.Symlink("..data/newswatch.yaml", path); err != nil {
		t.Fatal(err)
	}
	stop := startRun(t, h, RunOptions{ConfigPath: path})
	defer stop()
	time.Sleep(100 * time.Millisecond) // the watch is set up
	write("..2026_12_01_b", fmt.Sprintf(runConfig, srv.URL)+"  - {name: witkoff, query: Witkoff}\n")
	eventually(t, "the swapped config in force", func() bool { return len(h.d.Config().Rules) == 2 })
}

// TestRetentionByPresenceForPageSources: a listing that still shows a known
// link keeps its article from being pruned and then alerted again, whether
// the listing changed (the link is skipped as seen) or answered 304.
func TestRetentionByPresenceForPageSources(t *testing.T) {
	for _, changed := range []bool{true, false} {
		t.Run(fmt.Sprintf("listing changed %v", changed), func(t *testing.T) { testRetentionByPresence(t, changed) })
	}
}

func testRetentionByPresence(t *testing.T, changed bool) {
	srv := newFeedServer(t)
	start := time.Now().UTC().Truncate(time.Second)
	listing := `<html><body><div class="hentry"><h3><a href="/news/1">One</a></h3></div>%s</body></html>`
	srv.set("/news", "text/html", fmt.Sprintf(listing, ""))
	page := `<html><head><meta property="article:published_time" content="%s"></head>
<body><h1>%s</h1><div class="read__content"><p>The envoy was received.</p></div></body></html>`
	srv.set("/news/1", "text/html", fmt.Sprintf(page, start.Format(time.RFC3339), "Putin meets Witkoff in the Kremlin"))
	srv.set("/news/2", "text/html", fmt.Sprintf(page, start.Format(time.RFC3339), "Harvest figures"))
	yaml := strings.ReplaceAll(fmt.Sprintf(`
state: STATE
listen: ""
max_age: 2h
story_window: 1h
retention: 2h
sources:
  - {name: kremlin, page: %s/news, links: "div.hentry h3 a", title: h1, body: div.read__content}
rules:
  - {name: witkoff-moscow, query: 'Witkoff AND (Kremlin OR Putin)'}
`, srv.URL), "STATE", filepath.Join(t.TempDir(), "state.db"))
	path := filepath.Join(t.TempDir(), "newswatch.yaml")
	os.WriteFile(path, []byte(yaml), 0o600)
	cfg, err := config.Load(path, config.Options{LookupEnv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := start
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(d time.Duration) { mu.Lock(); now = start.Add(d); mu.Unlock() }
	out := &syncBuffer{}
	d, err := New(context.Background(), cfg, Options{Stdout: out, Now: clock, LookupEnv: noEnv,
		Logger: slog.New(slog.DiscardHandler), Fetch: &fetch.Options{Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Once(context.Background())
	set(90 * time.Minute)
	if changed {
		srv.set("/news", "text/html", fmt.Sprintf(listing, `<div class="hentry"><h3><a href="/news/2">Two</a></h3></div>`))
	}
	d.Once(context.Background()) // the listing still shows the link
	if _, notMod := srv.counts("/news"); notMod != btoi(!changed) {
		t.Fatalf("listing answered 304 %d times, want %d", notMod, btoi(!changed))
	}
	if err := d.state.Prune(context.Background(), start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	set(108 * time.Minute)
	srv.set("/news/3", "text/html", fmt.Sprintf(page, start.Format(time.RFC3339), "Weather"))
	srv.set("/news", "text/html", fmt.Sprintf(listing, `<div class="hentry"><h3><a href="/news/3">Three</a></h3></div>`)) // still shows /news/1
	d.Once(context.Background())
	if n := strings.Count(out.String(), "Putin meets Witkoff in the Kremlin"); n != 1 {
		t.Errorf("alerted %d times, want once: a still-listed article was pruned and taken for new", n)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestHTTPClosesIdleConnections: an idle keep-alive connection to the
// endpoints is closed, not held forever.
func TestHTTPClosesIdleConnections(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss())
	h := newHarness(t, fmt.Sprintf(runConfig, srv.URL))
	addrCh := make(chan string, 1)
	stop := startRun(t, h, RunOptions{HTTPIdleTimeout: 200 * time.Millisecond, Listening: func(a string) { addrCh <- a }})
	defer stop()
	conn, err := net.Dial("tcp", <-addrCh)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, "200") {
		t.Fatalf("response %q, %v", line, err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.Copy(io.Discard, br) // returns when the server closes
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Error("idle keep-alive connection still open after 10s")
	}
}

// TestStartRefusesEmptyState: an empty state is refused in words and is
// not initialised.
func TestStartRefusesEmptyState(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.db")
	os.WriteFile(state, nil, 0o600)
	cfg := &config.Config{State: state}
	_, err := New(context.Background(), cfg, Options{Logger: slog.New(slog.DiscardHandler)})
	if !errors.Is(err, store.ErrEmptyState) || !strings.Contains(err.Error(), "alert every item again") {
		t.Fatalf("New = %v, want the empty state refused in words", err)
	}
	if fi, _ := os.Stat(state); fi.Size() != 0 {
		t.Error("the empty state was initialised")
	}
}

// TestSecondDaemonDoesNotMigrate: the lock is taken before the store is
// opened, so a second process never touches the schema of a running one.
func TestSecondDaemonDoesNotMigrate(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss())
	h := newHarness(t, fmt.Sprintf(runConfig, srv.URL))
	state := filepath.Join(h.dir, "state.db")
	if _, err := h.d.state.(*store.SQLite).Note(context.Background(), "state_id"); err != nil {
		t.Fatal(err)
	}
	// A "newer binary" would migrate; the refusal must come first.
	before, _ := os.ReadFile(state)
	_, err := New(context.Background(), h.loadConfig(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "in use by another newswatch") {
		t.Fatalf("second New = %v, want refused by the lock", err)
	}
	if after, _ := os.ReadFile(state); string(after) != string(before) {
		t.Error("the second process changed the state file before being refused")
	}
}

// TestWidePermissionsWarn: an existing state that others may read gets a
// warning at start (it holds article history and source errors).
func TestWidePermissionsWarn(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss())
	h := newHarness(t, fmt.Sprintf(runConfig, srv.URL))
	h.d.Close()
	state := filepath.Join(h.dir, "state.db")
	if err := os.Chmod(state, 0o644); err != nil {
		t.Fatal(err)
	}
	h.start()
	if !strings.Contains(h.logs.String(), "chmod 600") || !strings.Contains(h.logs.String(), "0644") {
		t.Errorf("no warning about the state's permissions:\n%s", h.logs.String())
	}
}
