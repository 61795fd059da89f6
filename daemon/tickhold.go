package daemon

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore"
)

// tickHold is this replica's lease of one source's tick while it fetches
// it: renewed while the fetch runs, released after it, and the fence that
// the fetch's state writes carry (store.Fence), so that a fetch that
// outlived its lease does not write its older state over the state of a
// later tick's fetch by another replica. A nil *tickHold (SQLite, one
// process) fences nothing.
type tickHold struct {
	r      *replication
	source string
	fence  store.Fence
	lost   atomic.Bool // the loss was logged
}

// pollTick polls src for its tick: at once with SQLite; with replicas
// only if this replica claims the tick, under its lease. claimed is false
// when another replica has the tick, or (err) when the database could not
// say.
func (d *Daemon) pollTick(ctx context.Context, cfg *config.Config, src model.Source, tick time.Time) (claimed bool, err error) {
	if d.repl == nil {
		d.pollSource(ctx, cfg, src, nil)
		return true, nil
	}
	h, err := d.repl.hold(ctx, src.Name, tick)
	if h == nil {
		d.metrics.fetches.WithLabelValues(src.Name, "other_replica").Inc()
		return false, err
	}
	defer h.release()
	defer h.renew(ctx)()
	d.pollSource(ctx, cfg, src, h)
	return true, nil
}

// hold claims source's tick; nil when this replica did not win it.
func (r *replication) hold(ctx context.Context, source string, tick time.Time) (*tickHold, error) {
	won, err := r.claim(ctx, source, tick)
	if !won {
		return nil, err
	}
	return &tickHold{r: r, source: source, fence: store.Fence{Owner: r.self.ID, Tick: tick}}, nil
}

// fenced is fs carrying h's fence.
func (h *tickHold) fenced(fs store.FetchState) store.FetchState {
	if h != nil {
		fence := h.fence
		fs.Fence = &fence
	}
	return fs
}

// renew keeps extending a long fetch's lease, every third of the lease,
// until the returned stop is called.
func (h *tickHold) renew(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(h.r.tickLease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := h.r.pg.RenewTick(ctx, h.source, h.fence.Tick, h.fence.Owner, h.r.tickLease)
			if errors.Is(err, pgstore.ErrLeaseLost) {
				h.lose("renew")
				return
			}
		}
	}()
	return func() { cancel(); <-done }
}

// release marks the fetch of the tick done, so the next tick can be
// claimed at once.
func (h *tickHold) release() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := h.r.pg.ReleaseTick(ctx, h.source, h.fence.Tick, h.fence.Owner)
	if errors.Is(err, pgstore.ErrLeaseLost) {
		h.lose("release")
	} else if err != nil {
		h.r.log.Warn("release tick", "source", h.source, "err", err)
	}
}

// lose reports the lease lost, noticed by step (renew, save, release):
// at warn the first time for this fetch, then at debug, so one event is
// one warning however many steps meet it.
func (h *tickHold) lose(step string) {
	if h == nil {
		return
	}
	level := slog.LevelDebug
	if h.lost.CompareAndSwap(false, true) {
		level = slog.LevelWarn
	}
	h.r.log.Log(context.Background(), level,
		"tick lease lost to another replica: the fetch outlived it, so its fetch state does not replace the newer one",
		"source", h.source, "tick", h.fence.Tick.Format(time.RFC3339), "noticed_at", step)
}
