package notifier

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/newswatch/newswatch/model"
)

// The Deliverer tests run under testing/synctest: lanes are goroutines, and
// the fake clock lets them sleep through pacing, backoff and rate limits
// at once and deterministically.

// newTestDeliverer wires a Deliverer to the test clock and returns its log.
func newTestDeliverer(ob Outbox, s Sender, c *fakeClock, mod func(*DelivererOptions)) (*Deliverer, *bytes.Buffer) {
	var logs bytes.Buffer
	o := DelivererOptions{
		Outbox: ob, Sender: s, Now: c.Now, Sleep: c.Sleep, IsNotFound: isNotFound,
		Logger:      slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BaseBackoff: time.Second, MaxBackoff: time.Minute, Settle: 10 * time.Millisecond,
	}
	if mod != nil {
		mod(&o)
	}
	return NewDeliverer(o), &logs
}

// syncWriter serialises writes from the lanes' goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// drain runs Drain with a deadline far enough for retries in fake time.
func drain(t *testing.T, d *Deliverer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 48*time.Hour)
	defer cancel()
	if err := d.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
}

func TestDeliverPacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := newFakeClock()
		ob := newFakeOutbox(testAlert(1, "#a"), testAlert(2, "#a"), testAlert(3, "#b"), testAlert(4, "#a"))
		s := &fakeSender{clock: c, threads: true}
		d, _ := newTestDeliverer(ob, s, c, nil)
		drain(t, d)

		got := s.sends()
		if len(got) != 4 {
			t.Fatalf("sent %d alerts, want 4", len(got))
		}
		var order []int64
		var last time.Time
		for _, sa := range got {
			switch sa.alert.Channel {
			case "#b":
				if !sa.at.Equal(start) {
					t.Errorf("#b's alert sent at +%v, want at once", sa.at.Sub(start))
				}
			case "#a":
				if !last.IsZero() && sa.at.Sub(last) < time.Second {
					t.Errorf("alert %d in #a sent %v after the previous one, want >= 1s", sa.alert.ID, sa.at.Sub(last))
				}
				last = sa.at
				order = append(order, sa.alert.ID)
			}
		}
		if fmt.Sprint(order) != "[1 2 4]" {
			t.Errorf("#a order = %v, want [1 2 4]", order)
		}
		if total := time.Since(start); total != 2*time.Second {
			t.Errorf("drain took %v of fake time, want 2s", total)
		}
	})
}

func TestDeliverStdoutNotPaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := newFakeClock()
		ob := newFakeOutbox(testAlert(1, "#a"), testAlert(2, "#a"), testAlert(3, "#a"))
		var out bytes.Buffer
		d, _ := newTestDeliverer(ob, NewStdout(&out), c, nil)
		drain(t, d)
		if n := strings.Count(out.String(), "▶ "); n != 3 {
			t.Errorf("printed %d alerts, want 3", n)
		}
		if time.Since(start) != 0 {
			t.Errorf("stdout delivery slept %v, want no pacing", time.Since(start))
		}
	})
}

func TestDeliverRetryThenSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		ob := newFakeOutbox(testAlert(1, "#a"))
		s := &fakeSender{clock: c, threads: true, script: []sendResult{{retry: true, err: errors.New("HTTP 503")}}}
		d, logs := newTestDeliverer(ob, s, c, nil)
		drain(t, d)

		if n := len(s.sends()); n != 2 {
			t.Fatalf("sent %d times, want 2 (one failure, one success)", n)
		}
		r := ob.get(1)
		if r.state != model.AlertSent || r.ts != "ts-1" || r.alert.Attempts != 1 {
			t.Errorf("row = %+v, want sent with ts-1 after 1 failed attempt", r)
		}
		if !strings.Contains(logs.String(), "will retry") || !strings.Contains(logs.String(), "alert_id=1") {
			t.Errorf("log lacks the retry line:\n%s", logs)
		}
	})
}

func TestDeliverBackoffBetweenRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		ob := newFakeOutbox(testAlert(1, "#a"))
		var script []sendResult
		for range 3 {
			script = append(script, sendResult{retry: true, err: errors.New("connection reset")})
		}
		s := &fakeSender{clock: c, threads: true, script: script}
		d, _ := newTestDeliverer(ob, s, c, func(o *DelivererOptions) {
			o.BaseBackoff, o.MaxBackoff = 2*time.Second, 5*time.Second
		})
		drain(t, d)

		sends := s.sends()
		if len(sends) != 4 || ob.get(1).state != model.AlertSent {
			t.Fatalf("sent %d times, state %s; want 4 and sent", len(sends), ob.get(1).state)
		}
		caps := []time.Duration{2 * time.Second, 4 * time.Second, 5 * time.Second}
		for i, want := range caps {
			gap := sends[i+1].at.Sub(sends[i].at)
			if gap < want/2 || gap > want {
				t.Errorf("retry %d after %v, want in [%v, %v]", i+1, gap, want/2, want)
			}
		}
	})
}

// TestDeliverGivesUpByAgeNotAttempts: transient failures fail an alert only
// once it is older than GiveUpAfter, however many attempts that takes.
func TestDeliverGivesUpByAgeNotAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := newFakeClock()
		ob := newFakeOutbox(testAlert(1, "#a")) // queued a minute ago
		script := make([]sendResult, 1000)
		for i := range script {
			script[i] = sendResult{retry: true, err: errors.New("HTTP 503")}
		}
		s := &fakeSender{clock: c, threads: true, script: script}
		d, logs := newTestDeliverer(ob, s, c, func(o *DelivererOptions) {
			o.GiveUpAfter, o.BaseBackoff, o.MaxBackoff = time.Hour, time.Second, 2*time.Minute
		})
		drain(t, d)

		r := ob.get(1)
		if r.state != model.AlertFailed || !strings.Contains(r.err, "gave up after 1h0m0s undelivered") {
			t.Fatalf("row = %s %q, want failed by age", r.state, r.err)
		}
		if n := len(s.sends()); n <= 10 {
			t.Errorf("gave up after %d attempts, want more than the old limit of 10 within the hour", n)
		}
		if age := time.Since(start) + time.Minute; age < time.Hour {
			t.Errorf("failed at age %v, before GiveUpAfter", age)
		}
		if !strings.Contains(logs.String(), "level=ERROR") {
			t.Errorf("no error log for the failed alert:\n%s", logs)
		}
	})
}

// TestDeliverRateLimitsAreNotAttempts: nine 429s and a 503 used to end in
// "gave up after 10 attempts"; being told to wait is not a failure.
func TestDeliverRateLimitsAreNotAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		ob := newFakeOutbox(testAlert(1, "#a"))
		var script []sendResult
		for range 9 {
			script = append(script, sendResult{retry: true, err: &RateLimitError{RetryAfter: 2 * time.Second}})
		}
		script = append(script, sendResult{retry: true, err: errors.New("HTTP 503")})
		s := &fakeSender{clock: c, threads: true, script: script}
		d, _ := newTestDeliverer(ob, s, c, nil)
		drain(t, d)

		r := ob.get(1)
		if r.state != model.AlertSent || r.alert.Attempts != 1 || r.postpones != 9 {
			t.Errorf("row = %s, %d attempts, %d postpones; want sent, 1 attempt (the 503), 9 postpones", r.state, r.alert.Attempts, r.postpones)
		}
		if n := len(s.sends()); n != 11 {
			t.Errorf("sent %d times, want 11", n)
		}
	})
}

func TestDeliverPermanentFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		ob := newFakeOutbox(testAlert(1, "#gone"), testAlert(2, "#ok"))
		perm := &SlackError{Channel: "#gone", Code: "channel_not_found", Permanent: true, Hint: "invite the bot with /invite @newswatch"}
		s := &scriptedByChannel{fakeSender: fakeSender{clock: c, threads: true}, fail: map[string]error{"#gone": perm}}
		d, logs := newTestDeliverer(ob, s, c, nil)
		drain(t, d)

		if n := len(s.sends()); n != 2 {
			t.Errorf("sent %d times, want 2 (no retry of the permanent failure)", n)
		}
		if r := ob.get(1); r.state != model.AlertFailed || !strings.Contains(r.err, "/invite @newswatch") {
			t.Errorf("row 1 = %+v, want failed with a hint", r)
		}
		if r := ob.get(2); r.state != model.AlertSent {
			t.Errorf("row 2 = %+v, want sent", r)
		}
		line := logs.String()
		for _, want := range []string{"level=ERROR", "alert_id=1", "channel=#gone", "channel_not_found", "/invite @newswatch"} {
			if !strings.Contains(line, want) {
				t.Errorf("log lacks %q:\n%s", want, line)
			}
		}
	})
}

// scriptedByChannel fails every send to the channels in fail (once each
// when once is set), and otherwise behaves as fakeSender.
type scriptedByChannel struct {
	fakeSender
	fail  map[string]error
	block map[string]time.Duration // sends to these channels take this long
}

func (s *scriptedByChannel) Send(ctx context.Context, a model.Alert) (string, bool, error) {
	if d, ok := s.block[a.Channel]; ok {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			s.fakeSender.record(a)
			return "", true, &SlackError{Channel: a.Channel, Code: "timeout", MaybePosted: true}
		}
	}
	s.mu.Lock()
	err, ok := s.fail[a.Channel]
	delete(s.fail, a.Channel)
	s.mu.Unlock()
	if ok {
		s.fakeSender.record(a)
		var rl *RateLimitError
		return "", errors.As(err, &rl), err
	}
	return s.fakeSender.Send(ctx, a)
}

// TestDeliverRateLimitHoldsOnlyItsChannel: a 429 in #a pauses #a, not #b.
func TestDeliverRateLimitHoldsOnlyItsChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := newFakeClock()
		ob := newFakeOutbox(testAlert(1, "#a"), testAlert(2, "#b"))
		s := &scriptedByChannel{fakeSender: fakeSender{clock: c, threads: true},
			fail: map[string]error{"#a": &RateLimitError{RetryAfter: 3 * time.Second}}}
		d, _ := newTestDeliverer(ob, s, c, nil)
		drain(t, d)

		for _, sa := range s.sends() {
			switch {
			case sa.alert.ID == 2 && !sa.at.Equal(start):
				t.Errorf("#b's alert sent at +%v, want at once: #a's rate limit must not hold it", sa.at.Sub(start))
			case sa.alert.ID == 1 && sa.at.After(start) && sa.at.Sub(start) < 3*time.Second:
				t.Errorf("rate-limited alert resent at +%v, want >= 3s", sa.at.Sub(start))
			}
		}
		if len(ob.retries) != 1 || !ob.retries[0].Equal(start.Add(3*time.Second)) {
			t.Errorf("postponed to %v, want [start+3s]", ob.retries)
		}
		for _, id := range []int64{1, 2} {
			if r := ob.get(id); r.state != model.AlertSent || r.alert.Attempts != 0 {
				t.Errorf("alert %d = %s after %d attempts, want sent with none counted", id, r.state, r.alert.Attempts)
			}
		}
	})
}

// TestDeliverSlowChannelDoesNotStallOthers: a hung Slack call for one
// channel (up to the 30s send timeout) holds back no other channel.
func TestDeliverSlowChannelDoesNotStallOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := newFakeClock()
		ob := newFakeOutbox(testAlert(1, "#slow"), testAlert(2, "#fast"), testAlert(3, "#fast"), testAlert(4, "#fast"))
		s := &scriptedByChannel{fakeSender: fakeSender{clock: c, threads: true}, block: map[string]time.Duration{"#slow": time.Hour}}
		d, _ := newTestDeliverer(ob, s, c, nil)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if err := d.Drain(ctx); err != nil {
			t.Fatal(err)
		}

		var fast []time.Duration
		for _, sa := range s.sends() {
			if sa.alert.Channel == "#fast" {
				fast = append(fast, sa.at.Sub(start))
			}
		}
		if fmt.Sprint(fast) != "[0s 1s 2s]" {
			t.Errorf("#fast sent at %v, want [0s 1s 2s] while #slow hangs", fast)
		}
		if r := ob.get(1); r.state != model.AlertPending {
			t.Errorf("timed-out alert = %s, want pending", r.state)
		}
	})
}

func TestDeliverRestartDeliversOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		parent := testAlert(1, "#a")
		follow := testAlert(2, "#a")
		follow.Kind, follow.ParentID = model.AlertFollowUp, 1
		retried := testAlert(3, "#b")
		retried.Attempts = 2
		ob := newFakeOutbox(parent, follow, retried) // as left by a crashed daemon

		s := &fakeSender{clock: c, threads: true}
		d, _ := newTestDeliverer(ob, s, c, nil)
		drain(t, d)
		// A second restart finds nothing left to send.
		d2, _ := newTestDeliverer(ob, s, c, nil)
		drain(t, d2)

		sends := s.sends()
		if len(sends) != 3 {
			t.Fatalf("sent %d alerts over two restarts, want 3", len(sends))
		}
		for _, sa := range sends {
			if sa.alert.ID == 2 && sa.alert.ThreadTS != "ts-1" {
				t.Errorf("follow-up ThreadTS = %q, want the parent's ts-1", sa.alert.ThreadTS)
			}
		}
	})
}

func TestDeliverFollowUpWithoutThreads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		follow := testAlert(2, "#a")
		follow.Kind, follow.ParentID = model.AlertFollowUp, 1
		ob := newFakeOutbox(testAlert(1, "#a"), follow)
		s := &fakeSender{clock: c, threads: false}
		d, _ := newTestDeliverer(ob, s, c, nil)
		drain(t, d)
		if sends := s.sends(); len(sends) != 1 || sends[0].alert.ID != 1 {
			t.Errorf("sends = %v, want only the parent", sends)
		}
		if r := ob.get(2); r.state != model.AlertSent {
			t.Errorf("follow-up = %s, want marked sent without posting", r.state)
		}
	})
}

// graceSender ends the run context while "posting", then takes a while to
// get Slack's answer; it fails if its own context was cancelled.
type graceSender struct {
	cancel context.CancelFunc
	mu     sync.Mutex
	posted []int64
}

func (s *graceSender) Threads() bool { return true }
func (s *graceSender) Send(ctx context.Context, a model.Alert) (string, bool, error) {
	s.cancel()
	time.Sleep(5 * time.Second)
	if ctx.Err() != nil {
		return "", true, &SlackError{Code: "timeout", MaybePosted: true}
	}
	s.mu.Lock()
	s.posted = append(s.posted, a.ID)
	s.mu.Unlock()
	return "ts-x", false, nil
}

// TestRunShutdownLetsTheSendInFlightFinish: SIGTERM (the run context
// ending) must not cut off a post Slack is receiving; it finishes on the
// send context and is recorded; nothing new starts.
func TestRunShutdownLetsTheSendInFlightFinish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		ob := newFakeOutbox(testAlert(1, "#a"), testAlert(2, "#a"), testAlert(3, "#b"))
		ctx, cancel := context.WithCancel(t.Context())
		s := &graceSender{cancel: cancel}
		d, _ := newTestDeliverer(ob, s, c, func(o *DelivererOptions) { o.PerChannelInterval = -1 })
		if err := d.Run(ctx, t.Context()); err != nil {
			t.Fatal(err)
		}
		if r := ob.get(1); r.state != model.AlertSent || r.ts != "ts-x" {
			t.Errorf("alert 1 = %+v, want sent: the post in flight finishes on its own context", r)
		}
		if r := ob.get(2); r.state != model.AlertPending || r.alert.Attempts != 0 || !r.alert.AttemptStarted.IsZero() {
			t.Errorf("alert 2 = %+v, want untouched", r)
		}
	})
}

func TestDrainStopsAtDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := newFakeClock()
		future := testAlert(1, "#a")
		future.Created = start.Add(2 * time.Hour) // next_attempt beyond the deadline
		ob := newFakeOutbox(future, testAlert(2, "#a"))
		s := &fakeSender{clock: c, threads: true}
		d, _ := newTestDeliverer(ob, s, c, nil)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if err := d.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		if sends := s.sends(); len(sends) != 1 || sends[0].alert.ID != 2 {
			t.Errorf("sends = %v, want only the due alert", sends)
		}
		if time.Since(start) > time.Minute {
			t.Errorf("Drain waited %v of fake time, past its 1m deadline", time.Since(start))
		}
	})
}

func TestDrainZeroTimeMeansNothingPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		ob := zeroNextDue{newFakeOutbox(testAlert(1, "#a"))}
		s := &fakeSender{clock: c, threads: true}
		d := NewDeliverer(DelivererOptions{Outbox: ob, Sender: s, Now: c.Now, Sleep: c.Sleep})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if err := d.Drain(ctx); err != nil {
			t.Fatalf("Drain: %v", err)
		}
		if len(s.sends()) != 1 {
			t.Errorf("sent %d, want 1", len(s.sends()))
		}
	})
}

// zeroNextDue reports "nothing pending" as a zero time and nil error.
type zeroNextDue struct{ *fakeOutbox }

func (z zeroNextDue) NextDue(ctx context.Context) (time.Time, error) {
	t, err := z.fakeOutbox.NextDue(ctx)
	if isNotFound(err) {
		return time.Time{}, nil
	}
	return t, err
}

func TestRunWakeAndStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		ob := newFakeOutbox()
		s := &fakeSender{clock: c, threads: true}
		d, _ := newTestDeliverer(ob, s, c, func(o *DelivererOptions) { o.PollInterval = time.Hour })
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx, ctx) }()
		synctest.Wait()

		start := time.Now()
		ob.add(testAlert(1, "#a"))
		d.Wake()
		synctest.Wait()
		if ob.get(1).state != model.AlertSent || time.Since(start) != 0 {
			t.Fatalf("alert %s after %v, want sent at once after Wake", ob.get(1).state, time.Since(start))
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil on shutdown", err)
		}
	})
}

// downOutbox is an outbox whose database is down while down is set:
// reads fail.
type downOutbox struct {
	*fakeOutbox
	mu   sync.Mutex
	down bool
}

var errDown = errors.New("outbox: database unreachable")

func (o *downOutbox) setDown(v bool) {
	o.mu.Lock()
	o.down = v
	o.mu.Unlock()
}

func (o *downOutbox) err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.down {
		return errDown
	}
	return nil
}

func (o *downOutbox) DueAlerts(ctx context.Context, now time.Time, limit int) ([]model.Alert, error) {
	if err := o.err(); err != nil {
		return nil, err
	}
	return o.fakeOutbox.DueAlerts(ctx, now, limit)
}

func (o *downOutbox) NextDue(ctx context.Context) (time.Time, error) {
	if err := o.err(); err != nil {
		return time.Time{}, err
	}
	return o.fakeOutbox.NextDue(ctx)
}

// TestRunResumesSoonAfterTheOutboxReturns: while the outbox's database is
// down, Run looks again every few seconds (not every PollInterval), so a
// pending alert goes out within seconds of the database's return even
// though no new alert wakes it; and it does not spin meanwhile.
func TestRunResumesSoonAfterTheOutboxReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		ob := &downOutbox{fakeOutbox: newFakeOutbox(testAlert(1, "#a")), down: true}
		s := &fakeSender{clock: c, threads: true}
		d, logs := newTestDeliverer(ob, s, c, func(o *DelivererOptions) { o.PollInterval = 30 * time.Second })
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx, ctx) }()
		time.Sleep(50 * time.Second) // the outage, not a multiple of PollInterval
		ob.setDown(false)
		back := time.Now()
		for ob.get(1).state != model.AlertSent && time.Since(back) < time.Minute {
			time.Sleep(100 * time.Millisecond)
		}
		if waited := time.Since(back); waited > maxOutboxRetry {
			t.Errorf("alert sent %v after the outbox returned, want within %v", waited, maxOutboxRetry)
		}
		c.mu.Lock()
		passes := len(c.sleeps)
		c.mu.Unlock()
		if passes > 20 {
			t.Errorf("%d passes in a 50 s outage, want a few (backing off to %v)", passes, maxOutboxRetry)
		}
		cancel()
		<-done
		// One error an outage, not one a pass; and one line when it ends.
		if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
			t.Errorf("%d error lines in one outage, want 1:\n%s", n, logs)
		}
		if n := strings.Count(logs.String(), "outbox readable again"); n != 1 {
			t.Errorf("%d recovery lines, want 1:\n%s", n, logs)
		}
	})
}

func TestOutboxRetryBounds(t *testing.T) {
	for failed, want := range map[int]time.Duration{0: time.Second, 1: 2 * time.Second, 2: 4 * time.Second, 3: maxOutboxRetry, 100: maxOutboxRetry} {
		if got := outboxRetry(failed); got != want {
			t.Errorf("outboxRetry(%d) = %v, want %v", failed, got, want)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	d := NewDeliverer(DelivererOptions{BaseBackoff: time.Second, MaxBackoff: time.Minute})
	for n, want := range map[int]time.Duration{0: time.Second, 1: 2 * time.Second, 3: 8 * time.Second, 10: time.Minute, 100: time.Minute} {
		for range 50 {
			if got := d.backoff(n); got < want/2 || got > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, got, want/2, want)
			}
		}
	}
}

// forgetfulOutbox loses MarkSent updates, as a broken store would.
type forgetfulOutbox struct{ *fakeOutbox }

func (forgetfulOutbox) MarkSent(context.Context, int64, string) error { return nil }

func TestDrainDoesNotSpinOnABrokenOutbox(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		ob := forgetfulOutbox{newFakeOutbox(testAlert(1, "#a"))}
		s := &fakeSender{clock: c, threads: true}
		d, _ := newTestDeliverer(ob, s, c, nil)
		ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
		defer cancel()
		err := d.Drain(ctx)
		if err == nil || !strings.Contains(err.Error(), "alert 1") {
			t.Errorf("Drain = %v, want an error naming the alert", err)
		}
		if n := len(s.sends()); n != 1 {
			t.Errorf("sent %d times, want 1", n)
		}
	})
}

func TestNewSlackPrefersToken(t *testing.T) {
	s, err := NewSlack(SlackOptions{Token: testToken, WebhookURL: "https://hooks.slack.com" + testWebhookPath})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Threads() || s.String() != "slack (bot token)" {
		t.Errorf("with both secrets: %v, threads %v; want bot-token mode", s, s.Threads())
	}
}

// flakyMarkOutbox fails the first MarkSent of each alert, as a busy or
// briefly unwritable store would.
type flakyMarkOutbox struct {
	*fakeOutbox
	failed map[int64]bool
}

func (o *flakyMarkOutbox) MarkSent(ctx context.Context, id int64, ts string) error {
	if !o.failed[id] {
		o.failed[id] = true
		return errors.New("database is locked")
	}
	return o.fakeOutbox.MarkSent(ctx, id, ts)
}

// TestDeliverMarkSentFailureNoRepost: an alert that was posted but could
// not be marked sent stays pending; the next pass must record it with the
// ts it got, not post it a second time.
func TestDeliverMarkSentFailureNoRepost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		ob := &flakyMarkOutbox{fakeOutbox: newFakeOutbox(testAlert(1, "#a")), failed: map[int64]bool{}}
		s := &fakeSender{clock: c, threads: true}
		d, _ := newTestDeliverer(ob, s, c, nil)
		if err := d.Drain(t.Context()); err == nil {
			t.Fatal("first Drain: want the MarkSent error")
		}
		drain(t, d)
		if n := len(s.sends()); n != 1 {
			t.Errorf("alert posted %d times, want once", n)
		}
		if r := ob.get(1); r.state != model.AlertSent || r.ts != "ts-1" {
			t.Errorf("alert 1 is %s with ts %q, want sent with ts-1", r.state, r.ts)
		}
	})
}

// findingSender is a fakeSender that can look alerts up.
type findingSender struct {
	fakeSender
	found map[int64]string // alert id -> ts of its earlier post
	finds []time.Time
}

func (s *findingSender) CanFind() bool { return true }

func (s *findingSender) Find(_ context.Context, a model.Alert, since time.Time) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.finds = append(s.finds, time.Now())
	ts, ok := s.found[a.ID]
	return ts, ok, nil
}

// TestInterruptedAttemptIsLookedUpAfterItSettles: an alert whose attempt
// was interrupted is looked up (not posted) once Slack had time to finish
// processing that post; found, it is marked sent with the found ts.
func TestInterruptedAttemptIsLookedUpAfterItSettles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := newFakeClock()
		a1, a2 := testAlert(1, "#a"), testAlert(2, "#b")
		a1.AttemptStarted, a2.AttemptStarted = start, start.Add(-time.Minute)
		ob := newFakeOutbox(a1, a2)
		s := &findingSender{fakeSender: fakeSender{clock: c, threads: true}, found: map[int64]string{1: "ts-earlier"}}
		adopted := 0
		d, _ := newTestDeliverer(ob, s, c, func(o *DelivererOptions) {
			o.Settle, o.Adopted = 5*time.Second, func() { adopted++ }
		})
		drain(t, d)

		if r := ob.get(1); r.state != model.AlertSent || r.ts != "ts-earlier" || adopted != 1 {
			t.Errorf("alert 1 = %s %q, %d adoptions; want adopted once with ts-earlier", r.state, r.ts, adopted)
		}
		if sends := s.sends(); len(sends) != 1 || sends[0].alert.ID != 2 {
			t.Errorf("sends = %v, want only alert 2 (not found, so posted)", sends)
		}
		if len(s.finds) != 2 {
			t.Fatalf("%d lookups, want 2", len(s.finds))
		}
		for _, at := range s.finds {
			if at.Sub(start) != 0 && at.Sub(start) != 5*time.Second {
				t.Errorf("lookup at +%v", at.Sub(start))
			}
		}
		if slowest := max(s.finds[0].Sub(start), s.finds[1].Sub(start)); slowest != 5*time.Second {
			t.Errorf("the fresh attempt was looked up at +%v, want after the 5s settle time", slowest)
		}
	})
}

// blindSender implements Finder but cannot look (a webhook).
type blindSender struct{ findingSender }

func (s *blindSender) CanFind() bool { return false }

// TestNoLookupWithoutHistory: a webhook cannot read its channel, so an
// interrupted alert is posted again at once (at least once), without the
// settle wait or a lookup.
func TestNoLookupWithoutHistory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		c := newFakeClock()
		a := testAlert(1, "#a")
		a.AttemptStarted = start
		ob := newFakeOutbox(a)
		s := &blindSender{findingSender{fakeSender: fakeSender{clock: c, threads: false}}}
		d, _ := newTestDeliverer(ob, s, c, func(o *DelivererOptions) { o.Settle = 5 * time.Second })
		drain(t, d)
		if sends := s.sends(); len(sends) != 1 || !sends[0].at.Equal(start) || len(s.finds) != 0 {
			t.Errorf("sends %v, %d lookups; want one post at once and no lookup", sends, len(s.finds))
		}
	})
}

// TestDeliverDigestPartsWithoutThreads: a sender without threads skips
// follow-ups but posts every digest part (a webhook posts them in order),
// and Delivered is told of each posted alert, not of a skipped follow-up.
func TestDeliverDigestPartsWithoutThreads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newFakeClock()
		d1 := testAlert(1, "webhook")
		d1.Kind, d1.Digest = model.AlertDigest, &model.Digest{Part: 1, Parts: 2}
		d2 := testAlert(2, "webhook")
		d2.Kind, d2.ParentID, d2.Digest = model.AlertDigestPart, 1, &model.Digest{Part: 2, Parts: 2}
		f := testAlert(3, "webhook")
		f.Kind, f.ParentID = model.AlertFollowUp, 1
		ob := newFakeOutbox(d1, d2, f)
		s := &fakeSender{clock: c, threads: false}
		var mu sync.Mutex
		var delivered []int64
		d, _ := newTestDeliverer(ob, s, c, func(o *DelivererOptions) {
			o.Delivered = func(a model.Alert) { mu.Lock(); delivered = append(delivered, a.ID); mu.Unlock() }
		})
		drain(t, d)
		var sent []int64
		for _, sa := range s.sends() {
			sent = append(sent, sa.alert.ID)
		}
		if fmt.Sprint(sent) != "[1 2]" {
			t.Errorf("sent %v, want both digest parts in order and no follow-up", sent)
		}
		mu.Lock()
		defer mu.Unlock()
		if fmt.Sprint(delivered) != "[1 2]" {
			t.Errorf("Delivered told of %v, want [1 2]", delivered)
		}
		for _, id := range []int64{1, 2, 3} {
			if r := ob.get(id); r.state != model.AlertSent {
				t.Errorf("alert %d is %v, want sent", id, r.state)
			}
		}
	})
}
