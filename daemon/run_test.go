package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/newswatch/newswatch/fetch"
)

// runDaemon starts Run in the background and returns the HTTP address and a
// stop function that waits for a clean shutdown.
func runDaemon(t *testing.T, h *harness) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrCh := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- h.d.Run(ctx, RunOptions{ConfigPath: h.configPath(), Listening: func(a string) { addrCh <- a }})
	}()
	select {
	case addr = <-addrCh:
	case err := <-done:
		t.Fatalf("Run returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not start listening")
	}
	return addr, func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Run did not return after cancel")
		}
	}
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const runConfig = `
state: STATE
listen: 127.0.0.1:0
schedule: "@every 1h"
sources:
  - name: wire
    feed: %[1]s/wire.xml
rules:
  - name: donetsk
    query: Donetsk
`

// TestRunHotReload: the daemon polls at start, serves its endpoints, applies
// a good edit at once, and keeps the last good config on a bad one.
func TestRunHotReload(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss(
		rssItem{guid: "1", link: srv.URL + "/1", title: "Donetsk under fire", desc: "Shelling.", pub: recent(time.Hour)},
	))
	srv.set("/extra.xml", "application/rss+xml", rss(
		rssItem{guid: "e1", link: srv.URL + "/e1", title: "Witkoff lands in Moscow", desc: "He will meet Putin.", pub: recent(time.Hour)},
	))
	h := newHarness(t, fmt.Sprintf(runConfig, srv.URL))
	addr, stop := runDaemon(t, h)
	defer stop()

	eventually(t, "first alert", func() bool { return strings.Contains(h.out.String(), "Donetsk under fire") })
	if code, body := get(t, "http://"+addr+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d %s", code, body)
	}
	if code, body := get(t, "http://"+addr+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %s", code, body)
	}
	_, metrics := get(t, "http://"+addr+"/metrics")
	for _, series := range []string{`newswatch_fetches_total{result="ok",source="wire"} 1`, `newswatch_matches_total{rule="donetsk"} 1`, "newswatch_alerts{state=\"sent\"}", "newswatch_config_last_reload_successful 1"} {
		if !strings.Contains(metrics, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}

	t.Run("bad edit keeps the last good config", func(t *testing.T) {
		bad := fmt.Sprintf(runConfig, srv.URL) + "  - name: broken\n    query: 'Witkoff AND (Putin'\n"
		h.writeConfig(bad)
		eventually(t, "reload rejection logged", func() bool {
			return strings.Contains(h.logs.String(), "config reload rejected")
		})
		if !strings.Contains(h.logs.String(), "newswatch.yaml:") {
			t.Errorf("rejection does not name FILE:LINE:COL:\n%s", h.logs.String())
		}
		if got := len(h.d.Config().Rules); got != 1 {
			t.Errorf("rules in force = %d, want the old 1", got)
		}
		_, m := get(t, "http://"+addr+"/metrics")
		if !strings.Contains(m, "newswatch_config_last_reload_successful 0") {
			t.Error("reload failure not in /metrics")
		}
	})

	t.Run("good edit applies without restart", func(t *testing.T) {
		good := fmt.Sprintf(runConfig, srv.URL) + "  - name: witkoff\n    query: Witkoff\n" +
			"" // the new source is added below the rules for a realistic edit
		good = strings.Replace(good, "rules:", fmt.Sprintf("  - name: extra\n    feed: %s/extra.xml\nrules:", srv.URL), 1)
		// Replace the file the way editors do: write a temp file, rename it over.
		tmp := h.configPath() + ".tmp"
		good = strings.ReplaceAll(good, "STATE", h.dir+"/state.db")
		if err := os.WriteFile(tmp, []byte(good), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, h.configPath()); err != nil {
			t.Fatal(err)
		}
		eventually(t, "alert from the new source and rule", func() bool {
			return strings.Contains(h.out.String(), "Witkoff lands in Moscow")
		})
		if strings.Count(h.out.String(), "Donetsk under fire") != 1 {
			t.Errorf("reload repeated an alert:\n%s", h.out.String())
		}
	})
}

// TestReloadRejectsSlackModeChange: rule channels depend on the Slack mode,
// so a reload that changes it is refused rather than half-applied.
func TestReloadRejectsSlackModeChange(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss())
	h := newHarness(t, fmt.Sprintf(runConfig, srv.URL))
	sched := newScheduler(t.Context(), h.d, 0)
	webhook := strings.Replace(fmt.Sprintf(runConfig, srv.URL), "sources:", "slack:\n  webhook_url: http://127.0.0.1:1/hook\n  channel: '#x'\nsources:", 1)
	h.writeConfig(webhook)
	h.d.reload(h.configPath(), sched)
	if h.d.Config().Slack.Mode() != "stdout" {
		t.Fatalf("mode after reload = %s, want stdout kept", h.d.Config().Slack.Mode())
	}
	if !strings.Contains(h.logs.String(), "slack mode changes from stdout to webhook") {
		t.Errorf("rejection not logged:\n%s", h.logs.String())
	}
	sched.stop()
	sched.wait()
}

// TestReloadRefusesNothingToWatch: an edit that leaves no sources or no
// rules, or an empty file (an editor truncating it before writing), is
// rejected, names what is missing, and the last good config stays.
func TestReloadRefusesNothingToWatch(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss())
	good := fmt.Sprintf(runConfig, srv.URL)
	tests := []struct{ name, config, want string }{
		{"empty file", "", "the config file is empty"},
		{"comments only", "# being edited\n", "the config file is empty"},
		{"no rules", good[:strings.Index(good, "rules:")], "no rules"},
		{"no sources", strings.Replace(good, "sources:\n  - name: wire\n    feed: "+srv.URL+"/wire.xml\n", "", 1), "no sources"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, good)
			sched := newScheduler(t.Context(), h.d, 0)
			defer sched.stop()
			if tt.config == "" {
				if err := os.Truncate(h.configPath(), 0); err != nil {
					t.Fatal(err)
				}
			} else {
				h.writeConfig(tt.config)
			}
			h.d.reload(h.configPath(), sched)
			if c := h.d.Config(); len(c.Sources) != 1 || len(c.Rules) != 1 {
				t.Fatalf("after reload: %d sources, %d rules; want the last good 1 and 1", len(c.Sources), len(c.Rules))
			}
			logs := h.logs.String()
			if !strings.Contains(logs, "config reload rejected") || !strings.Contains(logs, tt.want) {
				t.Errorf("rejection naming %q not logged:\n%s", tt.want, logs)
			}
			if strings.Contains(logs, "config reloaded") {
				t.Errorf("reload applied:\n%s", logs)
			}
		})
	}
}

// TestShutdownSkipsJobsStillInTheirStartDelay: jobs waiting out their random
// start delay are not in-flight work; shutdown must not wait for them.
func TestShutdownSkipsJobsStillInTheirStartDelay(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss())
	h := newHarness(t, fmt.Sprintf(runConfig, srv.URL))
	sched := newScheduler(t.Context(), h.d, time.Hour)
	if err := sched.apply(h.d.Config()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the job to start its delay", func() bool {
		sched.mu.Lock()
		defer sched.mu.Unlock()
		return len(sched.specs) == 1
	})
	sched.stop()
	done := make(chan struct{})
	go func() { sched.wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("shutdown waited for a job that had not started")
	}
	if hits, _ := srv.counts("/wire.xml"); hits != 0 {
		t.Errorf("a job in its start delay fetched after shutdown: %d hits", hits)
	}
}

// TestHostsAppliedOnReload: the config's hosts: paces the fetch client at
// start, and a reload puts a changed list in force.
func TestHostsAppliedOnReload(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss())
	base := fmt.Sprintf(runConfig, srv.URL)
	h := &harness{t: t, dir: t.TempDir(), out: &syncBuffer{}, logs: &syncBuffer{}, paced: true,
		cfgSrc: base + "hosts:\n  - match: news.example\n    rate: 30/m\n    burst: 2\n"}
	h.start()
	feeds, pages := h.d.fetch.Paces("news.example")
	if feeds.Rate != 0.5 || feeds.Burst != 2 || feeds.Conns != fetch.DefaultFeedPace.Conns || pages.Rate != 0.5 {
		t.Errorf("paces at start = %+v, %+v; want 30/m, burst 2, default connections", feeds, pages)
	}
	if other, _ := h.d.fetch.Paces("other.example"); other != fetch.DefaultFeedPace {
		t.Errorf("another host's pace = %+v, want the default %+v", other, fetch.DefaultFeedPace)
	}
	sched := newScheduler(t.Context(), h.d, 0)
	h.writeConfig(base + "hosts:\n  - match: '*.example'\n    rate: unlimited\n    connections: 9\n")
	h.d.reload(h.configPath(), sched)
	feeds, _ = h.d.fetch.Paces("news.example")
	if feeds.Rate != rate.Inf || feeds.Conns != 9 || feeds.Burst != fetch.DefaultFeedPace.Burst {
		t.Errorf("paces after reload = %+v, want unlimited with 9 connections", feeds)
	}
	sched.stop()
	sched.wait()
}
