package notifier

import (
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

// End-to-end: Deliverer + Slack notifier + fake Slack Web API / webhook.

func TestSlackDelivery5xxThenSuccess(t *testing.T) {
	c := newFakeClock()
	f := newFakeSlack(t, c, reply{status: 503, body: "<html>unavailable</html>"})
	ob := newFakeOutbox(testAlert(1, "#news"))
	d, logs := newTestDeliverer(ob, f.botSlack(t), c, nil)
	drain(t, d)

	posts, _ := f.requests()
	if len(posts) != 2 {
		t.Fatalf("%d posts, want 2 (503, then success)", len(posts))
	}
	if r := ob.get(1); r.state != model.AlertSent || r.ts != "1700000000.000001" || r.alert.Attempts != 1 {
		t.Errorf("row = %+v, want sent once with Slack's ts", r)
	}
	if gap := f.times[1].Sub(f.times[0]); gap < 500*time.Millisecond {
		t.Errorf("retried after %v, want a backoff", gap)
	}
	assertNoSecrets(t, "log", logs.String())
}

func TestSlackDeliveryPermanentFailure(t *testing.T) {
	c := newFakeClock()
	f := newFakeSlack(t, c, reply{status: 200, body: `{"ok":false,"error":"not_in_channel"}`})
	ob := newFakeOutbox(testAlert(1, "#private"))
	d, logs := newTestDeliverer(ob, f.botSlack(t), c, nil)
	drain(t, d)

	if posts, _ := f.requests(); len(posts) != 1 {
		t.Errorf("%d posts, want 1 (no retry)", len(posts))
	}
	r := ob.get(1)
	if r.state != model.AlertFailed || !strings.Contains(r.err, "/invite @newswatch") {
		t.Errorf("row = %+v, want failed with what to do", r)
	}
	for _, want := range []string{"level=ERROR", "alert_id=1", "channel=#private", "not_in_channel", "/invite @newswatch"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	assertNoSecrets(t, "log", logs.String())
}

func TestSlackDeliveryRateLimit(t *testing.T) {
	c := newFakeClock()
	f := newFakeSlack(t, c, reply{status: 429, retryAfter: "1.5"})
	ob := newFakeOutbox(testAlert(1, "#news"), testAlert(2, "#news"))
	d, _ := newTestDeliverer(ob, f.botSlack(t), c, nil)
	drain(t, d)

	posts, _ := f.requests()
	if len(posts) != 3 {
		t.Fatalf("%d posts, want 3 (429, then both alerts)", len(posts))
	}
	for i := 1; i < 3; i++ {
		if gap := f.times[i].Sub(f.times[0]); gap < 1500*time.Millisecond {
			t.Errorf("post %d came %v after the 429, want >= 1.5s", i+1, gap)
		}
	}
	for _, id := range []int64{1, 2} {
		if r := ob.get(id); r.state != model.AlertSent || r.alert.Attempts != 0 {
			t.Errorf("alert %d = %s after %d attempts, want sent, the 429 not counted", id, r.state, r.alert.Attempts)
		}
	}
}

func TestSlackDeliveryRestartThreadsFollowUp(t *testing.T) {
	c := newFakeClock()
	f := newFakeSlack(t, c)
	parent := testAlert(1, "#news")
	follow := testAlert(2, "#news")
	follow.Kind, follow.ParentID = model.AlertFollowUp, 1
	follow.Article.Source, follow.Article.Title = "bbc-world", "Copy of the story"
	ob := newFakeOutbox(parent, follow) // pending when the daemon stopped

	d, _ := newTestDeliverer(ob, f.botSlack(t), c, nil)
	drain(t, d)
	d2, _ := newTestDeliverer(ob, f.botSlack(t), c, nil) // another restart
	drain(t, d2)

	posts, _ := f.requests()
	if len(posts) != 2 {
		t.Fatalf("%d posts, want 2 (each alert once)", len(posts))
	}
	if posts[0].Has("thread_ts") {
		t.Error("parent posted in a thread")
	}
	if got := posts[1].Get("thread_ts"); got != "1700000000.000001" {
		t.Errorf("follow-up thread_ts = %q, want the parent's ts", got)
	}
	if got := posts[1].Get("text"); got != "Also reported by bbc-world: Copy of the story" {
		t.Errorf("follow-up text = %q", got)
	}
	if gap := f.times[1].Sub(f.times[0]); gap < time.Second {
		t.Errorf("two posts to #news %v apart, want >= 1s", gap)
	}
}

func TestWebhookDeliveryRedactsLogs(t *testing.T) {
	c := newFakeClock()
	f := newFakeSlack(t, c)
	s := f.webhookSlack(t)
	f.srv.Close() // every post fails at the network level, with the URL in slack-go's error
	a := testAlert(1, "#news")
	a.Created = time.Now().Add(-time.Hour + 1500*time.Millisecond) // fails by age in a second or two
	ob := newFakeOutbox(a)
	d, logs := newTestDeliverer(ob, s, c, func(o *DelivererOptions) { o.GiveUpAfter = time.Hour })
	drain(t, d)

	r := ob.get(1)
	if r.state != model.AlertFailed {
		t.Errorf("row = %+v, want failed after GiveUpAfter", r)
	}
	assertNoSecrets(t, "log", logs.String())
	assertNoSecrets(t, "stored error", r.err)
	if !strings.Contains(logs.String(), "will retry") {
		t.Errorf("log lacks the retry line:\n%s", logs)
	}
}
