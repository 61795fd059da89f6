// Package daemon wires newswatch together: it schedules sources, runs each
// fetched article through match → story → outbox, delivers alerts, reloads
// the config on change and serves /healthz, /readyz and /metrics.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/fetch"
	"github.com/newswatch/newswatch/notifier"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore"
)

// Options are the daemon's dependencies; zero values pick the real ones.
type Options struct {
	Version string
	Logger  *slog.Logger
	Stdout  io.Writer        // where the stdout notifier prints; default os.Stdout
	Now     func() time.Time // injected clock for max_age, windows, backoff
	// Fetch overrides the fetch client options (tests shorten timeouts).
	Fetch *fetch.Options
	// LookupEnv is used when reloading the config; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// DrainTimeout bounds how long Once waits for deliveries; default 2m.
	DrainTimeout time.Duration
}

// Daemon is one running newswatch. Build it with New; Close it when done.
type Daemon struct {
	opts      Options
	log       *slog.Logger
	now       func() time.Time
	cfg       atomic.Pointer[config.Config]
	state     State
	unlock    func() // releases the state file lock
	crawler   *crawler.Crawler
	fetch     *fetch.Client // shared by the crawler; its paces follow the config's hosts:
	sender    notifier.Sender
	deliverer *notifier.Deliverer
	metrics   *metrics

	recordMu    sync.Mutex // serialises story decisions (see recordArticle)
	sourceMu    sync.Mutex
	sourceLocks map[string]*sync.Mutex
	ready       atomic.Bool
	repl        *replication // with PostgreSQL: this replica among others; nil for SQLite
}

// New opens the state store and builds the crawler and notifier for cfg.
func New(ctx context.Context, cfg *config.Config, o Options) (*Daemon, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = 2 * time.Minute
	}
	d := &Daemon{opts: o, log: o.Logger, now: o.Now, sourceLocks: map[string]*sync.Mutex{}}
	d.cfg.Store(cfg)
	st, pg, err := openState(ctx, cfg, o.Now)
	if err != nil {
		return nil, err
	}
	d.state, d.unlock = st, func() {}
	if pg != nil {
		d.repl = newReplication(pg, o.Version, o.Logger)
	} else {
		// The file lock is SQLite's: replicas share a database instead.
		if d.unlock, err = lockState(cfg.State); err != nil {
			st.Close()
			return nil, err
		}
	}
	d.sender, err = newSender(cfg, o)
	if err != nil {
		d.Close()
		return nil, err
	}
	if pg != nil {
		d.sender = pacedAcrossReplicas(d.sender, pg)
	}
	d.fetch = fetch.New(fetchOptions(cfg, o))
	d.crawler = crawler.New(crawler.Options{Fetch: d.fetch, Logger: o.Logger})
	d.deliverer = notifier.NewDeliverer(notifier.DelivererOptions{
		Outbox: st, Sender: d.sender, Logger: o.Logger, Now: o.Now,
		IsNotFound: func(err error) bool { return errors.Is(err, store.ErrNotFound) },
	})
	d.metrics = newMetrics(d.alertCounts)
	if d.repl != nil {
		d.metrics.reg.MustRegister(&replicaCollector{pg: pg})
	}
	return d, nil
}

// The PostgreSQL store is a State too.
var _ State = (*pgstore.Store)(nil)

// openState opens a SQLite file, or for a postgres:// URL the shared
// database (then also returned as itself, for the replicas' coordination).
// Errors never show the URL's password.
func openState(ctx context.Context, cfg *config.Config, now func() time.Time) (State, *pgstore.Store, error) {
	if pgstore.IsURL(cfg.State) {
		pg, err := openPostgres(ctx, cfg, pgstore.NewReplicaID())
		if err != nil {
			return nil, nil, fmt.Errorf("open state: %w", err)
		}
		return pg, pg, nil
	}
	st, err := store.OpenSQLite(ctx, cfg.State, now)
	if err != nil {
		return nil, nil, fmt.Errorf("open state %s: %w", cfg.State, err)
	}
	return st, nil, nil
}

func newSender(cfg *config.Config, o Options) (notifier.Sender, error) {
	if !cfg.Slack.Enabled() {
		return notifier.NewStdout(o.Stdout), nil
	}
	return notifier.NewSlack(notifier.SlackOptions{
		Token: cfg.Slack.Token, WebhookURL: cfg.Slack.WebhookURL, APIURL: cfg.Slack.APIURL, Logger: o.Logger,
	})
}

func fetchOptions(cfg *config.Config, o Options) fetch.Options {
	fo := fetch.Options{}
	if o.Fetch != nil {
		fo = *o.Fetch
	}
	if fo.UserAgent == "" {
		fo.UserAgent = cfg.UserAgent
	}
	fo.Hosts = hostPaces(cfg.Hosts)
	return fo
}

// hostPaces turns the config's hosts: into fetch's per-host paces; zero
// fields keep fetch's defaults.
func hostPaces(hosts []config.Host) []fetch.HostPace {
	out := make([]fetch.HostPace, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, fetch.HostPace{Match: h.Match, Pace: fetch.Pace{
			Rate: rate.Limit(h.Rate), Burst: h.Burst, Conns: h.Connections,
		}})
	}
	return out
}

// applyHosts puts a reloaded config's hosts: in force.
func (d *Daemon) applyHosts(cfg *config.Config) {
	fo := fetchOptions(cfg, d.opts)
	d.fetch.SetPaces(fo.Feeds, fo.Pages, fo.Hosts)
}

// Close releases the state store and its lock.
func (d *Daemon) Close() error {
	err := d.state.Close()
	d.unlock()
	return err
}

// Config is the configuration in force.
func (d *Daemon) Config() *config.Config { return d.cfg.Load() }

func (d *Daemon) sourceLock(name string) *sync.Mutex {
	d.sourceMu.Lock()
	defer d.sourceMu.Unlock()
	l, ok := d.sourceLocks[name]
	if !ok {
		l = &sync.Mutex{}
		d.sourceLocks[name] = l
	}
	return l
}

func (d *Daemon) alertCounts(ctx context.Context) (pending, sent, failed int, err error) {
	c, err := d.state.AlertCounts(ctx)
	return c.Pending, c.Sent, c.Failed, err
}
