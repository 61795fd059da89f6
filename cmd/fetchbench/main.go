// Command fetchbench measures one fetch cycle of newswatch: 1,000 feeds on
// ~100 loopback hosts, each answering after 50 ms, fetched and parsed
// through fetch.Client and crawler.Crawler; then a second pass with
// conditional GET, where every unchanged feed should answer 304.
//
// The feed server runs in a child process (this binary with -serve) so the
// CPU time and peak RSS reported are the client's alone. Everything stays
// on loopback: 127.0.0.2 ... 127.0.0.(1+hosts), all loopback on Linux.
//
// Hosts past 250 go on to 127.0.1.x, 127.0.2.x, ...
//
//	go run ./cmd/fetchbench [-feeds 1000] [-hosts 100] [-global 64] [-rate 0] [-burst 0]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

func main() { os.Exit(run()) }

func run() int {
	var cfg config
	flag.IntVar(&cfg.feeds, "feeds", 1000, "number of feeds")
	flag.IntVar(&cfg.hosts, "hosts", 100, "number of loopback hosts (127.0.0.2 upwards)")
	flag.DurationVar(&cfg.latency, "latency", 50*time.Millisecond, "server delay before each answer")
	flag.IntVar(&cfg.items, "items", 20, "items per feed")
	flag.IntVar(&cfg.global, "global", 64, "fetch.Options.GlobalConns")
	flag.IntVar(&cfg.perHost, "per-host", 0, "connections per host (0: the default feed pace's)")
	flag.Float64Var(&cfg.rate, "rate", 0, "requests a second per host (0: the default feed pace; negative: unpaced)")
	flag.IntVar(&cfg.burst, "burst", 0, "per-host burst (0: the default feed pace's)")
	flag.IntVar(&cfg.workers, "workers", 0, "fetches under way at once (0: all feeds at once, as one cron tick firing every source)")
	flag.BoolVar(&cfg.fetchOnly, "fetch-only", false, "fetch.Get only, no feed parsing (isolates the client)")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the client to this file")
	serve := flag.Bool("serve", false, "internal: run the feed server and print its addresses")
	flag.Parse()
	if cfg.hosts < 1 || cfg.hosts > 5000 || cfg.feeds < 1 || cfg.feeds > 100000 {
		fmt.Fprintln(os.Stderr, "fetchbench: -hosts must be 1..5000 and -feeds 1..100000")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *serve {
		return runServer(ctx, cfg)
	}
	addrs, wait, err := startChild(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fetchbench:", err)
		return 1
	}
	defer wait()
	if err := runClient(ctx, cfg, addrs, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fetchbench:", err)
		return 1
	}
	return 0
}

type config struct {
	feeds, hosts, items, global, perHost, burst, workers int
	rate                                                 float64
	latency                                              time.Duration
	fetchOnly                                            bool
	cpuProfile                                           string
}

// startChild runs this binary with -serve and reads the "host:port" lines
// it prints, up to "ready". The child exits when its stdin closes, so it
// never outlives us.
func startChild(ctx context.Context, cfg config) (addrs []string, wait func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	args := append([]string{"-serve"}, os.Args[1:]...)
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	wait = func() { stdin.Close(); _ = cmd.Wait() }
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if line := sc.Text(); line != "ready" {
			addrs = append(addrs, line)
			continue
		}
		go func() { _, _ = io.Copy(io.Discard, out) }()
		return addrs, wait, nil
	}
	wait()
	return nil, nil, fmt.Errorf("server child exited before ready: %v", sc.Err())
}

// hostOf returns the loopback address of host i (0-based).
func hostOf(i int) string { return fmt.Sprintf("127.0.%d.%d", i/250, 2+i%250) }

func feedURL(addrs []string, i int) string {
	// Interleave feeds over hosts, as real sources would be.
	return "http://" + addrs[i%len(addrs)] + "/feed/" + fmt.Sprint(i)
}
