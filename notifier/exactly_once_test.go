package notifier

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

// drainFor is drain with a real-time deadline, for the tests against the
// fake Slack.
func drainFor(t *testing.T, d *Deliverer, limit time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	if err := d.Drain(ctx); err != nil {
		t.Fatalf("Drain: %v", err)
	}
}

// fast retries for the tests against the fake Slack (real time).
func fastRetry(o *DelivererOptions) {
	o.BaseBackoff, o.MaxBackoff, o.PerChannelInterval = 20*time.Millisecond, 50*time.Millisecond, 10*time.Millisecond
}

func TestSlackPostCarriesItsOutboxID(t *testing.T) {
	f := newFakeSlack(t, nil)
	if _, _, err := f.botSlack(t).Send(t.Context(), testAlert(42, "#news")); err != nil {
		t.Fatal(err)
	}
	posts, _ := f.requests()
	var md struct {
		EventType    string            `json:"event_type"`
		EventPayload map[string]string `json:"event_payload"`
	}
	if err := json.Unmarshal([]byte(posts[0].Get("metadata")), &md); err != nil {
		t.Fatalf("metadata %q: %v", posts[0].Get("metadata"), err)
	}
	if md.EventType != "newswatch_alert" || md.EventPayload["alert_id"] != "42" || md.EventPayload["state"] != testStateID {
		t.Errorf("metadata = %+v, want newswatch_alert with alert_id 42 and the state id", md)
	}
}

// TestResetAfterAcceptIsNotRepeated: Slack took the post, then the
// connection dropped before it answered. The retry finds the message by
// its metadata and adopts it instead of posting a second copy.
func TestResetAfterAcceptIsNotRepeated(t *testing.T) {
	c := newFakeClock()
	f := newFakeSlack(t, c, reply{hangup: true})
	f.liveTS = true
	ob := newFakeOutbox(testAlert(1, "C0NEWS123"))
	d, logs := newTestDeliverer(ob, f.botSlack(t), c, fastRetry)
	drainFor(t, d, 10*time.Second)

	if n := f.messages()["1"]; n != 1 {
		t.Errorf("alert 1 is %d times in the channel, want once", n)
	}
	if posts, _ := f.requests(); len(posts) != 1 {
		t.Errorf("%d posts, want 1", len(posts))
	}
	r := ob.get(1)
	if r.state != model.AlertSent || r.ts != f.msgs[0].ts {
		t.Errorf("row = %s ts %q, want sent with the adopted message's ts %q", r.state, r.ts, f.msgs[0].ts)
	}
	if !strings.Contains(logs.String(), "earlier post found in Slack") {
		t.Errorf("no adoption in the log:\n%s", logs)
	}
}

// TestCrashAfterAcceptIsAdoptedAfterRestart: the daemon died with the
// attempt mark set (Slack had the post); a new process looks it up by
// channel name, through the id learnt from an earlier post.
func TestCrashAfterAcceptIsAdoptedAfterRestart(t *testing.T) {
	c := newFakeClock()
	f := newFakeSlack(t, c)
	f.liveTS = true
	memo := &mapMemo{m: map[string]string{}}
	s1, _ := NewSlack(SlackOptions{Token: testToken, APIURL: f.srv.URL + "/api/", StateID: testStateID, Memo: memo})
	if _, _, err := s1.Send(t.Context(), testAlert(1, "#news")); err != nil { // teaches #news -> C123
		t.Fatal(err)
	}
	crashed := testAlert(2, "#news")
	if _, _, err := s1.Send(t.Context(), crashed); err != nil { // "accepted, then the process died"
		t.Fatal(err)
	}
	crashed.AttemptStarted = time.Now().Add(-time.Second)
	other := testAlert(3, "#news") // never reached Slack, but its mark was set
	other.AttemptStarted = time.Now().Add(-time.Second)
	ob := newFakeOutbox(crashed, other)

	s2, _ := NewSlack(SlackOptions{Token: testToken, APIURL: f.srv.URL + "/api/", StateID: testStateID, Memo: memo})
	d, _ := newTestDeliverer(ob, s2, c, fastRetry)
	drainFor(t, d, 10*time.Second)

	got := f.messages()
	if got["2"] != 1 || got["3"] != 1 {
		t.Errorf("messages per alert = %v, want alerts 2 and 3 once each", got)
	}
	if r := ob.get(2); r.state != model.AlertSent || r.ts == "" {
		t.Errorf("alert 2 = %s %q, want sent with the adopted ts", r.state, r.ts)
	}
}

// TestLookupIgnoresAnotherStatesMessages: outbox ids restart with a new
// state file; a message of the same id from another state is not ours.
func TestLookupIgnoresAnotherStatesMessages(t *testing.T) {
	f := newFakeSlack(t, nil)
	f.liveTS = true
	other, _ := NewSlack(SlackOptions{Token: testToken, APIURL: f.srv.URL + "/api/", StateID: "another-state"})
	if _, _, err := other.Send(t.Context(), testAlert(1, "C0NEWS123")); err != nil {
		t.Fatal(err)
	}
	a := testAlert(1, "C0NEWS123")
	if _, found, err := f.botSlack(t).Find(t.Context(), a, time.Now().Add(-time.Second)); err != nil || found {
		t.Errorf("Find = found %v, %v; want not found", found, err)
	}
}

// TestThreadReplyLookedUpInItsThread: a follow-up's earlier post is looked
// for with conversations.replies of its parent.
func TestThreadReplyLookedUpInItsThread(t *testing.T) {
	c := newFakeClock()
	f := newFakeSlack(t, c)
	f.liveTS = true
	s := f.botSlack(t)
	parent := testAlert(1, "C0NEWS123")
	pts, _, err := s.Send(t.Context(), parent)
	if err != nil {
		t.Fatal(err)
	}
	follow := testAlert(2, "C0NEWS123")
	follow.Kind, follow.ParentID, follow.ThreadTS = model.AlertFollowUp, 1, pts
	if _, _, err := s.Send(t.Context(), follow); err != nil {
		t.Fatal(err)
	}
	follow.AttemptStarted, follow.ThreadTS = time.Now().Add(-time.Second), ""
	ob := newFakeOutbox(parent, follow)
	ob.rows[1].state, ob.rows[1].ts = model.AlertSent, pts
	d, _ := newTestDeliverer(ob, s, c, fastRetry)
	drainFor(t, d, 10*time.Second)
	if n := f.messages()["2"]; n != 1 {
		t.Errorf("follow-up is %d times in the thread, want once", n)
	}
	f.mu.Lock()
	lastLookup := f.lookups
	f.mu.Unlock()
	if lastLookup != 1 {
		t.Errorf("%d lookups, want 1 (conversations.replies)", lastLookup)
	}
}

// TestMissingHistoryScopeFallsBackToAtLeastOnce: without channels:history
// the lookup cannot be made; newswatch says so once (log and notice) and
// posts again.
func TestMissingHistoryScopeFallsBackToAtLeastOnce(t *testing.T) {
	c := newFakeClock()
	f := newFakeSlack(t, c)
	f.historyErr = "missing_scope"
	a1, a2 := testAlert(1, "C0NEWS123"), testAlert(2, "C0NEWS123")
	a1.AttemptStarted, a2.AttemptStarted = time.Now(), time.Now()
	ob := newFakeOutbox(a1, a2)
	var mu sync.Mutex
	var notices []string
	d, logs := newTestDeliverer(ob, f.botSlack(t), c, func(o *DelivererOptions) {
		fastRetry(o)
		o.Notice = func(key, msg string) { mu.Lock(); notices = append(notices, key+": "+msg); mu.Unlock() }
	})
	drainFor(t, d, 10*time.Second)
	for _, id := range []int64{1, 2} {
		if r := ob.get(id); r.state != model.AlertSent {
			t.Errorf("alert %d = %s, want sent (at least once)", id, r.state)
		}
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "channels:history") || !strings.HasPrefix(notices[0], "no_history") {
		t.Errorf("notices = %q, want one no_history notice naming the scopes", notices)
	}
	if n := strings.Count(logs.String(), "channels:history"); n != 1 {
		t.Errorf("the missing scope is logged %d times, want once:\n%s", n, logs)
	}
}

// TestAttemptMarkedBeforeThePost: the outbox knows a post may be in Slack
// before the request goes out, and a definite refusal clears the mark.
func TestAttemptMarkedBeforeThePost(t *testing.T) {
	c := newFakeClock()
	f := newFakeSlack(t, c, reply{status: 200, body: `{"ok":false,"error":"fatal_error"}`})
	ob := newFakeOutbox(testAlert(1, "C0NEWS123"))
	var marked []bool
	spy := &spySender{Slack: f.botSlack(t), before: func() { marked = append(marked, !ob.get(1).alert.AttemptStarted.IsZero()) }}
	d, _ := newTestDeliverer(ob, spy, c, fastRetry)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	d.Drain(ctx) // the first post only: Slack refuses it
	if len(marked) == 0 || !marked[0] {
		t.Fatalf("attempt mark at send time = %v, want set", marked)
	}
	if r := ob.get(1); r.state != model.AlertPending || !r.alert.AttemptStarted.IsZero() {
		t.Errorf("after a definite refusal: %s, mark %v; want pending with the mark cleared", r.state, r.alert.AttemptStarted)
	}
}

type spySender struct {
	*Slack
	before func()
}

func (s *spySender) Send(ctx context.Context, a model.Alert) (string, bool, error) {
	s.before()
	return s.Slack.Send(ctx, a)
}

type mapMemo struct {
	mu sync.Mutex
	m  map[string]string
}

func (m *mapMemo) Note(_ context.Context, k string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[k]
	if !ok {
		return "", errNotFound
	}
	return v, nil
}

func (m *mapMemo) SetNote(_ context.Context, k, v string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.m[k] = v
	return nil
}

// TestChannelNameResolvedForLookup: a post cut off before newswatch learnt
// the channel's id is still looked up: conversations.list gives the id.
func TestChannelNameResolvedForLookup(t *testing.T) {
	f := newFakeSlack(t, nil)
	f.liveTS = true
	a := testAlert(7, "#news")
	if _, _, err := f.botSlack(t).Send(t.Context(), a); err != nil { // Slack has it; the answer was lost
		t.Fatal(err)
	}
	fresh := f.botSlack(t) // a restarted process: no learnt ids, no memo
	ts, found, err := fresh.Find(t.Context(), a, time.Now().Add(-time.Second))
	if err != nil || !found || ts != f.msgs[0].ts {
		t.Errorf("Find = %q %v %v, want the message found through the listed id", ts, found, err)
	}
}
