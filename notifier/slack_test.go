package notifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

const (
	testStateID     = "0123456789abcdef0123456789abcdef"
	testToken       = "xoxb-1111-2222-SECRETTOKENVALUE"
	testWebhookPath = "/services/T0000/B0000/WEBHOOKSECRET123"
)

// reply is one scripted HTTP answer of the fake Slack.
type reply struct {
	status     int
	retryAfter string
	body       string
	// hangup: accept the post (it is in the channel), then drop the
	// connection without answering, as a reset after accept does.
	hangup bool
}

// slackMsg is a message the fake Slack holds, for conversations.history.
type slackMsg struct {
	channel, ts, threadTS string
	metadata              map[string]any // as posted; nil without
}

// fakeSlack is a Slack Web API (chat.postMessage) and incoming webhook on
// httptest. It records requests and answers from a script, then succeeds.
type fakeSlack struct {
	mu      sync.Mutex
	srv     *httptest.Server
	clock   *fakeClock
	script  []reply
	posts   []url.Values // chat.postMessage forms
	hooks   []map[string]any
	times   []time.Time
	tsCount int
	// liveTS makes message ts real Unix times (conversations.history's
	// oldest filter compares them with the attempt time).
	liveTS bool
	msgs   []slackMsg
	// historyErr, if set, is the error code of every history call.
	historyErr string
	lookups    int
}

func newFakeSlack(t *testing.T, c *fakeClock, script ...reply) *fakeSlack {
	f := &fakeSlack{clock: c, script: script}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", f.postMessage)
	mux.HandleFunc("POST /api/conversations.history", f.history)
	mux.HandleFunc("POST /api/conversations.replies", f.history)
	mux.HandleFunc("POST /api/conversations.list", f.list)
	mux.HandleFunc("POST "+testWebhookPath, f.webhook)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) next(w http.ResponseWriter) bool {
	if f.clock != nil {
		f.times = append(f.times, f.clock.Now())
	}
	if len(f.script) == 0 {
		return false
	}
	r := f.script[0]
	if r.hangup {
		return false // postMessage stores the message first
	}
	f.script = f.script[1:]
	if r.retryAfter != "" {
		w.Header().Set("Retry-After", r.retryAfter)
	}
	if strings.HasPrefix(r.body, "{") {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(r.status)
	io.WriteString(w, r.body)
	return true
}

func (f *fakeSlack) postMessage(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts = append(f.posts, r.PostForm)
	if f.next(w) {
		return
	}
	f.tsCount++
	ts := fmt.Sprintf("1700000000.%06d", f.tsCount)
	if f.liveTS {
		ts = fmt.Sprintf("%d.%06d", time.Now().Unix(), f.tsCount)
	}
	ch := r.PostForm.Get("channel")
	if !strings.HasPrefix(ch, "C") {
		ch = "C123" // a name: Slack answers with the channel's id
	}
	m := slackMsg{channel: ch, ts: ts, threadTS: r.PostForm.Get("thread_ts")}
	if md := r.PostForm.Get("metadata"); md != "" {
		var parsed struct {
			EventPayload map[string]any `json:"event_payload"`
			EventType    string         `json:"event_type"`
		}
		json.Unmarshal([]byte(md), &parsed)
		m.metadata = map[string]any{"event_type": parsed.EventType, "event_payload": parsed.EventPayload}
	}
	f.msgs = append(f.msgs, m)
	if len(f.script) > 0 && f.script[0].hangup {
		f.script = f.script[1:]
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, ch, ts)
}

// history implements conversations.history and conversations.replies as
// Slack documents them: messages after oldest (exclusive), newest first,
// limit per page with a cursor, metadata only with include_all_metadata;
// replies are a thread's parent and its replies.
func (f *fakeSlack) history(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	w.Header().Set("Content-Type", "application/json")
	if f.historyErr != "" {
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, f.historyErr)
		return
	}
	thread := ""
	if strings.HasSuffix(r.URL.Path, "conversations.replies") {
		thread = r.PostForm.Get("ts")
	}
	oldest, _ := strconv.ParseFloat(r.PostForm.Get("oldest"), 64)
	var out []map[string]any
	for i := len(f.msgs) - 1; i >= 0; i-- {
		m := f.msgs[i]
		ts, _ := strconv.ParseFloat(m.ts, 64)
		inThread := m.ts == thread || m.threadTS == thread
		if m.channel != r.PostForm.Get("channel") || ts <= oldest || (thread != "" && !inThread) || (thread == "" && m.threadTS != "") {
			continue
		}
		msg := map[string]any{"type": "message", "ts": m.ts}
		if m.metadata != nil && r.PostForm.Get("include_all_metadata") == "1" {
			msg["metadata"] = m.metadata
		}
		out = append(out, msg)
	}
	limit, _ := strconv.Atoi(r.PostForm.Get("limit"))
	start, _ := strconv.Atoi(r.PostForm.Get("cursor"))
	end := min(start+max(limit, 1), len(out))
	page := out[min(start, len(out)):end]
	resp := map[string]any{"ok": true, "messages": page, "has_more": end < len(out)}
	if end < len(out) {
		resp["response_metadata"] = map[string]any{"next_cursor": strconv.Itoa(end)}
	}
	json.NewEncoder(w).Encode(resp)
}

// list implements conversations.list: every channel a post went to by
// name is "news" with id C123, plus a page of other channels first.
func (f *fakeSlack) list(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	f.lookups++
	listErr := f.historyErr
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if listErr != "" {
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, listErr)
		return
	}
	if r.PostForm.Get("cursor") == "" {
		fmt.Fprint(w, `{"ok":true,"channels":[{"id":"C999","name":"random"}],"response_metadata":{"next_cursor":"p2"}}`)
		return
	}
	fmt.Fprint(w, `{"ok":true,"channels":[{"id":"C123","name":"news"}],"response_metadata":{"next_cursor":""}}`)
}

// messages returns how many messages the fake holds per alert_id.
func (f *fakeSlack) messages() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := map[string]int{}
	for _, m := range f.msgs {
		if p, ok := m.metadata["event_payload"].(map[string]any); ok {
			n[fmt.Sprint(p["alert_id"])]++
		}
	}
	return n
}

func (f *fakeSlack) webhook(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "invalid_payload", 400)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks = append(f.hooks, body)
	if !f.next(w) {
		io.WriteString(w, "ok")
	}
}

func (f *fakeSlack) requests() ([]url.Values, []map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.posts...), append([]map[string]any(nil), f.hooks...)
}

func (f *fakeSlack) botSlack(t *testing.T) *Slack {
	t.Helper()
	s, err := NewSlack(SlackOptions{Token: testToken, APIURL: f.srv.URL + "/api", StateID: testStateID}) // no trailing slash on purpose
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fakeSlack) webhookSlack(t *testing.T) *Slack {
	t.Helper()
	s, err := NewSlack(SlackOptions{WebhookURL: f.srv.URL + testWebhookPath})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// assertNoSecrets fails when a secret appears in s.
func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{testToken, "SECRETTOKENVALUE", testWebhookPath, "WEBHOOKSECRET123", "B0000"} {
		if strings.Contains(s, secret) {
			t.Errorf("%s leaks %q: %s", what, secret, s)
		}
	}
}

func TestSlackPostsAlert(t *testing.T) {
	f := newFakeSlack(t, nil)
	s := f.botSlack(t)
	a := goldenAlerts()["basic"]
	ts, retry, err := s.Send(t.Context(), a)
	if err != nil || retry || ts != "1700000000.000001" {
		t.Fatalf("Send = %q, %v, %v", ts, retry, err)
	}
	posts, _ := f.requests()
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	p := posts[0]
	want := FormatSlack(a)
	wantBlocks, _ := json.Marshal(want.Blocks)
	for k, v := range map[string]string{
		"token": testToken, "channel": "#diplomacy", "text": want.Text, "blocks": string(wantBlocks),
		"unfurl_links": "false", "unfurl_media": "false", "thread_ts": "",
	} {
		if got := p.Get(k); got != v {
			t.Errorf("form %s = %q, want %q", k, got, v)
		}
	}
	if !s.Threads() {
		t.Error("bot-token mode should thread follow-ups")
	}
}

func TestSlackEscapingOnTheWire(t *testing.T) {
	f := newFakeSlack(t, nil)
	s := f.botSlack(t)
	a := testAlert(1, "#news")
	a.Article.Title = "Alert <!channel> <!here> & more"
	a.Article.Body = "Contact <@U123> or @here, log in at <https://evil.example|bank> & pay. Putin agreed."
	a.Spans = spans(a.Article, model.FieldBody, "Putin")
	if _, _, err := s.Send(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	posts, _ := f.requests()
	sent := posts[0].Get("text") + "\n" + strings.Join(blockTexts(t, posts[0].Get("blocks")), "\n")
	for _, bad := range []string{"<!channel>", "<!here>", "<@U123>", "<https://evil.example", "@here", "@channel"} {
		if strings.Contains(sent, bad) {
			t.Errorf("request contains %q:\n%s", bad, sent)
		}
	}
	for _, good := range []string{"&lt;!channel&gt;", "&lt;!here&gt;", "&lt;@U123&gt;", "&lt;https://evil.example|bank&gt;", "&amp; pay", "*Putin*"} {
		if !strings.Contains(sent, good) {
			t.Errorf("request lacks %q:\n%s", good, sent)
		}
	}
	var blocks []struct {
		Type string `json:"type"`
		Text struct {
			Type     string `json:"type"`
			Verbatim bool   `json:"verbatim"`
		} `json:"text"`
	}
	if err := json.Unmarshal([]byte(posts[0].Get("blocks")), &blocks); err != nil {
		t.Fatal(err)
	}
	for _, b := range blocks {
		if b.Text.Type == "mrkdwn" && !b.Text.Verbatim {
			t.Errorf("%s block mrkdwn without verbatim", b.Type)
		}
	}
}

func TestSlackFollowUp(t *testing.T) {
	f := newFakeSlack(t, nil)
	s := f.botSlack(t)
	a := goldenAlerts()["followup"]
	if _, _, err := s.Send(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	orphan := a
	orphan.ThreadTS = "" // parent failed
	if _, _, err := s.Send(t.Context(), orphan); err != nil {
		t.Fatal(err)
	}
	posts, _ := f.requests()
	if got := posts[0].Get("thread_ts"); got != a.ThreadTS {
		t.Errorf("thread_ts = %q, want %q", got, a.ThreadTS)
	}
	if got := posts[0].Get("text"); !strings.HasPrefix(got, "Also reported by bbc-world: ") {
		t.Errorf("follow-up text = %q", got)
	}
	if posts[1].Has("thread_ts") || !strings.Contains(posts[1].Get("blocks"), `"header"`) {
		t.Errorf("orphan follow-up should be a full top-level alert: %v", posts[1])
	}
}

func TestSlackRateLimitForms(t *testing.T) {
	tests := []struct {
		name  string
		reply reply
		want  time.Duration
	}{
		{"retry-after seconds", reply{status: 429, retryAfter: "3"}, 3 * time.Second},
		{"no retry-after", reply{status: 429}, DefaultRetryAfter},
		{"fractional retry-after", reply{status: 429, retryAfter: "1.5"}, 1500 * time.Millisecond},
		{"garbage retry-after", reply{status: 429, retryAfter: "soon"}, DefaultRetryAfter},
		{"ok false ratelimited", reply{status: 200, body: `{"ok":false,"error":"ratelimited"}`}, DefaultRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t, nil, tt.reply)
			_, retry, err := f.botSlack(t).Send(t.Context(), testAlert(1, "#a"))
			var rl *RateLimitError
			if !errors.As(err, &rl) || !retry || rl.RetryAfter != tt.want {
				t.Errorf("Send = retry %v, %v; want *RateLimitError{%v}", retry, err, tt.want)
			}
		})
	}
}

func TestParseRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := parseRetryAfter(now.Add(20*time.Second).Format(http.TimeFormat), now); got != 20*time.Second {
		t.Errorf("HTTP-date Retry-After = %v, want 20s", got)
	}
	if got := parseRetryAfter("0", now); got != time.Second {
		t.Errorf("Retry-After 0 = %v, want the 1s floor", got)
	}
	if got := parseRetryAfter("999999999", now); got != maxRetryAfter {
		t.Errorf("huge Retry-After = %v, want the cap", got)
	}
}

func TestSlackErrorClasses(t *testing.T) {
	tests := []struct {
		name      string
		reply     reply
		retry     bool
		wantInErr []string
	}{
		{"503", reply{status: 503, body: "<html>down</html>"}, true, []string{"http_503"}},
		{"500", reply{status: 500}, true, []string{"http_500"}},
		{"internal_error", reply{status: 200, body: `{"ok":false,"error":"internal_error"}`}, true, []string{"internal_error"}},
		{"unknown code retried", reply{status: 200, body: `{"ok":false,"error":"something_new"}`}, true, []string{"something_new"}},
		{"invalid_auth", reply{status: 200, body: `{"ok":false,"error":"invalid_auth"}`}, false, []string{"invalid_auth", "slack.token"}},
		{"not_authed", reply{status: 200, body: `{"ok":false,"error":"not_authed"}`}, false, []string{"slack.token"}},
		{"token_revoked", reply{status: 200, body: `{"ok":false,"error":"token_revoked"}`}, false, []string{"reinstall"}},
		{"account_inactive", reply{status: 200, body: `{"ok":false,"error":"account_inactive"}`}, false, []string{"account_inactive"}},
		{"channel_not_found", reply{status: 200, body: `{"ok":false,"error":"channel_not_found"}`}, false, []string{"#news", "/invite @newswatch"}},
		{"not_in_channel", reply{status: 200, body: `{"ok":false,"error":"not_in_channel"}`}, false, []string{"#news", "/invite @newswatch"}},
		{"is_archived", reply{status: 200, body: `{"ok":false,"error":"is_archived"}`}, false, []string{"#news", "unarchive"}},
		{"msg_too_long", reply{status: 200, body: `{"ok":false,"error":"msg_too_long"}`}, false, []string{"bug"}},
		{"no_text", reply{status: 200, body: `{"ok":false,"error":"no_text"}`}, false, []string{"no_text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t, nil, tt.reply)
			_, retry, err := f.botSlack(t).Send(t.Context(), testAlert(1, "#news"))
			var se *SlackError
			if !errors.As(err, &se) || retry != tt.retry || se.Permanent == tt.retry {
				t.Fatalf("Send = retry %v, %v (%T); want retry %v", retry, err, err, tt.retry)
			}
			for _, w := range tt.wantInErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			assertNoSecrets(t, "error", err.Error())
		})
	}
}

func TestSlackNetworkError(t *testing.T) {
	f := newFakeSlack(t, nil)
	s := f.botSlack(t)
	f.srv.Close()
	_, retry, err := s.Send(t.Context(), testAlert(1, "#news"))
	var se *SlackError
	if !errors.As(err, &se) || !retry || se.Code != "network" {
		t.Fatalf("Send = retry %v, %v; want a transient network error", retry, err)
	}
	assertNoSecrets(t, "error", err.Error())
}

func TestSlackTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	s, err := NewSlack(SlackOptions{Token: testToken, APIURL: srv.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, retry, err := s.Send(ctx, testAlert(1, "#news"))
	var se *SlackError
	if !errors.As(err, &se) || !retry || se.Code != "timeout" {
		t.Fatalf("Send = retry %v, %v; want a transient timeout", retry, err)
	}
}

func TestNewSlackValidation(t *testing.T) {
	if _, err := NewSlack(SlackOptions{}); err == nil {
		t.Error("NewSlack without secrets: want an error")
	}
	_, err := NewSlack(SlackOptions{WebhookURL: "ftp://hooks.example" + testWebhookPath})
	if err == nil {
		t.Fatal("NewSlack with an ftp webhook: want an error")
	}
	assertNoSecrets(t, "NewSlack error", err.Error())
	if _, err := NewSlack(SlackOptions{Token: testToken, APIURL: "not a url"}); err == nil {
		t.Error("bad api_url: want an error")
	}
}

func TestWebhookPosts(t *testing.T) {
	f := newFakeSlack(t, nil)
	s := f.webhookSlack(t)
	if s.Threads() {
		t.Error("webhook mode cannot thread")
	}
	a := goldenAlerts()["hostile"]
	ts, retry, err := s.Send(t.Context(), a)
	if err != nil || retry || ts != "" {
		t.Fatalf("Send = %q, %v, %v", ts, retry, err)
	}
	follow := goldenAlerts()["followup"]
	if _, _, err := s.Send(t.Context(), follow); err != nil {
		t.Fatal(err)
	}
	_, hooks := f.requests()
	if len(hooks) != 1 {
		t.Fatalf("%d webhook posts, want 1 (follow-ups are not posted)", len(hooks))
	}
	want := FormatSlack(a)
	wantBlocks, _ := json.Marshal(want.Blocks)
	gotBlocks, _ := json.Marshal(hooks[0]["blocks"])
	if hooks[0]["text"] != want.Text || !jsonEqual(t, gotBlocks, wantBlocks) {
		t.Errorf("webhook body = %v, want text %q and the formatted blocks", hooks[0], want.Text)
	}
	for _, text := range blockTexts(t, string(gotBlocks)) {
		if strings.Contains(text, "<!channel>") || !strings.Contains(text, "&lt;!channel&gt;") {
			t.Errorf("webhook block text not escaped: %q", text)
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestWebhookErrors(t *testing.T) {
	tests := []struct {
		name      string
		reply     reply
		retry     bool
		wantInErr string
	}{
		{"400 invalid_payload", reply{status: 400, body: "invalid_payload"}, false, "bug"},
		{"403 invalid_token", reply{status: 403, body: "invalid_token"}, false, "slack.webhook_url"},
		{"404 no_service", reply{status: 404, body: "no_service"}, false, "slack.webhook_url"},
		{"404 without body", reply{status: 404}, false, "slack.webhook_url"},
		{"410 channel_is_archived", reply{status: 410, body: "channel_is_archived"}, false, "archived"},
		{"500", reply{status: 500, body: "oops"}, true, "http_500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSlack(t, nil, tt.reply)
			_, retry, err := f.webhookSlack(t).Send(t.Context(), testAlert(1, "#news"))
			var se *SlackError
			if !errors.As(err, &se) || retry != tt.retry {
				t.Fatalf("Send = retry %v, %v; want retry %v", retry, err, tt.retry)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q lacks %q", err, tt.wantInErr)
			}
			assertNoSecrets(t, "error", err.Error())
		})
	}
}

func TestWebhookRateLimitAndRedaction(t *testing.T) {
	f := newFakeSlack(t, nil, reply{status: 429, retryAfter: "2.5"})
	s := f.webhookSlack(t)
	_, retry, err := s.Send(t.Context(), testAlert(1, "#news"))
	var rl *RateLimitError
	if !errors.As(err, &rl) || !retry || rl.RetryAfter != 2500*time.Millisecond {
		t.Errorf("Send = retry %v, %v; want *RateLimitError{2.5s}", retry, err)
	}
	f.srv.Close()
	_, retry, err = s.Send(t.Context(), testAlert(1, "#news"))
	if err == nil || !retry {
		t.Fatalf("Send to a closed server = retry %v, %v; want a transient error", retry, err)
	}
	assertNoSecrets(t, "network error", err.Error())
	if !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("network error %q should show where the URL was redacted", err)
	}
}

// blockTexts decodes blocks JSON as sent and returns every "text" string in
// it, so assertions see what Slack will parse (not JSON escapes).
func blockTexts(t *testing.T, blocksJSON string) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(blocksJSON), &v); err != nil {
		t.Fatalf("blocks are not JSON: %v", err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "text" {
					out = append(out, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	if len(out) == 0 {
		t.Fatal("no text in blocks")
	}
	return out
}

// TestSlackPostsDigestParts: a digest part is posted as FormatDigest
// renders it, a later part in the first part's thread with a bot token,
// and in the channel with a webhook; stdout prints FormatDigestText.
func TestSlackPostsDigestParts(t *testing.T) {
	d := model.Digest{Channel: "#c", Since: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Until: time.Date(2026, 12, 1, 8, 10, 0, 0, time.UTC),
		Entries: []model.DigestEntry{{Rules: []string{"r"}, Article: model.Article{Source: "s", Title: "Held one", Link: "https://example.com/1"}}},
		Part:    2, Parts: 2}
	part := model.Alert{ID: 9, Kind: model.AlertDigestPart, Channel: "#c", ThreadTS: "100.1", Digest: &d}
	want := FormatDigest(d)

	f := newFakeSlack(t, nil)
	if _, _, err := f.botSlack(t).Send(t.Context(), part); err != nil {
		t.Fatal(err)
	}
	posts, _ := f.requests()
	if len(posts) != 1 || posts[0].Get("thread_ts") != "100.1" || posts[0].Get("text") != want.Text {
		t.Fatalf("bot post = %v, want the digest text %q in thread 100.1", posts, want.Text)
	}
	if !strings.Contains(posts[0].Get("blocks"), "https://example.com/1") {
		t.Errorf("bot post blocks lack the held article: %s", posts[0].Get("blocks"))
	}

	w := newFakeSlack(t, nil)
	if _, _, err := w.webhookSlack(t).Send(t.Context(), part); err != nil {
		t.Fatal(err)
	}
	_, hooks := w.requests()
	wantBlocks, _ := json.Marshal(want.Blocks)
	gotBlocks, _ := json.Marshal(hooks[0]["blocks"])
	if len(hooks) != 1 || hooks[0]["text"] != want.Text || !jsonEqual(t, gotBlocks, wantBlocks) {
		t.Errorf("webhook body = %v, want the digest part", hooks)
	}

	var out strings.Builder
	if _, _, err := NewStdout(&out).Send(t.Context(), part); err != nil {
		t.Fatal(err)
	}
	if out.String() != FormatDigestText(d) {
		t.Errorf("stdout printed %q, want FormatDigestText", out.String())
	}
}
