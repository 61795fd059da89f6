// Command replicabench measures newswatch on PostgreSQL (issue 13, item
// 9): N loopback feeds, one config with N sources on one schedule, 1 or 3
// `newswatch run` processes of the built binary sharing a fresh database
// on the machine's PostgreSQL; per pass it reports the pass time (tick to
// the last source's fetch state committed), the database's CPU (its
// backends', read from /proc, and every postgres process's), the
// statements the replicas sent (their newswatch_db_queries_total) per
// fetched feed and per recorded article, the coordination's share (tick
// leases, heartbeats, pacing), and each replica's peak RSS.
//
// Each pass adds one item to every feed and a copy of one wire story to
// every 20th, which the one rule matches (alerts go to the replicas'
// stdout). The database is dropped at the end. Everything stays on
// loopback. Run from the repository root (it builds ./cmd/newswatch unless
// -bin names a binary):
//
//	go run ./cmd/replicabench [-sources 1000,3000,10000] [-replicas 1,3] [-ticks 2] [-every 1m]
//
// docs/benchmarks.md, "Several replicas on PostgreSQL", has the numbers.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// bench is one run's settings and fixtures.
type bench struct {
	bin, pg, dir, profile string
	every, startLimit     time.Duration
	jitter                time.Duration
	ticks                 int
	feeds                 *feedServer
}

func main() { os.Exit(run()) }

func run() int {
	var b bench
	sources := flag.String("sources", "1000,3000,10000", "comma-separated numbers of sources, one setup each")
	replicas := flag.String("replicas", "1,3", "comma-separated numbers of replicas, one setup each")
	hosts := flag.Int("hosts", 1000, "loopback hosts the feeds are spread over (10 feeds a host at 10,000: within the default per-host pace)")
	latency := flag.Duration("latency", 20*time.Millisecond, "fixture server's delay before each answer")
	flag.IntVar(&b.ticks, "ticks", 2, "scheduled passes measured after the start pass")
	flag.DurationVar(&b.every, "every", time.Minute, "the sources' schedule (@every); a pass must fit in it")
	flag.DurationVar(&b.jitter, "jitter", 0, "the replicas' -jitter (the daemon's default is 15s)")
	flag.DurationVar(&b.startLimit, "start-limit", 5*time.Minute, "longest the start pass may take")
	flag.StringVar(&b.bin, "bin", "", "newswatch binary (default: go build ./cmd/newswatch)")
	flag.StringVar(&b.pg, "pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "administrative database (CREATE DATABASE allowed)")
	flag.StringVar(&b.profile, "profile", "", "write the first replica's CPU profile of the last setup here")
	keep := flag.Bool("keep", false, "keep the work directory (configs, replicas' output)")
	flag.Parse()
	ns, err1 := ints(*sources)
	rs, err2 := ints(*replicas)
	if err1 != nil || err2 != nil || *hosts < 1 || *hosts > 5000 {
		fmt.Fprintln(os.Stderr, "replicabench: -sources and -replicas are lists of positive numbers, -hosts 1..5000")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	dir, err := os.MkdirTemp("", "replicabench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "replicabench:", err)
		return 1
	}
	if *keep {
		fmt.Println("work directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	b.dir = dir
	if b.bin == "" {
		b.bin = filepath.Join(dir, "newswatch")
		build := exec.CommandContext(ctx, "go", "build", "-o", b.bin, "./cmd/newswatch")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "replicabench: build:", err)
			return 1
		}
	}
	b.feeds, err = startFeedServer(*hosts, b.every, *latency)
	if err != nil {
		fmt.Fprintln(os.Stderr, "replicabench: feed server:", err)
		return 1
	}
	defer b.feeds.Close()
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("replicabench: %s, %d CPUs, %d hosts, %s latency, @every %s, %s UTC, load %s\n",
		runtime.Version(), runtime.NumCPU(), *hosts, *latency, b.every, time.Now().UTC().Format("2006-01-02 15:04"), strings.Join(strings.Fields(string(load))[:3], " "))
	printHeader(os.Stdout)
	for _, n := range ns {
		for _, r := range rs {
			rss, err := b.runSetup(ctx, setup{sources: n, replicas: r}, func(p pass) { printPass(os.Stdout, n, r, p) })
			if err != nil {
				fmt.Fprintf(os.Stderr, "replicabench: %d sources, %d replicas: %v\n", n, r, err)
				return 1
			}
			fmt.Printf("    peak RSS per replica:")
			for _, v := range rss {
				fmt.Printf(" %.1f MB", float64(v)/1e6)
			}
			fmt.Println()
		}
	}
	return 0
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad number %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func printHeader(w io.Writer) {
	fmt.Fprintln(w, "sources replicas pass    | time    99%    done | fetched 304 articles | db-cpu pg-cpu nw-cpu bench-cpu | queries q/feed q/article | coord q/feed coord ms/feed | db ms/feed db ms/article")
}

func printPass(w io.Writer, sources, replicas int, p pass) {
	q, _ := p.queries.total()
	cq, csecs := p.queries.of(coordination)
	feeds := float64(p.fetched + p.notModified)
	fmt.Fprintf(w, "%7d %8d %-7s | %6.1fs %5.1fs %-4v | %7d %3d %8d | %5.1fs %5.1fs %5.1fs %5.1fs | %7.0f %6.1f %9.1f | %7.2f %13.3f | %10.3f %13.3f\n",
		sources, replicas, p.name, p.took.Seconds(), p.took99.Seconds(), p.done, p.fetched, p.notModified, p.articles,
		p.dbCPU.Seconds(), p.pgCPU.Seconds(), p.replicaCPU.Seconds(), p.benchCPU.Seconds(),
		q, per(q, feeds), per(q, float64(p.articles)), per(cq, feeds), 1000*per(csecs, feeds),
		1000*per(p.dbCPU.Seconds(), feeds), 1000*per(p.dbCPU.Seconds(), float64(p.articles)))
	var ops []string
	for op, n := range p.queries.count {
		if n > 0 {
			ops = append(ops, fmt.Sprintf("%s %.2f (%.2f ms)", op, n/feeds, 1000*per(p.queries.seconds[op], feeds)))
		}
	}
	slices.Sort(ops)
	fmt.Fprintf(w, "    statements per feed (time in them per feed): %s; last request at %.1fs\n", strings.Join(ops, ", "), p.lastRequest.Seconds())
}

func per(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
