package notifier

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/newswatch/newswatch/model"
)

// recordTimeout bounds an outbox write made after a send, which runs even
// when the send context has ended (a posted alert must be recorded).
const recordTimeout = 5 * time.Second

// deliver sends one alert on lane l and records the outcome. ctx is the send
// context; stop ends waits that are not sends (shutdown need not wait them
// out). It returns only outbox errors; a failed send is recorded, not
// returned.
//
// Exactly once, in order: an alert whose earlier post may have reached Slack
// is first looked for (adopt); the outbox then records, durably, that a post
// starts; the post goes out; Slack's answer is recorded. A crash anywhere
// leaves either no post and no mark (posted at the next start), or the mark
// (looked up at the next start, and adopted when found).
func (d *Deliverer) deliver(ctx, stop context.Context, l *lane, a model.Alert) error {
	if ts, ok := d.takeUnmarked(a.ID); ok {
		return d.markSent(ctx, a, ts) // posted already; only the record failed
	}
	if a.Kind == model.AlertFollowUp && !d.o.Sender.Threads() {
		d.log.Debug("notifier: follow-up skipped, sender has no threads", "alert_id", a.ID, "channel", a.Channel)
		return d.markSent(ctx, a, "")
	}
	if !a.AttemptStarted.IsZero() {
		if handled, err := d.adopt(ctx, stop, l, a); handled {
			return err
		}
	}
	if d.canFind() {
		if err := d.o.Outbox.MarkAttempt(ctx, a.ID, d.o.Now()); err != nil {
			return fmt.Errorf("notifier: mark alert %d attempt: %w", a.ID, err) // nothing was posted
		}
	}
	sctx, cancel := context.WithTimeout(ctx, d.o.SendTimeout)
	ts, retry, err := d.o.Sender.Send(sctx, a)
	cancel()
	d.paced(l)
	if err == nil {
		return d.markSent(ctx, a, ts)
	}
	if ctx.Err() != nil {
		// The grace period ended mid-send: the attempt mark stays, and the
		// next start looks the alert up before posting it again.
		return nil
	}
	return d.failed(ctx, l, a, retry, err)
}

// adopt looks for an earlier post of a that may have reached Slack. It
// reports handled when the alert needs no post now: found and marked sent,
// or the lookup itself must be retried.
func (d *Deliverer) adopt(ctx, stop context.Context, l *lane, a model.Alert) (handled bool, err error) {
	if !d.canFind() {
		return false, nil // webhook, stdout: at-least-once
	}
	f := d.o.Sender.(Finder)
	if wait := a.AttemptStarted.Add(d.o.Settle).Sub(d.o.Now()); wait > 0 {
		if err := d.o.Sleep(stop, wait); err != nil {
			return true, nil // shutting down; the mark stays
		}
	}
	sctx, cancel := context.WithTimeout(ctx, d.o.SendTimeout)
	ts, found, err := f.Find(sctx, a, a.AttemptStarted)
	cancel()
	var rl *RateLimitError
	switch {
	case err == nil && found:
		d.clearNotice("no_history")
		d.log.Info("notifier: earlier post found in Slack, not posting again", "alert_id", a.ID, "channel", a.Channel, "ts", ts)
		if d.o.Adopted != nil {
			d.o.Adopted()
		}
		return true, d.markSent(ctx, a, ts)
	case err == nil:
		d.clearNotice("no_history")
		return false, nil
	case errors.Is(err, ErrNoHistory):
		d.notice("no_history", err.Error())
		return false, nil
	case errors.As(err, &rl):
		d.pause(l, rl.RetryAfter)
		return true, nil // released; the lane waits out the pause
	case ctx.Err() != nil:
		return true, nil
	}
	return true, d.failed(ctx, l, a, true, fmt.Errorf("look up earlier post: %w", err))
}

// failed records a failed send (or lookup).
func (d *Deliverer) failed(ctx context.Context, l *lane, a model.Alert, retry bool, err error) error {
	var rl *RateLimitError
	isRL := errors.As(err, &rl)
	expired := d.o.Now().Sub(a.Created) >= d.o.GiveUpAfter
	switch {
	case !retry && !isRL:
		return d.fail(ctx, a, err.Error())
	case expired:
		return d.fail(ctx, a, fmt.Sprintf("gave up after %s undelivered (slack.give_up_after), %d attempts: %v",
			d.o.GiveUpAfter, a.Attempts+1, err))
	case isRL:
		return d.rateLimited(ctx, l, a, rl.RetryAfter, err)
	}
	if !MaybePosted(err) && d.canFind() {
		if err := d.o.Outbox.MarkAttempt(d.record(ctx), a.ID, time.Time{}); err != nil {
			return fmt.Errorf("notifier: clear alert %d attempt: %w", a.ID, err)
		}
	}
	return d.retry(ctx, a, err)
}

// canFind reports whether the Sender can look posts up; without that the
// attempt mark would serve nothing and is not written.
func (d *Deliverer) canFind() bool {
	f, ok := d.o.Sender.(Finder)
	return ok && f.CanFind()
}

// record is the context of an outbox write after a send: it outlives the
// send context by recordTimeout.
func (d *Deliverer) record(ctx context.Context) context.Context {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	context.AfterFunc(c, cancel)
	return c
}

// markSent records a delivered alert. When that fails the alert stays
// pending in the outbox, so its ts is kept in unmarked and the next pass
// retries the record instead of posting the alert again.
func (d *Deliverer) markSent(ctx context.Context, a model.Alert, ts string) error {
	if err := d.o.Outbox.MarkSent(d.record(ctx), a.ID, ts); err != nil {
		d.mu.Lock()
		d.unmarked[a.ID] = ts
		d.mu.Unlock()
		return fmt.Errorf("notifier: mark alert %d sent: %w", a.ID, err)
	}
	d.mu.Lock()
	if len(d.sent) >= maxSentMemory {
		clear(d.sent)
	}
	d.sent[a.ID] = sentMark{created: a.Created, mark: d.marks}
	d.marks++
	d.mu.Unlock()
	d.log.Info("notifier: alert sent", "alert_id", a.ID, "channel", a.Channel, "kind", a.Kind.String(), "ts", ts)
	if d.o.Delivered != nil && (a.Kind != model.AlertFollowUp || d.o.Sender.Threads()) {
		d.o.Delivered(a)
	}
	return nil
}

func (d *Deliverer) takeUnmarked(id int64) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ts, ok := d.unmarked[id]
	delete(d.unmarked, id)
	return ts, ok
}

// paced starts l's pacing interval after a send.
func (d *Deliverer) paced(l *lane) {
	if l.key == "" {
		return
	}
	d.mu.Lock()
	l.nextFree = d.o.Now().Add(d.o.PerChannelInterval)
	d.mu.Unlock()
}

// pause holds l's sends for retryAfter. Only this lane waits: another
// channel is not held back by one channel's limit.
func (d *Deliverer) pause(l *lane, retryAfter time.Duration) time.Time {
	if retryAfter <= 0 {
		retryAfter = DefaultRetryAfter
	}
	until := d.o.Now().Add(retryAfter)
	d.mu.Lock()
	if until.After(l.paused) {
		l.paused = until
	}
	d.mu.Unlock()
	return until
}

// rateLimited pauses the lane and postpones the alert without counting an
// attempt: being told to wait is not a failure.
func (d *Deliverer) rateLimited(ctx context.Context, l *lane, a model.Alert, retryAfter time.Duration, err error) error {
	until := d.pause(l, retryAfter)
	d.log.Warn("notifier: slack rate limit, pausing the channel", "alert_id", a.ID, "channel", a.Channel, "retry_after", until.Sub(d.o.Now()))
	if err := d.o.Outbox.Postpone(d.record(ctx), a.ID, until, err.Error()); err != nil {
		return fmt.Errorf("notifier: postpone alert %d: %w", a.ID, err)
	}
	return nil
}

func (d *Deliverer) retry(ctx context.Context, a model.Alert, err error) error {
	next := d.o.Now().Add(d.backoff(a.Attempts))
	d.log.Warn("notifier: alert delivery failed, will retry", "alert_id", a.ID, "channel", a.Channel,
		"attempt", a.Attempts+1, "next_attempt", next, "error", err.Error())
	if err := d.o.Outbox.MarkRetry(d.record(ctx), a.ID, next, err.Error()); err != nil {
		return fmt.Errorf("notifier: mark alert %d for retry: %w", a.ID, err)
	}
	return nil
}

func (d *Deliverer) fail(ctx context.Context, a model.Alert, msg string) error {
	d.log.Error("notifier: alert failed, not retrying", "alert_id", a.ID, "channel", a.Channel,
		"attempt", a.Attempts+1, "error", msg)
	if err := d.o.Outbox.MarkFailed(d.record(ctx), a.ID, msg); err != nil {
		return fmt.Errorf("notifier: mark alert %d failed: %w", a.ID, err)
	}
	return nil
}

// notice logs a lasting condition once and passes it on to the daemon.
func (d *Deliverer) notice(key, msg string) {
	d.mu.Lock()
	seen := d.noticed[key]
	d.noticed[key] = true
	d.mu.Unlock()
	if seen {
		return
	}
	d.log.Warn("notifier: "+msg, "notice", key)
	if d.o.Notice != nil {
		d.o.Notice(key, msg)
	}
}

// clearNotice withdraws a notice once a lookup works again (the scopes
// were added), once per Deliverer.
func (d *Deliverer) clearNotice(key string) {
	d.mu.Lock()
	done := d.noticed["cleared:"+key]
	d.noticed["cleared:"+key] = true
	d.noticed[key] = false
	d.mu.Unlock()
	if !done && d.o.Notice != nil {
		d.o.Notice(key, "")
	}
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
