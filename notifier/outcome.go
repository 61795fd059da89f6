package notifier

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/newswatch/newswatch/model"
)

// deliver sends one alert and records the outcome. It returns only outbox
// and context errors; a failed send is recorded, not returned.
func (d *Deliverer) deliver(ctx context.Context, a model.Alert) error {
	if ts, ok := d.unmarked[a.ID]; ok {
		return d.markSent(ctx, a, ts) // posted already; only the record failed
	}
	if a.Kind == model.AlertFollowUp && !d.o.Sender.Threads() {
		d.log.Debug("notifier: follow-up skipped, sender has no threads", "alert_id", a.ID, "channel", a.Channel)
		return d.markSent(ctx, a, "")
	}
	sctx, cancel := context.WithTimeout(ctx, d.o.SendTimeout)
	ts, retry, err := d.o.Sender.Send(sctx, a)
	cancel()
	if key := d.paceKey(a); key != "" {
		d.nextFree[key] = d.o.Now().Add(d.o.PerChannelInterval)
	}
	if err == nil {
		// Record a delivered alert even when shutting down, or it would be
		// posted again after the restart.
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return d.markSent(mctx, a, ts)
	}
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: the alert stays pending as it was
	}
	var rl *RateLimitError
	switch {
	case errors.As(err, &rl):
		return d.rateLimited(ctx, a, rl.RetryAfter, err)
	case !retry:
		return d.fail(ctx, a, err.Error())
	case a.Attempts+1 >= d.o.MaxAttempts:
		return d.fail(ctx, a, fmt.Sprintf("gave up after %d attempts: %v", a.Attempts+1, err))
	}
	return d.retry(ctx, a, err)
}

// markSent records a delivered alert. When that fails the alert stays
// pending in the outbox, so its ts is kept in unmarked and the next pass
// retries the record instead of posting the alert again.
func (d *Deliverer) markSent(ctx context.Context, a model.Alert, ts string) error {
	if err := d.o.Outbox.MarkSent(ctx, a.ID, ts); err != nil {
		d.unmarked[a.ID] = ts
		return fmt.Errorf("notifier: mark alert %d sent: %w", a.ID, err)
	}
	delete(d.unmarked, a.ID)
	d.log.Info("notifier: alert sent", "alert_id", a.ID, "channel", a.Channel, "kind", a.Kind.String(), "ts", ts)
	return nil
}

// rateLimited pauses every send for retryAfter (Slack's limits apply to the
// workspace and method, so this is the safe reading) and retries the alert
// then.
func (d *Deliverer) rateLimited(ctx context.Context, a model.Alert, retryAfter time.Duration, err error) error {
	if retryAfter <= 0 {
		retryAfter = DefaultRetryAfter
	}
	until := d.o.Now().Add(retryAfter)
	if until.After(d.paused) {
		d.paused = until
	}
	d.log.Warn("notifier: slack rate limit, pausing deliveries", "alert_id", a.ID, "channel", a.Channel, "retry_after", retryAfter)
	if err := d.o.Outbox.MarkRetry(ctx, a.ID, until, err.Error()); err != nil {
		return fmt.Errorf("notifier: mark alert %d for retry: %w", a.ID, err)
	}
	return nil
}

func (d *Deliverer) retry(ctx context.Context, a model.Alert, err error) error {
	next := d.o.Now().Add(d.backoff(a.Attempts))
	d.log.Warn("notifier: alert delivery failed, will retry", "alert_id", a.ID, "channel", a.Channel,
		"attempt", a.Attempts+1, "next_attempt", next, "error", err.Error())
	if err := d.o.Outbox.MarkRetry(ctx, a.ID, next, err.Error()); err != nil {
		return fmt.Errorf("notifier: mark alert %d for retry: %w", a.ID, err)
	}
	return nil
}

func (d *Deliverer) fail(ctx context.Context, a model.Alert, msg string) error {
	d.log.Error("notifier: alert failed, not retrying", "alert_id", a.ID, "channel", a.Channel,
		"attempt", a.Attempts+1, "error", msg)
	if err := d.o.Outbox.MarkFailed(ctx, a.ID, msg); err != nil {
		return fmt.Errorf("notifier: mark alert %d failed: %w", a.ID, err)
	}
	return nil
}

// backoff returns the delay after the given number of earlier attempts:
// BaseBackoff doubled per attempt, capped at MaxBackoff, drawn from [d/2, d].
func (d *Deliverer) backoff(attempts int) time.Duration {
	b := d.o.MaxBackoff
	if attempts < 32 {
		b = min(d.o.BaseBackoff<<attempts, d.o.MaxBackoff)
	}
	if b <= 0 { // overflow
		b = d.o.MaxBackoff
	}
	return b/2 + rand.N(b/2+1)
}
