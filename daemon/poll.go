package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/flood"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/redact"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore"
)

// Failure backoff: a failing source is retried after 1m, 2m, 4m, ... up to
// 6h, never sooner than its schedule allows.
const (
	backoffBase = time.Minute
	backoffMax  = 6 * time.Hour
)

// pollSource fetches one source and records what it found. It never
// returns an error: a failing source is counted, backed off and logged,
// and the others go on. With replicas, h is the tick lease the fetch runs
// under: every fetch-state write is fenced by it.
func (d *Daemon) pollSource(ctx context.Context, cfg *config.Config, src model.Source, h *tickHold) (alerts int) {
	lock := d.sourceLock(src.Name)
	if !lock.TryLock() {
		d.log.Debug("source still running, skipped", "source", src.Name)
		return 0
	}
	defer lock.Unlock()

	fs, err := d.state.FetchState(ctx, src.Name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		d.log.Error("read fetch state", "source", src.Name, "err", err)
		return 0
	}
	fs.Source = src.Name
	fs = h.fenced(fs)
	if d.now().Before(fs.NextAttempt) {
		d.metrics.fetches.WithLabelValues(src.Name, "skipped").Inc()
		return 0
	}
	start := time.Now()
	var present []string // known links the listing still shows
	res, err := d.crawler.Fetch(ctx, crawler.Request{
		Source: src, ETag: fs.ETag, LastModified: fs.LastModified,
		Seen: func(link string) bool {
			seen, err := d.state.SeenLink(ctx, link)
			if err == nil && seen {
				present = append(present, link)
			}
			return err == nil && seen
		},
	})
	d.metrics.fetchDuration.WithLabelValues(src.Name).Observe(time.Since(start).Seconds())
	if err != nil {
		if ctx.Err() != nil {
			return 0 // shutting down: not the source's fault
		}
		d.fetchFailed(ctx, &fs, src, err, h)
		return 0
	}
	if res.NotModified {
		// Retention by presence: unchanged, the source still shows
		// what it showed.
		if err := d.state.TouchSource(ctx, src.Name); err != nil {
			d.log.Error("touch items", "source", src.Name, "err", err)
		}
		d.metrics.fetches.WithLabelValues(src.Name, "not_modified").Inc()
		next := succeeded(fs, d.now(), "not_modified", res)
		d.saveFetchState(ctx, next, h)
		d.sourceOK(fs)
		return 0
	}
	d.metrics.fetches.WithLabelValues(src.Name, "ok").Inc()
	// Retention by presence: a page source skips the links it has seen,
	// so they are touched here, as a feed's items are when recorded, or
	// they would be pruned while still listed and come back as new.
	if err := d.state.TouchLinks(ctx, present); err != nil {
		d.log.Error("touch seen links", "source", src.Name, "err", err)
		return 0
	}
	// The new state is saved with the items, in their transaction, and only
	// if all of them were recorded: else the ETag stays and the next pass
	// sees these items again.
	next := succeeded(fs, d.now(), "ok", res)
	alerts, err = d.recordAll(ctx, cfg, fs, &next, res.Articles, h)
	if err != nil {
		d.log.Error("record items", "source", src.Name, "err", err)
		return alerts
	}
	d.sourceOK(fs)
	return alerts
}

// recordAll records a fetched batch with its new state (see recordBatch).
// When the state is refused because the fetch outlived its tick lease (h)
// and another replica has fetched the source since, the batch is decided
// again, against what that replica wrote, and recorded without the state:
// the newer fetch's validators, failures and backoff stand, but these
// items still count. They are what the source showed, and dropping them
// could miss an alert the newer fetch no longer sees (an item gone from
// the feed meanwhile), while recording them repeats none: items are
// upserted ON CONFLICT, stories fold under band locks, a story has one
// AlertNew per channel, and what the other replica recorded is known to
// the new decisions.
//
// Records refused because another replica wrote first what their
// decision did not know (a copy of the same new story founded at the same
// instant, a flood window moved) are decided again at once too, up to
// maxRecordAttempts: the copy then joins that story as a follow-up in this
// fetch, rather than at the next tick, by which the source may have
// dropped it. The records that went through are known by then and decide
// nothing twice.
func (d *Daemon) recordAll(ctx context.Context, cfg *config.Config, fs store.FetchState, next *store.FetchState, arts []*model.Article, h *tickHold) (int, error) {
	total := 0
	for attempt := 1; ; attempt++ {
		alerts, err := d.recordBatch(ctx, cfg, fs, next, arts)
		total += alerts
		switch {
		case next != nil && errors.Is(err, store.ErrLeaseLost):
			h.lose("save")
			next = nil
		case racedReplica(err) && attempt < maxRecordAttempts && ctx.Err() == nil:
			d.log.Info("records refused after another replica's concurrent write; deciding them again",
				"source", fs.Source, "attempt", attempt, "err", err)
		default:
			return total, err
		}
	}
}

// maxRecordAttempts bounds how often one fetch's batch is decided again.
const maxRecordAttempts = 3

// racedReplica is whether err refused records because another replica
// wrote concurrently what their decision was made without.
func racedReplica(err error) bool {
	return errors.Is(err, store.ErrDuplicateAlert) || errors.Is(err, pgstore.ErrWindowMoved)
}

// recordBatch records a fetched batch in one store transaction. One bad
// item is logged and skipped; a store error, or an item the store refused,
// fails the batch, and the fetch state is not advanced, so the next pass
// reads the batch again (what was written is then known and unchanged).
func (d *Daemon) recordBatch(ctx context.Context, cfg *config.Config, fs store.FetchState, next *store.FetchState, arts []*model.Article) (int, error) {
	d.recordMu.Lock()
	defer d.recordMu.Unlock()
	b, err := d.newBatch(ctx, cfg, fs, arts)
	if err != nil {
		return 0, err
	}
	seen := make([]string, 0, len(arts))
	for _, a := range arts {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if err := b.add(ctx, a); err != nil {
			if errors.Is(err, errBadItem) {
				d.log.Warn("item skipped", "source", a.Source, "title", a.Title, "err", err)
				continue
			}
			return 0, fmt.Errorf("%s %q: %w", a.Source, a.Key(), err)
		}
		seen = append(seen, a.Key())
	}
	res, err := d.state.RecordFetch(ctx, store.Fetch{Source: fs.Source, Records: b.recs, Seen: seen, State: next})
	if err != nil {
		return 0, err
	}
	return d.observeBatch(b, res)
}

// observeBatch logs and counts what the batch recorded and wakes the
// deliverer; the first refused record is the error.
func (d *Daemon) observeBatch(b *fetchBatch, res []store.RecordResult) (int, error) {
	alerts, holds := 0, false
	var errs []error
	for i, r := range res {
		if r.Err != nil {
			errs = append(errs, r.Err)
			continue
		}
		d.observe(b.arts[i], b.outs[i])
		alerts += len(b.outs[i].alerts)
		for _, h := range b.recs[i].Holds {
			holds = true
			kind := flood.FloodKey
			if _, ok := flood.KeyRule(h.Bucket.Key); ok {
				kind = "rule"
			}
			d.metrics.held.WithLabelValues(kind).Inc()
			d.log.Info("article held for a digest", "source", b.arts[i].Source, "title", b.arts[i].Title,
				"rules", h.Rules, "channel", h.Bucket.Channel, "digest", h.Bucket.Key, "due", h.Bucket.Due.Format(time.RFC3339))
		}
	}
	if alerts > 0 && d.deliverer != nil {
		d.deliverer.Wake()
	}
	if holds {
		d.wakeDigests()
	}
	return alerts, errors.Join(errs...)
}

var errBadItem = errors.New("bad item")

func (d *Daemon) observe(a *model.Article, out outcome) {
	if out.isNew {
		d.metrics.newItems.WithLabelValues(a.Source).Inc()
	}
	for _, r := range out.matched {
		d.metrics.matches.WithLabelValues(r).Inc()
	}
	if out.suppressed != "" && len(out.matched) > 0 {
		d.metrics.suppressedMatches.WithLabelValues(out.suppressed).Inc()
		d.log.Info("match recorded without alert", "source", a.Source, "title", a.Title,
			"rules", out.matched, "reason", out.suppressed)
	}
	for _, al := range out.alerts {
		d.metrics.alertsEnqueued.WithLabelValues(al.Kind.String()).Inc()
		d.log.Info("alert queued", "source", a.Source, "title", a.Title, "rules", al.Rules,
			"channel", al.Channel, "kind", al.Kind.String(), "story", al.StoryID)
	}
}

// succeeded is fs after a successful fetch at now.
func succeeded(fs store.FetchState, now time.Time, result string, res *crawler.Result) store.FetchState {
	fs.LastFetch, fs.LastResult, fs.LastError = now, result, ""
	fs.ConsecutiveFailures, fs.NextAttempt = 0, time.Time{}
	if result == "ok" {
		fs.ETag, fs.LastModified, fs.Fetched = res.ETag, res.LastModified, true
	}
	return fs
}

// sourceOK logs and counts a success; prev is the state before it.
func (d *Daemon) sourceOK(prev store.FetchState) {
	if prev.ConsecutiveFailures > 0 {
		d.log.Info("source recovered", "source", prev.Source, "after_failures", prev.ConsecutiveFailures)
	}
	d.metrics.sourceFailures.WithLabelValues(prev.Source).Set(0)
}

// fetchFailed counts, logs and stores a failed fetch. The error's text is
// what leaves the process (the log, the state file, status), so it is
// redacted here with the source's secret parameters; the crawler already
// did, and this keeps the guarantee at the door whatever it returns.
func (d *Daemon) fetchFailed(ctx context.Context, fs *store.FetchState, src model.Source, err error, h *tickHold) {
	msg := redact.Text(err.Error(), src.SecretParams...)
	d.metrics.fetches.WithLabelValues(fs.Source, "error").Inc()
	fs.ConsecutiveFailures++
	fs.LastFetch, fs.LastResult, fs.LastError = d.now(), "error", msg
	fs.NextAttempt = d.now().Add(failureBackoff(fs.ConsecutiveFailures))
	d.metrics.sourceFailures.WithLabelValues(fs.Source).Set(float64(fs.ConsecutiveFailures))
	// Log once per change of state, then only at debug, so a dead site
	// does not flood the log.
	level := slog.LevelDebug
	if fs.ConsecutiveFailures == 1 {
		level = slog.LevelWarn
	}
	d.log.Log(ctx, level, "source failing", "source", fs.Source, "err", msg,
		"consecutive_failures", fs.ConsecutiveFailures, "retry_after", fs.NextAttempt.Format(time.RFC3339))
	d.saveFetchState(ctx, *fs, h)
}

// saveFetchState saves fs, fenced by h; a state refused because the
// fetch outlived its lease is h's to report, not an error.
func (d *Daemon) saveFetchState(ctx context.Context, fs store.FetchState, h *tickHold) {
	err := d.state.SaveFetchState(ctx, fs)
	switch {
	case errors.Is(err, store.ErrLeaseLost):
		h.lose("save")
	case err != nil:
		d.log.Error("save fetch state", "source", fs.Source, "err", err)
	}
}

// failureBackoff is exponential with ±20% jitter. The first failure is
// retried at the next scheduled run.
func failureBackoff(failures int) time.Duration {
	if failures <= 1 {
		return 0
	}
	b := backoffBase << min(failures-2, 16)
	if b > backoffMax || b <= 0 {
		b = backoffMax
	}
	jitter := time.Duration(rand.Int64N(int64(b)/5+1)) - b/10
	return b + jitter
}
