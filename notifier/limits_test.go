package notifier

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/termtext"
)

// wireSlack is a minimal Slack (chat.postMessage and one webhook) that keeps
// the messages exactly as they arrived, for checking limits on the wire.
type wireSlack struct {
	srv  *httptest.Server
	mu   sync.Mutex
	sent []wireMessage
}

// wireMessage is one posted message as Slack would parse it.
type wireMessage struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type string `json:"type"`
		Text struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"text"`
	} `json:"blocks"`
}

func newWireSlack(t *testing.T) *wireSlack {
	w := &wireSlack{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/chat.postMessage", func(rw http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(rw, err.Error(), 400)
			return
		}
		var m wireMessage
		m.Text = r.PostForm.Get("text")
		if err := json.Unmarshal([]byte(r.PostForm.Get("blocks")), &m.Blocks); err != nil {
			http.Error(rw, "invalid_blocks", 400)
			return
		}
		w.record(m)
		rw.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(rw, `{"ok":true,"channel":"C1","ts":"1700000000.000001"}`)
	})
	mux.HandleFunc("POST /services/T1/B1/hook", func(rw http.ResponseWriter, r *http.Request) {
		var m wireMessage
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(rw, "invalid_payload", 400)
			return
		}
		w.record(m)
		_, _ = io.WriteString(rw, "ok")
	})
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	return w
}

func (w *wireSlack) record(m wireMessage) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent = append(w.sent, m)
}

// post sends a through a bot-token and a webhook client and returns what
// arrived.
func (w *wireSlack) post(t *testing.T, a model.Alert) []wireMessage {
	t.Helper()
	for _, o := range []SlackOptions{
		{Token: "xoxb-1-2-limits", APIURL: w.srv.URL + "/api/"},
		{WebhookURL: w.srv.URL + "/services/T1/B1/hook"},
	} {
		s, err := NewSlack(o)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Send(t.Context(), a); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.sent
	w.sent = nil
	return out
}

// Slack's documented limits: header text 150 characters, section text
// 3,000, 50 blocks per message; the top-level text is kept within 4,000.
func checkWireLimits(t *testing.T, m wireMessage) {
	t.Helper()
	if n := slackLen(m.Text); n == 0 || n > maxFallback {
		t.Errorf("text fallback is %d long, want 1..%d", n, maxFallback)
	}
	if len(m.Blocks) == 0 || len(m.Blocks) > 50 {
		t.Errorf("%d blocks, want 1..50", len(m.Blocks))
	}
	for _, b := range m.Blocks {
		limit := map[string]int{"header": maxHeader, "section": maxSection}[b.Type]
		if limit == 0 {
			t.Errorf("unexpected %s block", b.Type)
			continue
		}
		if n := slackLen(b.Text.Text); n == 0 || n > limit {
			t.Errorf("%s text is %d long (UTF-16 units), limit %d: %q", b.Type, n, limit, b.Text.Text)
		}
	}
	for _, s := range append(blockStrings(m), m.Text) {
		for _, r := range s {
			if r != '\n' && termtext.IsControl(r) { // \n separates our own section lines
				t.Errorf("control or bidi character %U reached Slack in %q", r, s)
			}
		}
	}
}

func blockStrings(m wireMessage) []string {
	var out []string
	for _, b := range m.Blocks {
		out = append(out, b.Text.Text)
	}
	return out
}

func header(t *testing.T, m wireMessage) string {
	t.Helper()
	for _, b := range m.Blocks {
		if b.Type == "header" {
			return b.Text.Text
		}
	}
	t.Fatal("no header block")
	return ""
}

// longestFit is fit's contract written the slow way: the longest prefix of
// s (in whole characters) whose escaped form plus "…" is within limit.
func longestFit(s string, limit int, esc func(string) string) string {
	if slackLen(esc(s)) <= limit {
		return esc(s)
	}
	r := []rune(s)
	for n := len(r); n >= 0; n-- {
		if slackLen(esc(string(r[:n])))+slackLen(esc("…")) <= limit {
			return esc(strings.TrimRightFunc(string(r[:n]), func(r rune) bool { return r == ' ' })) + esc("…")
		}
	}
	return ""
}

// TestSlackFitsByFinalLength: text is cut so that what is sent, escaped,
// fits Slack's limits, keeping the longest prefix that does. Before, a
// title dense with '&' came out as a header of just "…".
func TestSlackFitsByFinalLength(t *testing.T) {
	astral := strings.Repeat("𝐊𝐫𝐞𝐦𝐥𝐢𝐧 ", 30) // mathematical bold: two UTF-16 units each
	tests := []struct {
		name, title string
		wantPrefix  string
	}{
		{"Q&A", strings.Repeat("Q&A ", 40) + "Kremlin talks", "Q&amp;A Q&amp;A Q&amp;A"},
		{"ampersands only", strings.Repeat("&", 400), "&amp;&amp;"},
		{"astral characters", astral, "𝐊𝐫𝐞𝐦𝐥𝐢𝐧 𝐊𝐫𝐞𝐦𝐥𝐢𝐧"},
		{"astral and entities", strings.Repeat("😀&", 200), "😀&amp;😀&amp;"},
		{"broadcast words", strings.Repeat("@channel ", 40), "@\u2060channel @\u2060channel"},
		{"fits as is", "Witkoff & Putin <meet>", "Witkoff &amp; Putin &lt;meet&gt;"},
	}
	w := newWireSlack(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAlert(1, "#news")
			a.Article.Title = tt.title
			for _, m := range w.post(t, a) {
				checkWireLimits(t, m)
				h := header(t, m)
				if !strings.HasPrefix(h, tt.wantPrefix) {
					t.Errorf("header %q, want it to start %q", h, tt.wantPrefix)
				}
				if want := longestFit(tt.title, maxHeader, escapePlain); h != want {
					t.Errorf("header\n %q (%d)\nwant the longest fitting prefix\n %q (%d)", h, slackLen(h), want, slackLen(want))
				}
			}
		})
	}
}

// TestSlackLimitsWorstCase: every part at its worst at once (long titles
// of escapable and astral characters, a huge source name and rule list, a
// long link, a body of '&' around the match) still fits every limit on
// the wire, for new alerts and follow-ups alike.
func TestSlackLimitsWorstCase(t *testing.T) {
	w := newWireSlack(t)
	body := strings.Repeat("&<😀> ", 3000) + "Donetsk " + strings.Repeat("*_~` ", 3000)
	a := testAlert(1, "#news")
	a.Article = model.Article{
		Source:    strings.Repeat("<&>", 500),
		Link:      "https://example.com/" + strings.Repeat("%F0%9F%98%80&amp;", 50) + url.PathEscape(strings.Repeat("😀", 200)),
		Title:     strings.Repeat("&😀\u061c\u202e\x1b[2J", 2000),
		Summary:   strings.Repeat("😀&", 5000) + " Donetsk",
		Body:      body,
		Published: t0,
	}
	for i := 0; i < 200; i++ {
		a.Rules = append(a.Rules, strings.Repeat("r&", 20))
	}
	a.Spans = append(spans(a.Article, model.FieldBody, "Donetsk"), spans(a.Article, model.FieldSummary, "Donetsk")...)
	for _, kind := range []model.AlertKind{model.AlertNew, model.AlertFollowUp} {
		a.Kind = kind
		for _, m := range w.post(t, a) {
			checkWireLimits(t, m)
		}
	}
}

// TestBidiAndControlsNeverReachSlack: the one definition of control and
// bidi characters (termtext.IsControl) applies to Slack text; U+061C, the
// Arabic letter mark, used to get through the notifier's own shorter list.
func TestBidiAndControlsNeverReachSlack(t *testing.T) {
	w := newWireSlack(t)
	a := testAlert(1, "#news")
	a.Article.Title = "Putin\u061c \u202eniltnerK\u202c \u2066isolate\u2069 \u200emark\u200f \x1b[31mred\u0085\u009b"
	a.Article.Source = "wire\u061c"
	a.Article.Body = "Steve Witkoff\u061c met \u202ePutin\u202c."
	a.Spans = spans(a.Article, model.FieldBody, "Witkoff")
	for _, m := range w.post(t, a) {
		checkWireLimits(t, m)
		if h := header(t, m); !strings.Contains(h, "Putin") || !strings.Contains(h, "red") {
			t.Errorf("header %q lost the visible text", h)
		}
	}
}
