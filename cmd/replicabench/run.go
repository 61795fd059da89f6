package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// setup is one configuration: sources on replicas sharing one database.
type setup struct {
	sources, replicas int
}

// pass is what one pass cost.
type pass struct {
	name         string
	tick         time.Time
	took         time.Duration // tick to the last feed's state committed
	took99       time.Duration // tick to 99% of them
	done         bool          // every source recorded within the period
	fetched      int64         // 200s served
	notModified  int64
	articles     int64         // items first seen in the pass
	lastRequest  time.Duration // tick to the fixture server's last request
	dbCPU, pgCPU time.Duration // the bench database's backends; every postgres process
	replicaCPU   time.Duration // all replicas
	benchCPU     time.Duration // this process (the feed server)
	queries      queryStats    // all replicas
}

// replica is one running newswatch process.
type replica struct {
	cmd    *exec.Cmd
	listen string
	done   chan error
}

// runSetup creates a database, starts the replicas on it, lets the start
// pass (every source is new) finish, measures ticks passes (each given to
// report as it ends), stops the replicas and drops the database.
func (b *bench) runSetup(ctx context.Context, s setup, report func(pass)) (rss []int64, err error) {
	dsn, drop, err := b.createDatabase(ctx)
	if err != nil {
		return nil, err
	}
	defer drop()
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close(context.Background())
	dir, err := os.MkdirTemp(b.dir, fmt.Sprintf("s%d-r%d-", s.sources, s.replicas))
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "newswatch.yaml")
	if err := os.WriteFile(cfg, []byte(b.config(dsn, s.sources)), 0o600); err != nil {
		return nil, err
	}
	var reps []*replica
	defer func() {
		for _, r := range reps {
			stopReplica(r)
		}
	}()
	t0 := time.Now()
	b.feeds.reset()
	meters := b.startMeters(ctx, db, reps)
	for i := range s.replicas {
		r, err := b.startReplica(dir, cfg, i)
		if err != nil {
			return nil, err
		}
		reps = append(reps, r)
	}
	for _, r := range reps {
		if err := waitReady(ctx, r); err != nil {
			return nil, err
		}
	}
	// The start pass: every source is new to every replica, fetched at once.
	p, err := b.measure(ctx, db, reps, meters, "start", t0, s.sources, nil)
	if err != nil {
		return nil, err
	}
	report(p)
	for i := range b.ticks {
		tick := time.Now().Truncate(b.every).Add(b.every)
		if time.Until(tick) < 5*time.Second {
			tick = tick.Add(b.every) // room to take the counts before it
		}
		// The counts just before the tick: a tick between them and the
		// measured one would be counted with it.
		if err := sleepUntil(ctx, tick.Add(-3*time.Second)); err != nil {
			return nil, err
		}
		before, err := scrapeAll(ctx, reps)
		if err != nil {
			return nil, err
		}
		if err := sleepUntil(ctx, tick); err != nil {
			return nil, err
		}
		b.feeds.reset()
		p, err := b.measure(ctx, db, reps, b.startMeters(ctx, db, reps), fmt.Sprintf("tick %d", i+1), tick, s.sources, &before)
		if err != nil {
			return nil, err
		}
		report(p)
	}
	for _, r := range reps {
		rss = append(rss, peakRSS(r.cmd.Process.Pid))
	}
	return rss, nil
}

func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-time.After(time.Until(t)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// meters are the CPU meters of one pass.
type meters struct {
	db, pg, replicas *cpuMeter
	self             time.Duration
	dbPIDs           func() []int
}

func (b *bench) startMeters(ctx context.Context, db *pgx.Conn, reps []*replica) *meters {
	var own int
	_ = db.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&own)
	m := &meters{self: cpuOf(os.Getpid())}
	m.dbPIDs = func() []int {
		var pids []int
		rows, err := db.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> $1`, own)
		if err != nil {
			return nil
		}
		pids, _ = pgx.CollectRows(rows, pgx.RowTo[int])
		return pids
	}
	m.db, m.pg, m.replicas = newCPUMeter(m.dbPIDs()), newCPUMeter(postgresPIDs()), newCPUMeter(replicaPIDs(reps))
	return m
}

func replicaPIDs(reps []*replica) []int {
	var pids []int
	for _, r := range reps {
		pids = append(pids, r.cmd.Process.Pid)
	}
	return pids
}

// measure waits until every source's fetch state shows a fetch at or
// after since (committed with its articles), sampling CPU, for at most
// the period, and takes the pass's counts. before are the replicas'
// statement counts at the start (nil: they started during the pass).
func (b *bench) measure(ctx context.Context, db *pgx.Conn, reps []*replica, m *meters, name string, since time.Time, sources int, before *[]queryStats) (pass, error) {
	p := pass{name: name, tick: since}
	deadline := since.Add(b.every)
	if before == nil {
		deadline = since.Add(b.startLimit)
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM fetch_state WHERE last_fetch >= $1`, since.UnixMicro()).Scan(&n); err != nil && !strings.Contains(err.Error(), "does not exist") {
			return p, err
		}
		m.db.sample(m.dbPIDs())
		m.pg.sample(postgresPIDs())
		m.replicas.sample(replicaPIDs(reps))
		now := time.Now()
		if p.took99 == 0 && n*100 >= sources*99 {
			p.took99 = now.Sub(since)
		}
		if n >= sources || now.After(deadline) {
			p.took, p.done = now.Sub(since), n >= sources
			break
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return p, ctx.Err()
		}
		for _, r := range reps {
			select {
			case err := <-r.done:
				return p, fmt.Errorf("replica %s exited during %s: %v", r.listen, name, err)
			default:
			}
		}
	}
	p.dbCPU, p.pgCPU, p.replicaCPU = m.db.used(), m.pg.used(), m.replicas.used()
	p.benchCPU = cpuOf(os.Getpid()) - m.self
	w := b.feeds.reset()
	p.fetched, p.notModified = w.ok, w.notModified
	if !w.last.IsZero() {
		p.lastRequest = w.last.Sub(since)
	}
	if err := db.QueryRow(ctx, `SELECT count(*) FROM items WHERE first_seen >= $1`, since.UnixMicro()).Scan(&p.articles); err != nil {
		return p, err
	}
	time.Sleep(500 * time.Millisecond) // the last release of a tick lease
	after, err := scrapeAll(ctx, reps)
	if err != nil {
		return p, err
	}
	p.queries = queryStats{count: map[string]float64{}, seconds: map[string]float64{}}
	for i, a := range after {
		if before != nil {
			a = a.sub((*before)[i])
		}
		p.queries = p.queries.add(a)
	}
	return p, nil
}

func scrapeAll(ctx context.Context, reps []*replica) ([]queryStats, error) {
	var out []queryStats
	for _, r := range reps {
		q, err := scrape(ctx, r.listen)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// config is the daemon's config: sources feeds on one schedule, one rule
// (the wire story's word), alerts to stdout. Every replica reads the same
// file; its listen address comes from the environment.
func (b *bench) config(dsn string, sources int) string {
	var c strings.Builder
	fmt.Fprintf(&c, "state: %q\nlisten: ${NWBENCH_LISTEN}\nschedule: \"@every %s\"\nmax_age: 48h\n", dsn, b.every)
	c.WriteString("rules:\n  - name: kremlin\n    query: Kremlin\nsources:\n")
	for i := range sources {
		fmt.Fprintf(&c, "  - name: feed-%d\n    feed: %s\n", i, b.feeds.URL(i))
	}
	return c.String()
}

// startReplica runs the binary's daemon, by default without start jitter
// (a pass is then the time the replicas need, not the jitter's spread),
// its output in dir. With -profile the first replica writes a CPU profile.
func (b *bench) startReplica(dir, cfg string, i int) (*replica, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(b.bin, "run", "-config", cfg, "-jitter", b.jitter.String())
	cmd.Env = append(os.Environ(), "NWBENCH_LISTEN="+addr)
	if b.profile != "" && i == 0 {
		cmd.Env = append(cmd.Env, "NEWSWATCH_CPUPROFILE="+b.profile)
	}
	out, err := os.Create(filepath.Join(dir, fmt.Sprintf("replica%d.out", i)))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, err
	}
	r := &replica{cmd: cmd, listen: addr, done: make(chan error, 1)}
	go func() { r.done <- cmd.Wait(); out.Close() }()
	return r, nil
}

func waitReady(ctx context.Context, r *replica) error {
	for range 300 {
		resp, err := http.Get("http://" + r.listen + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-r.done:
			return fmt.Errorf("replica exited before ready: %v (see its output in the -keep directory)", err)
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return errors.New("replica not ready after 30 s")
}

// stopReplica ends the daemon as an operator would (SIGTERM), and kills it
// if it has not left within 30 s.
func stopReplica(r *replica) {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}

// createDatabase makes an empty database nwbench_<pid>_<time> on the
// server and returns its URL and a func that drops it.
func (b *bench) createDatabase(ctx context.Context) (string, func(), error) {
	admin, err := pgx.Connect(ctx, b.pg)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close(context.Background())
	name := fmt.Sprintf("nwbench_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, b.pg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "replicabench: drop database:", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "replicabench: drop database:", err)
		}
	}
	u, err := url.Parse(b.pg)
	if err != nil {
		drop()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}
