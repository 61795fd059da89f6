package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// shutdownGrace is how long in-flight fetches and sends get after SIGTERM.
const shutdownGrace = 20 * time.Second

// pruneEvery is how often retention runs.
const pruneEvery = time.Hour

// HTTP server timeouts: a client gets 10s to send its headers, and an idle
// keep-alive connection is closed after a minute rather than held forever.
const (
	httpReadHeaderTimeout = 10 * time.Second
	httpIdleTimeout       = time.Minute
)

// RunOptions tune the daemon loop.
type RunOptions struct {
	ConfigPath string        // watched for changes; "" disables hot reload
	Jitter     time.Duration // random delay before each scheduled fetch; 0 none
	// Listening, if set, receives the HTTP address once it is bound.
	Listening func(addr string)
	// Grace is how long in-flight fetches and sends may run after ctx
	// ends; default 20s.
	Grace time.Duration
	// HTTPIdleTimeout closes idle keep-alive connections; default 1m.
	HTTPIdleTimeout time.Duration
}

// Run is the daemon. It owns the lifecycle: one loop takes SIGHUP, config
// file changes and reload requests, one at a time, so reloads never race;
// the delivery loop, the digest loop, retention and the config watcher run
// in one group, and
// scheduled fetches in the scheduler's. When ctx ends, scheduling stops at
// once, and the fetches and sends in flight finish on their own context,
// which outlives ctx by the grace period (a post Slack is receiving is not
// cut off, or it would be posted again after the restart). Run returns only
// when every goroutine it started has ended, so the caller may then close
// the store.
func (d *Daemon) Run(ctx context.Context, ro RunOptions) error {
	// First of all: SIGHUP's default action would end the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	inflight, cancelInflight := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelInflight()

	srv, served, err := d.serveHTTP(d.Config().Listen, ro)
	if err != nil {
		return err
	}
	sched := newScheduler(inflight, d, ro.Jitter)
	if err := sched.apply(d.Config()); err != nil {
		d.stopHTTP(srv, served)
		return fmt.Errorf("schedule: %w", err)
	}
	var group sync.WaitGroup
	group.Go(func() { d.deliverer.Run(ctx, inflight) })
	group.Go(func() { d.pruneLoop(ctx) })
	group.Go(func() { d.digestLoop(ctx) })
	changed := make(chan struct{}, 1)
	if ro.ConfigPath != "" {
		group.Go(func() { d.watchConfig(ctx, ro.ConfigPath, changed) })
	}
	d.ready.Store(true)
	d.metrics.schedulerRunning.Set(1)
	if d.repl != nil {
		d.repl.setConfig(configHash(ro.ConfigPath))
		// Beats until shutdown, then leaves the replica list.
		group.Go(func() { d.repl.heartbeatLoop(ctx) })
	}
	d.loop(ctx, ro.ConfigPath, hup, changed, sched)

	grace := cmp.Or(ro.Grace, shutdownGrace)
	d.log.Info("shutting down", "grace", grace)
	d.ready.Store(false)
	d.metrics.schedulerRunning.Set(0)
	sched.stop() // no new fetch starts
	timer := time.AfterFunc(grace, cancelInflight)
	defer timer.Stop()
	sched.wait()
	group.Wait()
	cancelInflight()
	d.stopHTTP(srv, served)
	return nil
}

// loop serialises reloads until ctx ends.
func (d *Daemon) loop(ctx context.Context, path string, hup <-chan os.Signal, changed <-chan struct{}, sched *scheduler) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			d.reload(path, sched)
		case <-changed:
			d.reload(path, sched)
		case <-d.reloads:
			d.reload(path, sched)
		}
	}
}

// RequestReload asks Run's loop to reload the config file, as SIGHUP does.
func (d *Daemon) RequestReload() {
	select {
	case d.reloads <- struct{}{}:
	default: // one is already pending
	}
}

func (d *Daemon) pruneLoop(ctx context.Context) {
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		cutoff := d.now().Add(-d.Config().Retention)
		if err := d.state.Prune(ctx, cutoff); err != nil && ctx.Err() == nil {
			d.log.Error("prune", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// serveHTTP starts /healthz, /readyz and /metrics on addr; "" serves
// nothing. served is closed when the server goroutine ends.
func (d *Daemon) serveHTTP(addr string, ro RunOptions) (*http.Server, chan struct{}, error) {
	if addr == "" {
		return nil, nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: httpReadHeaderTimeout,
		IdleTimeout: cmp.Or(ro.HTTPIdleTimeout, httpIdleTimeout)}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("http server", "err", err)
		}
	}()
	d.log.Info("listening", "addr", ln.Addr().String())
	if ro.Listening != nil {
		ro.Listening(ln.Addr().String())
	}
	return srv, served, nil
}

// stopHTTP shuts the server down and waits for its handlers, which use the
// store.
func (d *Daemon) stopHTTP(srv *http.Server, served chan struct{}) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
	<-served
}
