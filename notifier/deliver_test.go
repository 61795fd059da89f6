package notifier

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

// newTestDeliverer wires a Deliverer to a fake clock and returns its log.
func newTestDeliverer(ob Outbox, s Sender, c *fakeClock, mod func(*DelivererOptions)) (*Deliverer, *bytes.Buffer) {
	var logs bytes.Buffer
	o := DelivererOptions{
		Outbox: ob, Sender: s, Now: c.Now, Sleep: c.Sleep, IsNotFound: isNotFound,
		Logger:      slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BaseBackoff: time.Second, MaxBackoff: time.Minute,
	}
	if mod != nil {
		mod(&o)
	}
	return NewDeliverer(o), &logs
}

// drain runs Drain with a deadline far enough for retries in fake time.
func drain(t *testing.T, d *Deliverer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	if err := d.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
}

func TestDeliverPacing(t *testing.T) {
	c := newFakeClock()
	ob := newFakeOutbox(testAlert(1, "#a"), testAlert(2, "#a"), testAlert(3, "#b"), testAlert(4, "#a"))
	s := &fakeSender{clock: c, threads: true}
	d, _ := newTestDeliverer(ob, s, c, nil)
	drain(t, d)

	got := s.sends()
	if len(got) != 4 {
		t.Fatalf("sent %d alerts, want 4", len(got))
	}
	last := map[string]time.Time{}
	for _, sa := range got {
		if prev, ok := last[sa.alert.Channel]; ok && sa.at.Sub(prev) < time.Second {
			t.Errorf("alert %d in %s sent %v after the previous one, want >= 1s", sa.alert.ID, sa.alert.Channel, sa.at.Sub(prev))
		}
		last[sa.alert.Channel] = sa.at
	}
	if got[1].alert.ID != 3 || !got[1].at.Equal(t0) {
		t.Errorf("second send = alert %d at %v, want #b's alert 3 at once", got[1].alert.ID, got[1].at)
	}
	if ids := []int64{got[0].alert.ID, got[2].alert.ID, got[3].alert.ID}; ids[0] != 1 || ids[1] != 2 || ids[2] != 4 {
		t.Errorf("#a order = %v, want [1 2 4]", ids)
	}
	if total := c.Now().Sub(t0); total != 2*time.Second {
		t.Errorf("drain took %v of fake time, want 2s", total)
	}
}

func TestDeliverStdoutNotPaced(t *testing.T) {
	c := newFakeClock()
	ob := newFakeOutbox(testAlert(1, "#a"), testAlert(2, "#a"), testAlert(3, "#a"))
	var out bytes.Buffer
	d, _ := newTestDeliverer(ob, NewStdout(&out), c, nil)
	drain(t, d)
	if n := strings.Count(out.String(), "▶ "); n != 3 {
		t.Errorf("printed %d alerts, want 3", n)
	}
	if !c.Now().Equal(t0) {
		t.Errorf("stdout delivery slept %v, want no pacing", c.Now().Sub(t0))
	}
}

func TestDeliverRetryThenSuccess(t *testing.T) {
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
}

func TestDeliverBackoffAndGiveUp(t *testing.T) {
	c := newFakeClock()
	ob := newFakeOutbox(testAlert(1, "#a"))
	var script []sendResult
	for range 10 {
		script = append(script, sendResult{retry: true, err: errors.New("connection reset")})
	}
	s := &fakeSender{clock: c, threads: true, script: script}
	d, logs := newTestDeliverer(ob, s, c, func(o *DelivererOptions) {
		o.MaxAttempts, o.BaseBackoff, o.MaxBackoff = 4, 2*time.Second, 5*time.Second
	})
	drain(t, d)

	if n := len(s.sends()); n != 4 {
		t.Errorf("sent %d times, want MaxAttempts=4", n)
	}
	r := ob.get(1)
	if r.state != model.AlertFailed || !strings.Contains(r.err, "gave up after 4 attempts") {
		t.Errorf("row = %+v, want failed after 4 attempts", r)
	}
	sends := s.sends()
	caps := []time.Duration{2 * time.Second, 4 * time.Second, 5 * time.Second}
	for i, want := range caps {
		gap := sends[i+1].at.Sub(sends[i].at)
		if gap < want/2 || gap > want {
			t.Errorf("retry %d after %v, want in [%v, %v]", i+1, gap, want/2, want)
		}
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("no error log for the failed alert:\n%s", logs)
	}
}

func TestDeliverPermanentFailure(t *testing.T) {
	c := newFakeClock()
	ob := newFakeOutbox(testAlert(1, "#gone"), testAlert(2, "#ok"))
	perm := &SlackError{Channel: "#gone", Code: "channel_not_found", Permanent: true, Hint: "invite the bot with /invite @newswatch"}
	s := &fakeSender{clock: c, threads: true, script: []sendResult{{retry: false, err: perm}}}
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
}

func TestDeliverRateLimitPausesEverything(t *testing.T) {
	c := newFakeClock()
	ob := newFakeOutbox(testAlert(1, "#a"), testAlert(2, "#b"))
	s := &fakeSender{clock: c, threads: true, script: []sendResult{{retry: true, err: &RateLimitError{RetryAfter: 3 * time.Second}}}}
	d, _ := newTestDeliverer(ob, s, c, nil)
	drain(t, d)

	sends := s.sends()
	if len(sends) != 3 {
		t.Fatalf("sent %d times, want 3", len(sends))
	}
	if sends[1].alert.ID != 2 || sends[1].at.Sub(t0) < 3*time.Second {
		t.Errorf("alert in another channel sent %v after the 429, want >= 3s", sends[1].at.Sub(t0))
	}
	if sends[2].alert.ID != 1 || sends[2].at.Sub(t0) < 3*time.Second {
		t.Errorf("rate-limited alert resent at +%v, want >= 3s", sends[2].at.Sub(t0))
	}
	if len(ob.retries) != 1 || !ob.retries[0].Equal(t0.Add(3*time.Second)) {
		t.Errorf("MarkRetry times = %v, want [t0+3s]", ob.retries)
	}
	for _, id := range []int64{1, 2} {
		if r := ob.get(id); r.state != model.AlertSent {
			t.Errorf("alert %d = %s, want sent", id, r.state)
		}
	}
}

func TestDeliverRestartDeliversOnce(t *testing.T) {
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
}

func TestDeliverFollowUpWithoutThreads(t *testing.T) {
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
}

// cancelSender cancels the delivery context while "posting", then succeeds.
type cancelSender struct{ cancel context.CancelFunc }

func (s cancelSender) Threads() bool { return true }
func (s cancelSender) Send(context.Context, model.Alert) (string, bool, error) {
	s.cancel()
	return "ts-x", false, nil
}

func TestDeliverShutdownMidSendStillMarksSent(t *testing.T) {
	c := newFakeClock()
	ob := newFakeOutbox(testAlert(1, "#a"), testAlert(2, "#a"))
	ctx, cancel := context.WithCancel(t.Context())
	d, _ := newTestDeliverer(ob, cancelSender{cancel}, c, nil)
	_ = d.Drain(ctx)
	if r := ob.get(1); r.state != model.AlertSent || r.ts != "ts-x" {
		t.Errorf("alert 1 = %+v, want sent although ctx ended after posting", r)
	}
	if r := ob.get(2); r.state != model.AlertPending || r.alert.Attempts != 0 {
		t.Errorf("alert 2 = %+v, want untouched", r)
	}
}

func TestDrainStopsAtDeadline(t *testing.T) {
	c := newFakeClock()
	future := testAlert(1, "#a")
	future.Created = t0.Add(2 * time.Hour) // next_attempt beyond the deadline
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
	if c.Now().Sub(t0) > time.Minute {
		t.Errorf("Drain waited %v of fake time, past its 1m deadline", c.Now().Sub(t0))
	}
}

func TestDrainZeroTimeMeansNothingPending(t *testing.T) {
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
	c := newFakeClock()
	ob := newFakeOutbox()
	s := &fakeSender{clock: c, threads: true}
	d, _ := newTestDeliverer(ob, s, c, func(o *DelivererOptions) {
		o.PollInterval = time.Hour
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			if d < time.Hour {
				return c.Sleep(ctx, d)
			}
			<-ctx.Done() // idle: only Wake or shutdown ends it
			return ctx.Err()
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	ob.add(testAlert(1, "#a"))
	d.Wake()
	deadline := time.Now().Add(5 * time.Second)
	for ob.get(1).state != model.AlertSent {
		if time.Now().After(deadline) {
			t.Fatal("alert not delivered after Wake")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil on shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
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
	c := newFakeClock()
	ob := forgetfulOutbox{newFakeOutbox(testAlert(1, "#a"))}
	s := &fakeSender{clock: c, threads: true}
	d, _ := newTestDeliverer(ob, s, c, nil)
	err := d.Drain(t.Context())
	if err == nil || !strings.Contains(err.Error(), "alert 1") {
		t.Errorf("Drain = %v, want an error naming the alert", err)
	}
	if n := len(s.sends()); n != 1 {
		t.Errorf("sent %d times, want 1", n)
	}
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
}
