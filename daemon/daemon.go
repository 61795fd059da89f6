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
	"github.com/newswatch/newswatch/model"
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
	// TickLease and ClaimLease, with PostgreSQL, bound how long a replica
	// that died keeps a source's tick and its claimed alerts; 0 means
	// DefaultTickLease and pgstore.DefaultClaimLease.
	TickLease, ClaimLease time.Duration
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
	repl        *replication  // with PostgreSQL: this replica among others; nil for SQLite
	reloads     chan struct{} // RequestReload -> Run's loop
	digestWake  chan struct{} // a hold or a reload -> digestLoop
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
	d := &Daemon{opts: o, log: o.Logger, now: o.Now, sourceLocks: map[string]*sync.Mutex{},
		reloads: make(chan struct{}, 1), digestWake: make(chan struct{}, 1)}
	d.cfg.Store(cfg)
	if err := d.openState(ctx, cfg); err != nil {
		return nil, err
	}
	var err error
	d.sender, err = d.newSender(ctx, cfg)
	if err != nil {
		d.Close()
		return nil, err
	}
	if d.repl != nil {
		d.sender = pacedAcrossReplicas(d.sender, d.repl.pg)
	}
	d.fetch = fetch.New(fetchOptions(cfg, o))
	d.crawler = crawler.New(crawler.Options{Fetch: d.fetch, Logger: o.Logger})
	d.deliverer = notifier.NewDeliverer(notifier.DelivererOptions{
		Outbox: d.state, Sender: d.sender, Logger: o.Logger, Now: o.Now,
		IsNotFound:  func(err error) bool { return errors.Is(err, store.ErrNotFound) },
		GiveUpAfter: cfg.Slack.GiveUp(),
		Notice:      d.notice,
		Delivered:   func(a model.Alert) { d.metrics.countDelivered(a) },
		Adopted:     func() { d.metrics.alertsAdopted.Inc() },
	})
	d.metrics = newMetrics(d.alertCounts)
	if d.repl != nil {
		d.metrics.reg.MustRegister(&replicaCollector{pg: d.repl.pg})
	}
	return d, nil
}

// openState takes the state's lock, then opens (or creates) and migrates
// it: a second newswatch, or a newer binary, is refused before it can
// touch the schema under a running daemon. A postgres:// URL opens the
// database that replicas share instead: no file lock there (the replicas
// coordinate in the database), and migrations run under an advisory lock.
// Errors never show the URL's password.
func (d *Daemon) openState(ctx context.Context, cfg *config.Config) error {
	dsn := cfg.State
	if pgstore.IsURL(dsn) {
		pg, err := openPostgres(ctx, cfg, pgstore.NewReplicaID(), d.opts.ClaimLease)
		if err != nil {
			return fmt.Errorf("open state: %w", err)
		}
		d.state, d.unlock, d.repl = pg, func() {}, newReplication(pg, d.opts, d.log)
		return nil
	}
	unlock, err := lockState(dsn)
	if err != nil {
		return err
	}
	st, err := store.OpenSQLite(ctx, dsn, d.now)
	if err != nil {
		unlock()
		if ctx.Err() != nil {
			return fmt.Errorf("open state %s: %w", dsn, ctx.Err())
		}
		return fmt.Errorf("open state %s: %w", dsn, err)
	}
	for _, f := range store.WidePermissions(dsn) {
		d.log.Warn("state file is readable or writable by other users; it holds article history and source errors: chmod 600 it",
			"file", f)
	}
	d.state, d.unlock = st, unlock
	return nil
}

func btof(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// notice keeps a lasting delivery condition for status.
func (d *Daemon) notice(key, msg string) {
	d.metrics.notices.WithLabelValues(key).Set(btof(msg != ""))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if msg != "" {
		msg = d.now().UTC().Format(time.RFC3339) + " " + msg
	}
	if err := d.state.SetNote(ctx, noticePrefix+key, msg); err != nil {
		d.log.Warn("store a delivery notice", "err", err)
	}
}

func (d *Daemon) newSender(ctx context.Context, cfg *config.Config) (notifier.Sender, error) {
	if !cfg.Slack.Enabled() {
		return notifier.NewStdout(d.opts.Stdout), nil
	}
	id, err := d.state.StateID(ctx)
	if err != nil {
		return nil, fmt.Errorf("state id: %w", err)
	}
	return notifier.NewSlack(notifier.SlackOptions{
		Token: cfg.Slack.Token, WebhookURL: cfg.Slack.WebhookURL, APIURL: cfg.Slack.APIURL, Logger: d.log,
		StateID: id, Memo: d.state,
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

// Close releases the state store and its lock. Run has returned by then,
// and with it every goroutine that uses the store.
func (d *Daemon) Close() error {
	if d.state == nil {
		return nil
	}
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
