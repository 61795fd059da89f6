package notifier

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/newswatch/newswatch/model"
)

// Outbox is the part of the state store the Deliverer needs; store.SQLite
// satisfies it.
type Outbox interface {
	// DueAlerts returns pending alerts with next_attempt <= now, oldest
	// first; follow-ups only once their parent is sent (ThreadTS set) or
	// failed (ThreadTS "").
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]model.Alert, error)
	MarkSent(ctx context.Context, id int64, ts string) error
	// MarkRetry keeps the alert pending until next and counts an attempt.
	MarkRetry(ctx context.Context, id int64, next time.Time, errMsg string) error
	MarkFailed(ctx context.Context, id int64, errMsg string) error
	// NextDue returns the earliest next_attempt of a pending alert. "Nothing
	// pending" is either a zero time with a nil error, or an error for which
	// DelivererOptions.IsNotFound reports true (store.ErrNotFound).
	NextDue(ctx context.Context) (time.Time, error)
}

// DelivererOptions configures a Deliverer. Outbox and Sender are required;
// zero values elsewhere mean the documented defaults.
type DelivererOptions struct {
	Outbox Outbox
	Sender Sender
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done (returning ctx.Err()); default a
	// timer. Tests inject one that advances a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// IsNotFound reports whether a NextDue error means "nothing pending"
	// (the daemon passes func(err) bool { return errors.Is(err, store.ErrNotFound) }).
	IsNotFound func(error) bool
	// PerChannelInterval is the least time between two messages with the
	// same pace key (see PaceKeyer); default 1s, negative turns pacing off.
	PerChannelInterval time.Duration
	// MaxAttempts: an alert whose transient failures reach this many
	// attempts is marked failed; default 10.
	MaxAttempts int
	// BaseBackoff and MaxBackoff bound the exponential retry delay (with
	// jitter: a delay d is drawn from [d/2, d]); defaults 5s and 10m.
	BaseBackoff, MaxBackoff time.Duration
	// PollInterval is the longest Run sleeps without a Wake; default 30s.
	PollInterval time.Duration
	// BatchSize is how many alerts are claimed per DueAlerts call; default 50.
	BatchSize int
	// SendTimeout bounds one Send; default 30s.
	SendTimeout time.Duration
}

// Deliverer moves alerts from the outbox to the Sender: it sends what is
// due, records Slack's ts, retries transient failures with backoff, fails
// permanent ones at once, obeys rate limits and paces each channel. Run and
// Drain must not be called concurrently; Wake is safe from any goroutine.
type Deliverer struct {
	o        DelivererOptions
	log      *slog.Logger
	wake     chan struct{}
	nextFree map[string]time.Time // pace key -> earliest next send
	paused   time.Time            // no sends before this (rate limit)
	// unmarked holds the ts of alerts that were posted but whose MarkSent
	// failed: when the outbox offers one again it is only marked, never
	// posted a second time.
	unmarked map[int64]string
}

// minIdle is the shortest wait between passes when NextDue says something is
// due but DueAlerts returned nothing (a follow-up waiting for its parent).
const minIdle = time.Second

// NewDeliverer returns a Deliverer with defaults filled in.
func NewDeliverer(o DelivererOptions) *Deliverer {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	o.PerChannelInterval = cmp.Or(o.PerChannelInterval, time.Second)
	o.MaxAttempts = cmp.Or(o.MaxAttempts, 10)
	o.BaseBackoff = cmp.Or(o.BaseBackoff, 5*time.Second)
	o.MaxBackoff = cmp.Or(o.MaxBackoff, 10*time.Minute)
	o.PollInterval = cmp.Or(o.PollInterval, 30*time.Second)
	o.BatchSize = cmp.Or(o.BatchSize, 50)
	o.SendTimeout = cmp.Or(o.SendTimeout, 30*time.Second)
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{o: o, log: log, wake: make(chan struct{}, 1),
		nextFree: map[string]time.Time{}, unmarked: map[int64]string{}}
}

// Wake nudges Run to look at the outbox now (after new alerts were recorded).
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers alerts until ctx is done, then returns nil. Between passes it
// sleeps until the next alert is due, PollInterval at most, or until Wake.
// Outbox errors are logged and retried on the next pass.
func (d *Deliverer) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := d.deliverDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("notifier: delivery pass failed", "error", err)
		}
		d.idle(ctx, d.untilNext(ctx))
	}
	return nil
}

// Drain delivers every alert due now, honouring pacing and rate limits, and
// then whatever becomes due (retries, follow-ups) before ctx's deadline; it
// returns when nothing more can be delivered in time. Without a deadline it
// only delivers what is due now. It returns an error when the outbox fails
// or ctx ends while due alerts were still being delivered.
func (d *Deliverer) Drain(ctx context.Context) error {
	dl, hasLimit := ctx.Deadline()
	limit := d.o.Now().Add(time.Until(dl)) // in the injected clock's time
	for {
		if err := d.deliverDue(ctx); err != nil {
			return fmt.Errorf("notifier: drain: %w", err)
		}
		next, ok, err := d.nextDue(ctx)
		if err != nil || !ok || !hasLimit {
			return err
		}
		wait := max(next.Sub(d.o.Now()), minIdle)
		if d.o.Now().Add(wait).After(limit) {
			return nil
		}
		if d.o.Sleep(ctx, wait) != nil {
			return nil
		}
	}
}

// untilNext is how long Run sleeps after a pass.
func (d *Deliverer) untilNext(ctx context.Context) time.Duration {
	next, ok, err := d.nextDue(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("notifier: next due alert", "error", err)
		}
		return d.o.PollInterval
	}
	if !ok {
		return d.o.PollInterval
	}
	return min(max(next.Sub(d.o.Now()), minIdle), d.o.PollInterval)
}

func (d *Deliverer) nextDue(ctx context.Context) (time.Time, bool, error) {
	t, err := d.o.Outbox.NextDue(ctx)
	if err != nil {
		if d.o.IsNotFound != nil && d.o.IsNotFound(err) {
			return time.Time{}, false, nil
		}
		return time.Time{}, false, fmt.Errorf("notifier: next due: %w", err)
	}
	return t, !t.IsZero(), nil
}

// idle sleeps for wait, or until Wake or ctx is done.
func (d *Deliverer) idle(ctx context.Context, wait time.Duration) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-d.wake:
			cancel()
		case <-wctx.Done():
		}
	}()
	_ = d.o.Sleep(wctx, wait)
}

// deliverDue claims and delivers batches until nothing is due.
func (d *Deliverer) deliverDue(ctx context.Context) error {
	seen := map[int64]int{} // alert id -> Attempts when we handled it
	for {
		batch, err := d.o.Outbox.DueAlerts(ctx, d.o.Now(), d.o.BatchSize)
		if err != nil {
			return fmt.Errorf("notifier: due alerts: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, a := range batch {
			// Handled before in this pass with no attempt recorded since:
			// the outbox did not keep our update, and looping would spin.
			if prev, ok := seen[a.ID]; ok && prev == a.Attempts {
				return fmt.Errorf("notifier: outbox returned alert %d as due again without recording the last attempt", a.ID)
			}
			seen[a.ID] = a.Attempts
		}
		if err := d.deliverBatch(ctx, batch); err != nil {
			return err
		}
	}
}

// deliverBatch sends a batch, taking at each step the first alert whose
// channel may post now, so one busy channel does not hold up the others and
// each channel keeps its order.
func (d *Deliverer) deliverBatch(ctx context.Context, queue []model.Alert) error {
	for len(queue) > 0 {
		if wait := d.paused.Sub(d.o.Now()); wait > 0 {
			if err := d.o.Sleep(ctx, wait); err != nil {
				return err
			}
		}
		i, wait := d.pickReady(queue)
		if i < 0 {
			if err := d.o.Sleep(ctx, wait); err != nil {
				return err
			}
			continue
		}
		a := queue[i]
		queue = slices.Delete(queue, i, i+1)
		if err := d.deliver(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// pickReady returns the index of the first alert that may be sent now, or
// -1 and how long until one may.
func (d *Deliverer) pickReady(queue []model.Alert) (int, time.Duration) {
	now := d.o.Now()
	wait := time.Duration(-1)
	for i, a := range queue {
		w := d.nextFree[d.paceKey(a)].Sub(now)
		if w <= 0 {
			return i, 0
		}
		if wait < 0 || w < wait {
			wait = w
		}
	}
	return -1, wait
}

func (d *Deliverer) paceKey(a model.Alert) string {
	if d.o.PerChannelInterval < 0 {
		return ""
	}
	if p, ok := d.o.Sender.(PaceKeyer); ok {
		return p.PaceKey(a)
	}
	return a.Channel
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
