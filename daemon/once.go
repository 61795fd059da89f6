package daemon

import (
	"context"
	"sync"
	"time"

	"github.com/newswatch/newswatch/config"
)

// Exit codes of `newswatch once`, as the SPEC fixes them.
const (
	ExitDelivered   = 0 // every alert it made was delivered
	ExitUndelivered = 1 // some stay pending or failed, kept in the outbox
	ExitError       = 2 // config or state error
)

// passConcurrency bounds how many sources one pass fetches at once; the
// fetch client's own per-host and global limits still apply beneath it.
const passConcurrency = 16

// Once fetches every source now, delivers what it found and reports the
// SPEC's exit code.
func (d *Daemon) Once(ctx context.Context) int {
	before, err := d.state.AlertCounts(ctx)
	if err != nil {
		d.log.Error("read outbox", "err", err)
		return ExitError
	}
	// As in Run: a signal stops new fetches and sends, and those in flight
	// finish on their own grace period (a post cut off would be repeated).
	inflight, cancelInflight := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelInflight()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(shutdownGrace, cancelInflight) })
	defer stop()
	d.pass(ctx, d.Config())
	// Digests due by now go out with the pass; the others stay held, for
	// the daemon or a later pass.
	if _, err := d.flushDigests(ctx); err != nil {
		d.log.Error("post digests", "err", err)
	}
	dctx, cancel := context.WithTimeout(ctx, d.opts.DrainTimeout)
	defer cancel()
	if err := d.deliverer.DrainSending(dctx, inflight); err != nil {
		d.log.Warn("delivery incomplete", "err", err)
	}
	after, err := d.state.AlertCounts(ctx)
	if err != nil {
		d.log.Error("read outbox", "err", err)
		return ExitError
	}
	if after.Pending > 0 || after.Failed > before.Failed {
		d.log.Warn("alerts not delivered", "pending", after.Pending, "failed_now", after.Failed-before.Failed)
		return ExitUndelivered
	}
	return ExitDelivered
}

// pass polls every source of cfg concurrently and waits for all of them.
// With replicas, each source is first claimed as any scheduled fetch is,
// for a tick of the pass's own: now, later than every scheduled tick so
// far. So a source is fetched now even if a replica fetched its current
// tick already ("fetch everything now"), and skipped, with a log line,
// only while another replica holds its lease (that fetch, running now, is
// as fresh as this one would be, and two at once would race the fetch
// state); its writes are fenced by the lease like any fetch's. A replica
// whose start jitter has not yet run out for a tick up to now skips that
// tick, just fetched; later ticks are the replicas' as before.
func (d *Daemon) pass(ctx context.Context, cfg *config.Config) {
	tick := time.Now()
	sem := make(chan struct{}, passConcurrency)
	var wg sync.WaitGroup
	for _, src := range cfg.Sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if claimed, err := d.pollTick(ctx, cfg, src, tick); !claimed && err == nil {
				d.log.Info("source skipped: another replica is fetching it now", "source", src.Name)
			}
		}()
	}
	wg.Wait()
}
