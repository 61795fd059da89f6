// Command newswatch watches news feeds and pages for articles that match
// rules and posts alerts to Slack. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/daemon"
	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/redact"
	"github.com/newswatch/newswatch/ruletest"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

const usage = `usage: newswatch <command> [flags]

commands:
  run    [-config FILE] [-jitter D]             run the daemon
  once   [-config FILE]                         one pass over every source, deliver, exit
  check  [-config FILE] [-discover]             validate config and rules, print a summary
  test   [-config FILE] [-query Q | -rule NAME] TARGET...
                                                try rules on a URL, file or - (stdin)
  status [-config FILE]                         sources' health, pending and failed alerts
  version                                       print the version

-config defaults to $NEWSWATCH_CONFIG, then newswatch.yaml.
`

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdin, stdout, stderr)
}

// runContext is run with the context that SIGINT and SIGTERM end.
func runContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	if path := os.Getenv("NEWSWATCH_CPUPROFILE"); path != "" {
		defer startCPUProfile(path, stderr)()
	}
	if path := os.Getenv("NEWSWATCH_MEMPROFILE"); path != "" {
		defer writeHeapProfile(path, stderr)
	}
	switch cmd {
	case "run":
		return cmdRun(ctx, rest, stdout, stderr)
	case "once":
		return cmdOnce(ctx, rest, stdout, stderr)
	case "check":
		return cmdCheck(ctx, rest, stdout, stderr)
	case "test":
		return cmdTest(ctx, rest, stdin, stdout, stderr)
	case "status":
		return cmdStatus(ctx, rest, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "newswatch", buildVersion())
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "newswatch: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// startCPUProfile writes a CPU profile of the whole command to path (for
// docs/benchmarks.md) and returns the function that finishes it.
func startCPUProfile(path string, stderr io.Writer) (stop func()) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(stderr, "newswatch: cpu profile:", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// writeHeapProfile writes the allocations of the whole command to path.
func writeHeapProfile(path string, stderr io.Writer) {
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(stderr, "newswatch: heap profile:", err)
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// flags builds a subcommand's flag set with the shared -config flag.
func flags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("newswatch "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv("NEWSWATCH_CONFIG")
	if def == "" {
		def = "newswatch.yaml"
	}
	return fs, fs.String("config", def, "config file")
}

// loadConfig loads and validates the config, printing every problem as
// FILE:LINE:COL: message.
func loadConfig(path string, stderr io.Writer) (*config.Config, bool) {
	cfg, err := config.Load(path, config.Options{Version: buildVersion()})
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			for _, e := range errs {
				fmt.Fprintln(stderr, e.Error())
			}
		} else {
			fmt.Fprintln(stderr, "newswatch:", err)
		}
		return nil, false
	}
	return cfg, true
}

func logger(stderr io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("NEWSWATCH_DEBUG") != "" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

// openDaemon loads the config and opens the daemon: the common start of
// run and once. A nil daemon comes with the exit code: 2 for a config or
// state error, and interrupted (the code of a signal) when SIGINT or
// SIGTERM arrived during start-up.
func openDaemon(ctx context.Context, path string, interrupted int, stdout, stderr io.Writer) (*daemon.Daemon, int) {
	cfg, ok := loadConfig(path, stderr)
	if !ok {
		return nil, 2
	}
	log := logger(stderr)
	d, err := daemon.New(ctx, cfg, daemon.Options{Version: buildVersion(), Logger: log, Stdout: stdout})
	if err != nil {
		if ctx.Err() != nil {
			log.Info("stopped during start-up", "signal", context.Cause(ctx))
			return nil, interrupted
		}
		log.Error("start", "err", err)
		return nil, 2
	}
	return d, 0
}

// defaultJitter spreads the daemon's scheduled fetches over 15 s.
const defaultJitter = 15 * time.Second

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, path := flags("run", stderr)
	jitter := fs.Duration("jitter", defaultJitter, "random delay before each scheduled fetch, so sources on one schedule do not all start at once")
	if fs.Parse(args) != nil {
		return 2
	}
	// A signal before the daemon runs stops it as a signal does later: 0.
	d, code := openDaemon(ctx, *path, 0, stdout, stderr)
	if d == nil {
		return code
	}
	defer d.Close()
	cfg, log := d.Config(), logger(stderr)
	log.Info("newswatch running", "version", buildVersion(), "config", *path,
		"sources", len(cfg.Sources), "rules", len(cfg.Rules), "slack", cfg.Slack.Mode())
	if err := d.Run(ctx, daemon.RunOptions{ConfigPath: *path, Jitter: max(*jitter, 0)}); err != nil {
		log.Error("run", "err", err)
		return 1
	}
	return 0
}

func cmdOnce(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, path := flags("once", stderr)
	if fs.Parse(args) != nil {
		return 2
	}
	// Interrupted before its pass, once did not do its job: 1, as for
	// alerts left pending; 2 stays for config and state errors.
	d, code := openDaemon(ctx, *path, daemon.ExitUndelivered, stdout, stderr)
	if d == nil {
		return code
	}
	defer d.Close()
	return d.Once(ctx)
}

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, path := flags("check", stderr)
	discover := fs.Bool("discover", false, "fetch each feed source and report the feed it finds (autodiscovery)")
	if fs.Parse(args) != nil {
		return 2
	}
	cfg, ok := loadConfig(*path, stderr)
	if !ok {
		return 2
	}
	fmt.Fprintf(stdout, "%s: ok\n", *path)
	cfg.Summary(stdout)
	if *discover {
		c := crawler.New(crawler.Options{Fetch: fetch.New(fetch.Options{UserAgent: cfg.UserAgent}), Logger: logger(stderr)})
		for _, src := range cfg.Sources {
			if src.Feed == "" {
				continue
			}
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			u, err := c.Discover(dctx, src)
			cancel()
			if err != nil {
				fmt.Fprintf(stdout, "feed %s: %v\n", src.Name, err)
				continue
			}
			fmt.Fprintf(stdout, "feed %s: reads %s\n", src.Name, redact.URL(u, src.SecretParams...))
		}
	}
	return 0
}

func cmdTest(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, path := flags("test", stderr)
	query := fs.String("query", "", "a query to try instead of the config's rules")
	rule := fs.String("rule", "", "try only the rule with this name")
	if fs.Parse(args) != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "newswatch test: no TARGET (a URL, a file or - for stdin)")
		return 2
	}
	o := ruletest.Options{Query: *query, Rule: *rule, Targets: fs.Args(), Stdout: stdout, Stderr: stderr}
	// A -query needs no config; without one the rules come from it.
	if *query == "" || fileExists(*path) {
		cfg, ok := loadConfig(*path, stderr)
		if !ok {
			return 2
		}
		o.Rules = cfg.MatcherRules()
	}
	c := crawler.New(crawler.Options{Fetch: fetch.New(fetch.Options{UserAgent: "newswatch/" + buildVersion()}), Logger: logger(stderr), Stdin: stdin})
	o.Load = c.Load
	return ruletest.Run(ctx, o)
}

func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, path := flags("status", stderr)
	if fs.Parse(args) != nil {
		return 2
	}
	cfg, ok := loadConfig(*path, stderr)
	if !ok {
		return 2
	}
	if err := daemon.Status(ctx, stdout, cfg); err != nil {
		fmt.Fprintln(stderr, "newswatch status:", err)
		return 2
	}
	return 0
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
