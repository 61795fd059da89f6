package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newswatch/newswatch/store/pgstore"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

const replicaConfig = `
state: %[2]s
listen: 127.0.0.1:0
schedule: "@every 1s"
sources:
  - name: wire
    feed: %[1]s/wire.xml
rules:
  - name: donetsk
    query: Donetsk
`

// TestReplicasShareOneDatabase: two daemons on one PostgreSQL database
// and one feed. Each runs the every-second schedule, but each tick is
// fetched by one of them (the feed sees at most one request a tick, where
// two uncoordinated daemons would make two), the article is alerted once,
// and both see each other in /metrics and status.
func TestReplicasShareOneDatabase(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	srv := newFeedServer(t)
	var mu sync.Mutex
	requests := 0
	body := rss(rssItem{guid: "1", link: srv.URL + "/1", title: "Donetsk under fire", desc: "Shelling.", pub: recent(time.Hour)})
	srv.handle("/wire.xml", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(body))
	})
	cfg := fmt.Sprintf(replicaConfig, srv.URL, dsn)
	a, b := newHarness(t, cfg), newHarness(t, cfg)
	start := time.Now()
	addrA, stopA := runDaemon(t, a)
	addrB, stopB := runDaemon(t, b)
	eventually(t, "the alert", func() bool { return strings.Contains(a.out.String()+b.out.String(), "Donetsk under fire") })
	time.Sleep(4 * time.Second)

	_, metricsA := get(t, "http://"+addrA+"/metrics")
	for _, want := range []string{"newswatch_replicas_alive 2", "newswatch_replica_configs_agree 1"} {
		if !strings.Contains(metricsA, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The claims of the wire feed's ticks are counted.
	if !regexp.MustCompile(`(?m)^newswatch_db_queries_total\{op="tick_leases"\} [1-9]`).MatchString(metricsA) {
		t.Errorf("/metrics counts no tick_leases statements")
	}
	if code, _ := get(t, "http://"+addrB+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d", code)
	}
	var status bytes.Buffer
	if err := Status(context.Background(), &status, a.loadConfig()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status.String(), "replicas: 2 (configs agree)") {
		t.Errorf("status does not list both replicas:\n%s", status.String())
	}
	_, metricsB := get(t, "http://"+addrB+"/metrics")
	stopA()
	stopB()
	elapsed := time.Since(start)

	mu.Lock()
	got := requests
	mu.Unlock()
	t.Logf("feed fetched %d times in %s", got, elapsed)
	// One fetch at start and one per tick: at most one per elapsed second,
	// plus the start's and a boundary's.
	if max := int(elapsed/time.Second) + 2; got > max || got < 3 {
		t.Errorf("feed fetched %d times in %s, want 3 to %d (one per tick)", got, elapsed.Round(time.Millisecond), max)
	}
	if n := strings.Count(a.out.String()+b.out.String(), "Donetsk under fire"); n != 1 {
		t.Errorf("alert printed %d times, want once:\n%s\n%s", n, a.out.String(), b.out.String())
	}
	skipped := otherReplica(metricsA) + otherReplica(metricsB)
	if skipped == 0 {
		t.Errorf("no tick was left to the other replica: they did not compete\n%s", metricsA)
	}
}

var otherReplicaRE = regexp.MustCompile(`newswatch_fetches_total\{result="other_replica",source="wire"\} (\d+)`)

func otherReplica(metrics string) int {
	m := otherReplicaRE.FindStringSubmatch(metrics)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestReadyzFailsWithoutTheDatabase: a replica whose database goes away
// is not ready.
func TestReadyzFailsWithoutTheDatabase(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	srv := newFeedServer(t)
	srv.set("/wire.xml", "application/rss+xml", rss())
	h := newHarness(t, fmt.Sprintf(replicaConfig, srv.URL, dsn))
	addr, stop := runDaemon(t, h)
	defer stop()
	eventually(t, "ready", func() bool { code, _ := get(t, "http://"+addr+"/readyz"); return code == http.StatusOK })
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	name := dsn[strings.LastIndex(dsn, "/")+1:]
	if i := strings.IndexByte(name, '?'); i >= 0 {
		name = name[:i]
	}
	if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, "http://"+addr+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz without the database = %d %s, want 503", code, body)
	}
}

// TestPostgresAccepted: a postgres:// state is accepted at start, by run
// and by status (pgstore keeps noise control's state too, issue 14).
func TestPostgresAccepted(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	h := &harness{t: t, dir: t.TempDir(), out: &syncBuffer{}, logs: &syncBuffer{}}
	h.writeConfig(fmt.Sprintf(replicaConfig, "http://127.0.0.1:1", dsn))
	cfg := h.loadConfig()
	d, err := New(context.Background(), cfg, Options{Logger: discardLogger(), LookupEnv: noEnv})
	if err != nil {
		t.Fatalf("New with postgres:// = %v", err)
	}
	d.Close()
	var out bytes.Buffer
	if err := Status(context.Background(), &out, cfg); err != nil {
		t.Fatalf("Status with postgres:// = %v", err)
	}
	if !strings.Contains(out.String(), "wire") {
		t.Errorf("status = %q, want the config's source listed", out.String())
	}
}

// TestConfigDisagreementLoggedOncePerChange: a replica whose config
// differs from the others' says so once, not at every heartbeat, and
// again only when the set of disagreeing replicas changes.
func TestConfigDisagreementLoggedOncePerChange(t *testing.T) {
	logs := &syncBuffer{}
	r := &replication{log: slog.New(slog.NewTextHandler(logs, nil))}
	alive := func(id, hash string) pgstore.Replica {
		return pgstore.Replica{ID: id, Host: "h", ConfigHash: hash, Alive: true}
	}
	for _, rs := range [][]pgstore.Replica{
		{alive("a", "1"), alive("b", "1")},
		{alive("a", "1"), alive("b", "2")},
		{alive("a", "1"), alive("b", "2")},
		{alive("a", "1"), alive("b", "2"), alive("c", "3")},
		{alive("a", "1"), alive("b", "1"), alive("c", "1")},
		{alive("a", "1"), alive("b", "1"), alive("c", "1")},
	} {
		r.noteDisagreement(rs, "1")
	}
	out := logs.String()
	if n := strings.Count(out, "replicas run a different config"); n != 2 {
		t.Errorf("disagreement logged %d times, want 2 (b; then b and c):\n%s", n, out)
	}
	if n := strings.Count(out, "replicas agree on the config"); n != 1 {
		t.Errorf("agreement logged %d times, want once when it returned:\n%s", n, out)
	}
}

// TestLongFetchKeepsItsLease: a fetch that outlasts the tick lease renews
// it, so the next tick is not taken by another replica while it runs.
func TestLongFetchKeepsItsLease(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	pg, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	other, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	r := newReplication(pg, Options{TickLease: 600 * time.Millisecond}, discardLogger())
	tick := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	h, err := r.hold(ctx, "wire", tick)
	if h == nil {
		t.Fatalf("claim lost: %v", err)
	}
	stop := h.renew(ctx)
	time.Sleep(1500 * time.Millisecond) // the fetch runs long
	if won, err := other.ClaimTick(ctx, "wire", tick.Add(time.Second), "other", time.Minute); err != nil || won {
		t.Errorf("another replica took the next tick during a renewed fetch: %v, %v", won, err)
	}
	stop()
	h.release()
	if won, err := other.ClaimTick(ctx, "wire", tick.Add(time.Second), "other", time.Minute); err != nil || !won {
		t.Errorf("next tick after the release: %v, %v; want it won", won, err)
	}
}
