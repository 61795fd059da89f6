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
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/redact"
	"github.com/newswatch/newswatch/store"
)

// Failure backoff: a failing source is retried after 1m, 2m, 4m, ... up to
// 6h, never sooner than its schedule allows.
const (
	backoffBase = time.Minute
	backoffMax  = 6 * time.Hour
)

// pollSource fetches one source and records what it found. It never
// returns an error: a failing source is counted, backed off and logged,
// and the others go on.
func (d *Daemon) pollSource(ctx context.Context, cfg *config.Config, src model.Source) (alerts int) {
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
		d.fetchFailed(ctx, &fs, src, err)
		return 0
	}
	if res.NotModified {
		// Retention by presence: unchanged, the source still shows
		// what it showed.
		if err := d.state.TouchSource(ctx, src.Name); err != nil {
			d.log.Error("touch items", "source", src.Name, "err", err)
		}
		d.metrics.fetches.WithLabelValues(src.Name, "not_modified").Inc()
		d.fetchSucceeded(ctx, &fs, "not_modified", res)
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
	alerts, err = d.recordAll(ctx, cfg, fs, res.Articles)
	if err != nil {
		// Leave the ETag alone so the next pass sees these items again.
		d.log.Error("record items", "source", src.Name, "err", err)
		return alerts
	}
	d.fetchSucceeded(ctx, &fs, "ok", res)
	return alerts
}

// recordAll records a fetched batch. One bad item is logged and skipped; a
// store error stops the batch (and the fetch state is not advanced).
func (d *Daemon) recordAll(ctx context.Context, cfg *config.Config, fs store.FetchState, arts []*model.Article) (int, error) {
	alerts := 0
	for _, a := range arts {
		if ctx.Err() != nil {
			return alerts, ctx.Err()
		}
		d.recordMu.Lock()
		out, err := d.recordArticle(ctx, cfg, fs, a)
		d.recordMu.Unlock()
		if err != nil {
			if errors.Is(err, errBadItem) {
				d.log.Warn("item skipped", "source", a.Source, "title", a.Title, "err", err)
				continue
			}
			return alerts, fmt.Errorf("%s %q: %w", a.Source, a.Key(), err)
		}
		d.observe(a, out)
		alerts += len(out.alerts)
	}
	if alerts > 0 && d.deliverer != nil {
		d.deliverer.Wake()
	}
	// Retention counts from when a source last carried an item.
	keys := make([]string, 0, len(arts))
	for _, a := range arts {
		keys = append(keys, a.Key())
	}
	if err := d.state.TouchItems(ctx, fs.Source, keys); err != nil {
		return alerts, err
	}
	return alerts, nil
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

func (d *Daemon) fetchSucceeded(ctx context.Context, fs *store.FetchState, result string, res *crawler.Result) {
	if fs.ConsecutiveFailures > 0 {
		d.log.Info("source recovered", "source", fs.Source, "after_failures", fs.ConsecutiveFailures)
	}
	fs.LastFetch, fs.LastResult, fs.LastError = d.now(), result, ""
	fs.ConsecutiveFailures, fs.NextAttempt = 0, time.Time{}
	if result == "ok" {
		fs.ETag, fs.LastModified, fs.Fetched = res.ETag, res.LastModified, true
	}
	d.metrics.sourceFailures.WithLabelValues(fs.Source).Set(0)
	d.saveFetchState(ctx, *fs)
}

// fetchFailed counts, logs and stores a failed fetch. The error's text is
// what leaves the process (the log, the state file, status), so it is
// redacted here with the source's secret parameters; the crawler already
// did, and this keeps the guarantee at the door whatever it returns.
func (d *Daemon) fetchFailed(ctx context.Context, fs *store.FetchState, src model.Source, err error) {
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
	d.saveFetchState(ctx, *fs)
}

func (d *Daemon) saveFetchState(ctx context.Context, fs store.FetchState) {
	if err := d.state.SaveFetchState(ctx, fs); err != nil {
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
