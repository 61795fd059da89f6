package notifier

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/newswatch/newswatch/model"
)

// Outbox is the part of the state store the Deliverer needs; store.SQLite
// satisfies it.
type Outbox interface {
	// DueAlerts returns pending alerts with next_attempt <= now, oldest
	// first; follow-ups only once their parent is sent (ThreadTS set) or
	// failed (ThreadTS ""). AttemptStarted is set for an alert whose last
	// post may have reached Slack.
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]model.Alert, error)
	MarkSent(ctx context.Context, id int64, ts string) error
	// MarkRetry keeps the alert pending until next and counts an attempt.
	MarkRetry(ctx context.Context, id int64, next time.Time, errMsg string) error
	// Postpone keeps the alert pending until next without counting an
	// attempt, and clears its attempt mark (a rate limit: nothing posted).
	Postpone(ctx context.Context, id int64, next time.Time, errMsg string) error
	// MarkAttempt durably records that a post starts at at (zero: clears
	// the mark, the post is known not to have been made).
	MarkAttempt(ctx context.Context, id int64, at time.Time) error
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
	// timer. Tests run under testing/synctest instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// IsNotFound reports whether a NextDue error means "nothing pending"
	// (the daemon passes func(err) bool { return errors.Is(err, store.ErrNotFound) }).
	IsNotFound func(error) bool
	// PerChannelInterval is the least time between two messages with the
	// same pace key (see PaceKeyer); default 1s, negative turns pacing off.
	PerChannelInterval time.Duration
	// GiveUpAfter: an alert still undelivered this long after it was
	// queued fails at its next transient error or rate limit; default 24h.
	// Only a permanent error fails an alert sooner: attempts are not
	// counted against it.
	GiveUpAfter time.Duration
	// BaseBackoff and MaxBackoff bound the exponential retry delay (with
	// jitter: a delay d is drawn from [d/2, d]); defaults 5s and 10m.
	BaseBackoff, MaxBackoff time.Duration
	// PollInterval is the longest Run sleeps without a Wake; default 30s.
	PollInterval time.Duration
	// BatchSize is how many unclaimed alerts are read per DueAlerts call;
	// default 50.
	BatchSize int
	// SendTimeout bounds one Send or Find; default 30s.
	SendTimeout time.Duration
	// Settle is how long after an interrupted attempt began its lookup
	// waits, so that a post Slack was still processing when the process
	// died is in the history when it is looked for; default 5s.
	Settle time.Duration
	// Notice, if set, is told once per Deliverer about a lasting condition
	// an operator should see in status (key "no_history": exactly-once
	// lookups are unavailable), and with msg "" when it no longer holds.
	// The daemon stores it.
	Notice func(key, msg string)
	// Delivered, if set, is called for each alert once it is in its
	// channel (posted, or found there by a lookup), for metrics; not for a
	// follow-up a webhook cannot post.
	Delivered func(a model.Alert)
	// Adopted, if set, is called when an interrupted post was found in
	// Slack and marked sent instead of being posted again (a metric).
	Adopted func()
}

// Deliverer moves alerts from the outbox to the Sender: it sends what is
// due, records Slack's ts, retries transient failures with backoff, fails
// permanent ones at once, obeys rate limits and paces each channel.
//
// Each pace key (a Slack channel) has its own lane: a goroutine that sends
// that channel's alerts in order, one a second, so a slow or rate-limited
// channel never holds back the others. A dispatcher reads the outbox and
// hands due alerts to lanes. Run and Drain must not be called concurrently;
// Wake is safe from any goroutine.
type Deliverer struct {
	o    DelivererOptions
	log  *slog.Logger
	wake chan struct{}

	mu      sync.Mutex
	lanes   map[string]*lane
	claimed map[int64]bool // queued in a lane or being delivered
	// unmarked holds the ts of alerts that were posted but whose MarkSent
	// failed: when the outbox offers one again it is only marked, never
	// posted a second time.
	unmarked map[int64]string
	noticed  map[string]bool
	// sent holds alerts marked sent by this Deliverer: one offered again
	// means the outbox lost the update, and posting it again would repeat
	// it (bounded: cleared when it grows past maxSentMemory).
	sent    map[int64]sentMark
	marks   uint64  // counts MarkSent calls, to tell a stale read from a lost update
	errs    []error // outbox errors from lanes, for Drain
	lanesWG sync.WaitGroup
}

// sentMark is an alert this Deliverer marked sent: its Created (ids can be
// reused after a prune) and the marks count then.
type sentMark struct {
	created time.Time
	mark    uint64
}

// lane is one pace key's queue and pacing state; guarded by Deliverer.mu.
type lane struct {
	key      string
	queue    []model.Alert
	running  bool
	nextFree time.Time // pacing: earliest next send
	paused   time.Time // rate limit: no sends before this
}

const maxSentMemory = 10000

// minIdle is the shortest wait between passes when NextDue says something is
// due but DueAlerts returned nothing new (a follow-up waiting for its parent).
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
	o.GiveUpAfter = cmp.Or(o.GiveUpAfter, 24*time.Hour)
	o.BaseBackoff = cmp.Or(o.BaseBackoff, 5*time.Second)
	o.MaxBackoff = cmp.Or(o.MaxBackoff, 10*time.Minute)
	o.PollInterval = cmp.Or(o.PollInterval, 30*time.Second)
	o.BatchSize = cmp.Or(o.BatchSize, 50)
	o.SendTimeout = cmp.Or(o.SendTimeout, 30*time.Second)
	o.Settle = cmp.Or(o.Settle, 5*time.Second)
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Deliverer{o: o, log: log, wake: make(chan struct{}, 1), lanes: map[string]*lane{},
		claimed: map[int64]bool{}, unmarked: map[int64]string{}, noticed: map[string]bool{}, sent: map[int64]sentMark{}}
}

// Wake nudges Run to look at the outbox now (after new alerts were recorded).
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers alerts until ctx is done, then waits for the sends in
// flight and returns nil. ctx ends the scheduling of sends: no alert starts
// after it. In-flight sends, lookups and their outbox records run on send,
// a context that should outlive ctx by the shutdown grace period, so a post
// Slack is receiving is not cut off (it would be posted again after the
// restart). Outbox errors are logged and retried on the next pass.
func (d *Deliverer) Run(ctx, send context.Context) error {
	failed := 0 // passes in a row that could not read the outbox
	for ctx.Err() == nil {
		err := d.dispatch(ctx, send)
		d.logLaneErrors()
		wait, nextErr := d.untilNext(ctx)
		err = errors.Join(err, nextErr)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			// The outbox did not answer (its database is down): look again
			// soon, not after a PollInterval, so delivery resumes within
			// seconds of its return even when no new alert wakes us; and
			// say so once an outage, not every few seconds.
			level := slog.LevelDebug
			if failed == 0 {
				level = slog.LevelError
			}
			d.log.Log(ctx, level, "notifier: cannot read the outbox, retrying", "error", err)
			wait = min(wait, outboxRetry(failed))
			failed++
		case failed > 0:
			d.log.Info("notifier: outbox readable again", "failed_passes", failed)
			failed = 0
		}
		d.idle(ctx, wait)
	}
	d.lanesWG.Wait()
	d.logLaneErrors()
	return nil
}

// Drain delivers every alert due now, honouring pacing and rate limits, and
// then whatever becomes due (retries, follow-ups) before ctx's deadline; it
// returns when nothing more can be delivered in time. Without a deadline it
// only delivers what is due now. It returns an error when the outbox fails
// or ctx ends while due alerts were still being delivered.
func (d *Deliverer) Drain(ctx context.Context) error { return d.DrainSending(ctx, ctx) }

// DrainSending is Drain with sends in flight running on send, as in Run:
// ctx ending stops new sends but does not cut off those under way.
func (d *Deliverer) DrainSending(ctx, send context.Context) error {
	dl, hasLimit := ctx.Deadline()
	limit := d.o.Now().Add(time.Until(dl)) // in the injected clock's time
	for {
		err := d.dispatch(ctx, send)
		d.lanesWG.Wait()
		if err = errors.Join(append(d.takeErrs(), err)...); err != nil {
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

// dispatch reads the due alerts and queues those not yet claimed on their
// lanes, starting a lane's goroutine when it is idle.
func (d *Deliverer) dispatch(ctx, send context.Context) error {
	d.mu.Lock()
	claimed, marks := len(d.claimed), d.marks
	d.mu.Unlock()
	batch, err := d.o.Outbox.DueAlerts(ctx, d.o.Now(), d.o.BatchSize+claimed)
	if err != nil {
		return fmt.Errorf("notifier: due alerts: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	for _, a := range batch {
		if d.claimed[a.ID] {
			continue
		}
		if sm, ok := d.sent[a.ID]; ok && sm.created.Equal(a.Created) {
			if sm.mark < marks { // marked before this read: the outbox lost it
				errs = append(errs, fmt.Errorf("notifier: outbox returned alert %d as due again after it was marked sent", a.ID))
			}
			continue
		}
		d.claimed[a.ID] = true
		key := d.paceKey(a)
		l := d.lanes[key]
		if l == nil {
			l = &lane{key: key}
			d.lanes[key] = l
		}
		l.queue = append(l.queue, a)
		if !l.running {
			l.running = true
			d.lanesWG.Go(func() { d.runLane(ctx, send, l) })
		}
	}
	return errors.Join(errs...)
}

// runLane delivers l's queue in order until it is empty or ctx ends; then
// the queued alerts are released (they stay pending in the outbox).
func (d *Deliverer) runLane(ctx, send context.Context, l *lane) {
	for {
		a, wait, ok := d.nextInLane(ctx, l)
		if !ok {
			return
		}
		if wait > 0 && d.o.Sleep(ctx, wait) != nil {
			d.release(a.ID)
			continue // ctx is done: nextInLane ends the lane
		}
		if ctx.Err() != nil {
			d.release(a.ID)
			continue
		}
		err := d.deliver(send, ctx, l, a)
		d.release(a.ID)
		if err != nil {
			d.mu.Lock()
			d.errs = append(d.errs, err)
			d.mu.Unlock()
		}
		d.Wake() // its follow-ups may be due now
	}
}

// nextInLane pops l's next alert and says how long pacing makes it wait;
// ok is false when the lane has ended.
func (d *Deliverer) nextInLane(ctx context.Context, l *lane) (model.Alert, time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(l.queue) == 0 || ctx.Err() != nil {
		for _, a := range l.queue {
			delete(d.claimed, a.ID)
		}
		l.queue, l.running = nil, false
		return model.Alert{}, 0, false
	}
	a := l.queue[0]
	l.queue = l.queue[1:]
	free := l.nextFree
	if l.paused.After(free) {
		free = l.paused
	}
	return a, free.Sub(d.o.Now()), true
}

func (d *Deliverer) release(id int64) {
	d.mu.Lock()
	delete(d.claimed, id)
	d.mu.Unlock()
}

func (d *Deliverer) takeErrs() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	errs := d.errs
	d.errs = nil
	return errs
}

func (d *Deliverer) logLaneErrors() {
	for _, err := range d.takeErrs() {
		d.log.Error("notifier: delivery failed to update the outbox", "error", err)
	}
}

// untilNext is how long Run sleeps after a pass; an error means the
// outbox could not say.
func (d *Deliverer) untilNext(ctx context.Context) (time.Duration, error) {
	next, pending, err := d.nextDue(ctx)
	if err != nil {
		return d.o.PollInterval, fmt.Errorf("next due alert: %w", err)
	}
	if !pending {
		return d.o.PollInterval, nil
	}
	return min(max(next.Sub(d.o.Now()), minIdle), d.o.PollInterval), nil
}

// maxOutboxRetry caps the wait between passes while the outbox fails.
const maxOutboxRetry = 5 * time.Second

// outboxRetry is the wait after the failed-th failed pass in a row
// (from 0): minIdle, doubling up to maxOutboxRetry.
func outboxRetry(failed int) time.Duration {
	return min(minIdle<<min(failed, 8), maxOutboxRetry)
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
