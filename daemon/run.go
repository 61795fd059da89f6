package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// shutdownGrace is how long in-flight fetches and sends get after SIGTERM.
const shutdownGrace = 20 * time.Second

// pruneEvery is how often retention runs.
const pruneEvery = time.Hour

// RunOptions tune the daemon loop.
type RunOptions struct {
	ConfigPath string        // watched for changes; "" disables hot reload
	Jitter     time.Duration // random delay before each scheduled fetch; 0 none
	// Listening, if set, receives the HTTP address once it is bound.
	Listening func(addr string)
}

// Run is the daemon: it schedules sources, delivers alerts, reloads the
// config on change and SIGHUP, serves HTTP, and on ctx's end drains
// in-flight work within a grace period.
func (d *Daemon) Run(ctx context.Context, ro RunOptions) error {
	// First of all: SIGHUP's default action would end the process.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	srv, err := d.serveHTTP(d.Config().Listen, ro.Listening)
	if err != nil {
		return err
	}
	sched := newScheduler(work, d, ro.Jitter)
	if err := sched.apply(d.Config()); err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	d.ready.Store(true)
	d.metrics.schedulerRunning.Set(1)
	beats := make(chan struct{})
	if d.repl != nil {
		d.repl.setConfig(configHash(ro.ConfigPath))
		go func() { defer close(beats); d.repl.heartbeatLoop(work) }()
	} else {
		close(beats)
	}
	delivered := make(chan struct{})
	go func() { defer close(delivered); d.deliverer.Run(work) }()
	go d.pruneLoop(work)
	if ro.ConfigPath != "" {
		go d.watchConfig(work, ro.ConfigPath, sched)
	}
	for {
		select {
		case <-hup:
			d.reload(ro.ConfigPath, sched)
			continue
		case <-ctx.Done():
		}
		break
	}
	d.log.Info("shutting down", "grace", shutdownGrace)
	d.ready.Store(false)
	d.metrics.schedulerRunning.Set(0)
	grace, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	sched.stop(grace)
	cancelWork()
	<-delivered
	<-beats
	if srv != nil {
		_ = srv.Shutdown(grace)
	}
	return nil
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

// serveHTTP starts /healthz, /readyz and /metrics on addr; "" serves nothing.
func (d *Daemon) serveHTTP(addr string, listening func(string)) (*http.Server, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("http server", "err", err)
		}
	}()
	d.log.Info("listening", "addr", ln.Addr().String())
	if listening != nil {
		listening(ln.Addr().String())
	}
	return srv, nil
}
