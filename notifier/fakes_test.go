package notifier

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/newswatch/newswatch/model"
)

var errNotFound = errors.New("fake outbox: not found")

// fakeOutbox is an in-memory outbox with the store's semantics: follow-ups
// are due only once their parent is sent (ThreadTS = parent's ts) or failed
// (ThreadTS "").
type fakeOutbox struct {
	mu   sync.Mutex
	rows map[int64]*outboxRow
	// retries records every MarkRetry's next time.
	retries []time.Time
}

type outboxRow struct {
	alert     model.Alert
	state     model.AlertState
	next      time.Time
	ts        string
	err       string
	postpones int
}

func newFakeOutbox(alerts ...model.Alert) *fakeOutbox {
	o := &fakeOutbox{rows: map[int64]*outboxRow{}}
	o.add(alerts...)
	return o
}

func (o *fakeOutbox) add(alerts ...model.Alert) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, a := range alerts {
		o.rows[a.ID] = &outboxRow{alert: a, state: model.AlertPending, next: a.Created}
	}
}

func (o *fakeOutbox) DueAlerts(_ context.Context, now time.Time, limit int) ([]model.Alert, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []model.Alert
	for _, id := range o.ids() {
		r := o.rows[id]
		if r.state != model.AlertPending || r.next.After(now) || len(out) >= limit {
			continue
		}
		a := r.alert
		if a.Kind == model.AlertFollowUp {
			p := o.rows[a.ParentID]
			if p == nil || p.state == model.AlertPending {
				continue
			}
			a.ThreadTS = p.ts
		}
		out = append(out, a)
	}
	return out, nil
}

func (o *fakeOutbox) ids() []int64 {
	var ids []int64
	for id := range o.rows {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (o *fakeOutbox) row(id int64) (*outboxRow, error) {
	r, ok := o.rows[id]
	if !ok || r.state != model.AlertPending {
		return nil, errNotFound
	}
	return r, nil
}

func (o *fakeOutbox) MarkSent(_ context.Context, id int64, ts string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, err := o.row(id)
	if err != nil {
		return err
	}
	r.state, r.ts = model.AlertSent, ts
	return nil
}

func (o *fakeOutbox) MarkRetry(_ context.Context, id int64, next time.Time, msg string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, err := o.row(id)
	if err != nil {
		return err
	}
	r.alert.Attempts++
	r.next, r.err = next, msg
	o.retries = append(o.retries, next)
	return nil
}

func (o *fakeOutbox) Postpone(_ context.Context, id int64, next time.Time, msg string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, err := o.row(id)
	if err != nil {
		return err
	}
	r.next, r.err, r.alert.AttemptStarted = next, msg, time.Time{}
	r.postpones++
	o.retries = append(o.retries, next)
	return nil
}

func (o *fakeOutbox) MarkAttempt(_ context.Context, id int64, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, err := o.row(id)
	if err != nil {
		return err
	}
	r.alert.AttemptStarted = at
	return nil
}

func (o *fakeOutbox) MarkFailed(_ context.Context, id int64, msg string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r, err := o.row(id)
	if err != nil {
		return err
	}
	r.alert.Attempts++
	r.state, r.err = model.AlertFailed, msg
	return nil
}

func (o *fakeOutbox) NextDue(context.Context) (time.Time, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var next time.Time
	for _, r := range o.rows {
		if r.state == model.AlertPending && (next.IsZero() || r.next.Before(next)) {
			next = r.next
		}
	}
	if next.IsZero() {
		return time.Time{}, errNotFound
	}
	return next, nil
}

// get returns a copy of an outbox row.
func (o *fakeOutbox) get(id int64) outboxRow {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.rows[id]
}

func isNotFound(err error) bool { return errors.Is(err, errNotFound) }

// fakeClock is the clock of the tests: time.Now and a real timer, which
// under testing/synctest (the Deliverer tests) are fake and instant, and
// outside it (tests against httptest servers) real. It records the sleeps.
type fakeClock struct {
	mu     sync.Mutex
	sleeps []time.Duration
}

// t0 is the formatting tests' epoch (the published times in the goldens).
var t0 = time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)

func newFakeClock() *fakeClock { return &fakeClock{} }

func (c *fakeClock) Now() time.Time { return time.Now() }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	return sleepCtx(ctx, d)
}

// fakeSender records sends and answers from a script (then succeeds).
type fakeSender struct {
	mu      sync.Mutex
	clock   *fakeClock
	threads bool
	script  []sendResult
	sent    []sentAlert
}

type sendResult struct {
	retry bool
	err   error
}

type sentAlert struct {
	alert model.Alert
	at    time.Time
}

func (s *fakeSender) Threads() bool { return s.threads }

func (s *fakeSender) Send(ctx context.Context, a model.Alert) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, sentAlert{alert: a, at: s.clock.Now()})
	if len(s.script) > 0 {
		r := s.script[0]
		s.script = s.script[1:]
		if r.err != nil {
			return "", r.retry, r.err
		}
	}
	return "ts-" + strconv.FormatInt(a.ID, 10), false, nil
}

// record notes a send attempt without answering it.
func (s *fakeSender) record(a model.Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, sentAlert{alert: a, at: s.clock.Now()})
}

func (s *fakeSender) sends() []sentAlert {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent)
}

// alert returns a pending new alert for tests.
func testAlert(id int64, channel string) model.Alert {
	return model.Alert{
		ID: id, Kind: model.AlertNew, Channel: channel, StoryID: id, Rules: []string{"witkoff-moscow"},
		Article: model.Article{
			Source: "guardian-world", Link: "https://example.com/a/" + strconv.FormatInt(id, 10),
			Title: "Witkoff meets Putin in the Kremlin", Body: "Steve Witkoff met Vladimir Putin on Tuesday.",
			Published: t0.Add(-time.Hour),
		},
		Created: time.Now().Add(-time.Minute),
	}
}
