package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/newswatch/newswatch/flood"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/notifier"
	"github.com/newswatch/newswatch/store/pgstore"
)

// digestPoll bounds how long the digest loop sleeps without looking at the
// store: a digest written by another process, or a clock that jumped, is
// noticed within it.
const digestPoll = 30 * time.Second

// digestLoop posts each digest when it falls due: when a flood window
// closes or a rule's schedule ticks. It runs in Run's group and wakes
// early when a fetch holds an article or a reload reschedules.
func (d *Daemon) digestLoop(ctx context.Context) {
	for {
		if _, err := d.flushDigests(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("post digests", "err", err)
		}
		wait := digestPoll
		if next, ok := d.nextDigest(ctx); ok {
			wait = min(max(next.Sub(d.now()), 0), digestPoll)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-d.digestWake:
		case <-t.C:
		}
		t.Stop()
	}
}

// wakeDigests makes the digest loop look at the store now.
func (d *Daemon) wakeDigests() {
	select {
	case d.digestWake <- struct{}{}:
	default:
	}
}

// nextDigest is when the first open digest is due.
func (d *Daemon) nextDigest(ctx context.Context) (time.Time, bool) {
	open, err := d.state.OpenDigests(ctx)
	if err != nil || len(open) == 0 {
		return time.Time{}, false
	}
	return open[0].Due, true
}

// digestAssemblies bounds how often one round assembles a digest that
// other replicas keep holding articles into; past it the digest waits for
// the next round.
const digestAssemblies = 3

// flushDigests turns every digest due now into its outbox rows: the held
// articles assembled into one digest (a line per story), split into parts
// that fit a Slack message each, written with the digest marked posted in
// one transaction (store.PostDigest), so a crash neither loses nor doubles
// one. It holds recordMu, so no fetch of this process holds an article
// into a digest while it is being posted. It returns how many digests it
// posted.
func (d *Daemon) flushDigests(ctx context.Context) (int, error) {
	d.recordMu.Lock()
	defer d.recordMu.Unlock()
	open, err := d.state.OpenDigests(ctx)
	if err != nil {
		return 0, err
	}
	posted := 0
	for _, b := range flood.Due(open, d.now()) {
		ok, err := d.postDigest(ctx, b)
		if err != nil {
			return posted, err
		}
		if ok {
			posted++
		}
	}
	if posted > 0 && d.deliverer != nil {
		d.deliverer.Wake()
	}
	return posted, nil
}

// postDigest assembles digest b and posts it; true when that queued
// messages. Another replica may hold an article into b between the
// assembly and the post: PostDigest then refuses it, writing nothing
// (pgstore.ErrDigestChanged), an expected race and no error, and b is
// assembled again with the article.
func (d *Daemon) postDigest(ctx context.Context, b flood.Bucket) (bool, error) {
	for range digestAssemblies {
		held, err := d.state.HeldArticles(ctx, b.ID)
		if err != nil {
			return false, err
		}
		dg := flood.Assemble(b, held)
		pages := notifier.DigestPages(dg)
		parts := make([]model.Alert, len(pages))
		for i := range pages {
			parts[i] = model.Alert{Channel: b.Channel, Digest: &pages[i], Created: d.now()}
		}
		ok, err := d.state.PostDigest(ctx, b.ID, parts)
		switch {
		case errors.Is(err, pgstore.ErrDigestChanged):
			d.log.Info("digest changed by another replica while assembled: assembling it again", "channel", b.Channel, "key", b.Key)
			continue
		case err != nil:
			return false, fmt.Errorf("digest %d of %s: %w", b.ID, b.Channel, err)
		case !ok || len(parts) == 0:
			return false, nil
		}
		d.metrics.alertsEnqueued.WithLabelValues(model.AlertDigest.String()).Inc()
		d.log.Info("digest queued", "channel", b.Channel, "key", b.Key, "articles", dg.Articles(), "parts", len(parts))
		return true, nil
	}
	d.log.Info("digest still changing: left for the next round", "channel", b.Channel, "key", b.Key)
	return false, nil
}
