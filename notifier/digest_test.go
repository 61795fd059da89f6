package notifier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/termtext"
	"github.com/slack-go/slack"
)

var digestT0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func digestArticle(source, title, link string) model.Article {
	return model.Article{Source: source, Title: title, Link: link, Published: digestT0.Add(-time.Hour)}
}

// goldenDigests are the digest formatting cases; each has a Slack and a
// stdout golden file.
func goldenDigests() map[string]model.Digest {
	flood := model.Digest{Channel: "#news", Since: digestT0, Until: digestT0.Add(10 * time.Minute), Entries: []model.DigestEntry{
		{StoryID: 1, Rules: []string{"ukraine-broad", "kyiv"}, Article: digestArticle("guardian-world", "Talks on the peace plan resume in Geneva", "https://www.theguardian.com/world/1"),
			Others: []model.Article{
				digestArticle("bbc-world", "Peace plan talks resume", "https://www.bbc.co.uk/news/2"),
				digestArticle("kyiv-independent", "Geneva talks resume", "https://kyivindependent.com/3"),
				digestArticle("meduza", "Переговоры возобновились", "https://meduza.io/en/4?a=1&b=2"),
				digestArticle("tass", "Talks resume", "javascript:alert(1)"),
			}},
		{StoryID: 2, Rules: []string{"donetsk"}, Article: digestArticle("tass", "Бои под Донецком продолжаются", "https://tass.com/5")},
		{StoryID: 3, Rules: []string{"ukraine-broad"}, Article: digestArticle("wire<&>", "Breaking <!channel> & <!here>: *bold* _claims_ `code` @here \u202eevil\u202c",
			"https://example.com/a?x=1&y=2|evil><!channel>")},
		{StoryID: 4, Rules: []string{"ukraine-broad"}, Article: digestArticle("", "", "")},
	}}
	rule := model.Digest{Channel: "#ukraine", Rule: "ukraine-broad", Since: digestT0, Until: digestT0.Add(8 * time.Hour), Entries: []model.DigestEntry{
		{StoryID: 7, Rules: []string{"ukraine-broad"}, Article: digestArticle("guardian-world", "Kyiv prepares for winter", "https://www.theguardian.com/world/7")},
	}}
	overnight := rule
	overnight.Since, overnight.Until = digestT0.Add(-24*time.Hour), digestT0
	overnight.Entries = append(slices.Clone(rule.Entries), flood.Entries[1])
	return map[string]model.Digest{"flood": flood, "rule": rule, "overnight": overnight}
}

func encodeJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFormatDigestGolden(t *testing.T) {
	for name, d := range goldenDigests() {
		t.Run(name, func(t *testing.T) {
			pages := DigestPages(d)
			var msgs []SlackMessage
			var text strings.Builder
			for _, p := range pages {
				msgs = append(msgs, FormatDigest(p))
				text.WriteString(FormatDigestText(p))
			}
			golden(t, "digest_"+name+".golden.json", encodeJSON(t, msgs))
			golden(t, "digest_"+name+".golden.txt", []byte(text.String()))
			for _, m := range msgs {
				checkDigestMessage(t, m, allowedLinks(d))
			}
		})
	}
}

func TestDigestHeading(t *testing.T) {
	entries := func(n int) []model.DigestEntry { return make([]model.DigestEntry, n) }
	tests := []struct {
		name string
		d    model.Digest
		want string
	}{
		{"flood", model.Digest{Since: digestT0, Until: digestT0.Add(10 * time.Minute), Entries: entries(27)}, "27 more articles matched in the last 10 minutes"},
		{"flood, one article, an hour", model.Digest{Since: digestT0, Until: digestT0.Add(time.Hour), Entries: entries(1)}, "1 more article matched in the last hour"},
		{"flood, 90 minutes", model.Digest{Since: digestT0, Until: digestT0.Add(90 * time.Minute), Entries: entries(2)}, "2 more articles matched in the last 1 hour 30 minutes"},
		{"flood, 45 seconds", model.Digest{Since: digestT0, Until: digestT0.Add(45 * time.Second), Entries: entries(2)}, "2 more articles matched in the last 45 seconds"},
		{"flood, other outlets counted", model.Digest{Since: digestT0, Until: digestT0.Add(2 * 24 * time.Hour),
			Entries: []model.DigestEntry{{Others: make([]model.Article, 4)}}}, "5 more articles matched in the last 2 days"},
		{"flood, a part: the whole digest's total", model.Digest{Since: digestT0, Until: digestT0.Add(10 * time.Minute), Entries: entries(3), Total: 190}, "190 more articles matched in the last 10 minutes"},
		{"rule", model.Digest{Rule: "ukraine-broad", Since: digestT0, Until: digestT0.Add(time.Hour), Entries: entries(12)}, "12 articles matched ukraine-broad since 08:00 UTC"},
		{"rule across days", model.Digest{Rule: "ukraine-broad", Since: digestT0.Add(-25 * time.Hour), Until: digestT0, Entries: entries(1)}, "1 article matched ukraine-broad since 30 Nov 07:00 UTC"},
		{"rule in another zone", model.Digest{Rule: "r", Since: digestT0.In(time.FixedZone("X", 3600)), Until: digestT0.Add(time.Minute), Entries: entries(2)}, "2 articles matched r since 08:00 UTC"},
		{"rule, no start", model.Digest{Rule: "r", Entries: entries(2)}, "2 articles matched r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := digestHeading(tt.d); got != tt.want {
				t.Errorf("heading %q, want %q", got, tt.want)
			}
		})
	}
}

// bigDigest has n stories; every k-th has others copies from other outlets.
func bigDigest(n, k, others int, title func(i int) string, link func(i, j int) string) model.Digest {
	d := model.Digest{Channel: "#news", Since: digestT0, Until: digestT0.Add(10 * time.Minute)}
	for i := range n {
		e := model.DigestEntry{StoryID: int64(i + 1), Rules: []string{"ukraine-broad", "kyiv"},
			Article: model.Article{Source: "guardian-world", Title: title(i), Link: link(i, 0)}}
		if i%k == 0 {
			for j := 1; j <= others; j++ {
				e.Others = append(e.Others, model.Article{Source: fmt.Sprintf("outlet-%d", j), Title: title(i), Link: link(i, j)})
			}
		}
		d.Entries = append(d.Entries, e)
	}
	return d
}

// TestDigestPagesLimits: however large the digest and however hostile its
// text, every part fits Slack's limits, the parts together list every story
// once and in order, every story's article is linked exactly once, and
// other outlets' copies at most once (with ordinary links, all of them).
func TestDigestPagesLimits(t *testing.T) {
	plainLinkOf := func(i, j int) string { return fmt.Sprintf("https://example.com/news/%d/%d", i, j) }
	tests := []struct {
		name      string
		d         model.Digest
		wantParts int  // 0: more than one, not checked exactly
		allOthers bool // every other outlet's copy is linked too
	}{
		{"one small", bigDigest(3, 1, 2, func(i int) string { return fmt.Sprint("Story ", i) }, plainLinkOf), 1, true},
		{"190 ordinary", bigDigest(190, 5, 4, func(i int) string { return fmt.Sprintf("Story number %d about the talks in Geneva", i) }, plainLinkOf), 1, true},
		{"2,000 ordinary", bigDigest(2000, 7, 3, func(i int) string { return fmt.Sprintf("Story number %d about the talks in Geneva", i) }, plainLinkOf), 0, true},
		{"a wire story in 25 outlets", bigDigest(40, 1, 25, func(i int) string { return fmt.Sprintf("Story number %d about the talks in Geneva", i) },
			func(i, j int) string {
				return fmt.Sprintf("https://www.outlet-number-%d.example.com/world/2026/dec/01/story-%d-talks-resume-in-geneva", j, i)
			}), 0, true},
		{"worst case", bigDigest(100, 1, 20, func(i int) string { return strings.Repeat("&😀<\u202e", 400) },
			func(i, j int) string {
				return fmt.Sprintf("https://example.com/%d/%d/", i, j) + strings.Repeat("%F0%9F%98%80&", 55)
			}), 0, false},
		{"single long lines", bigDigest(60, 1, 20, func(i int) string { return strings.Repeat("W", 300) },
			func(i, j int) string {
				return fmt.Sprintf("https://example.com/%d/%d/", i, j) + strings.Repeat("a", 900)
			}), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := DigestPages(tt.d)
			if tt.wantParts > 0 && len(pages) != tt.wantParts || tt.wantParts == 0 && len(pages) < 2 {
				t.Fatalf("%d parts, want %d (0: several)", len(pages), tt.wantParts)
			}
			var stories []int64
			links := map[string]int{}
			allowed := allowedLinks(tt.d)
			for i, p := range pages {
				if p.Part != i+1 || p.Parts != len(pages) || p.Articles() != tt.d.Articles() {
					t.Errorf("part %d: Part %d of %d, total %d", i+1, p.Part, p.Parts, p.Articles())
				}
				msg := FormatDigest(p)
				checkDigestMessage(t, msg, allowed)
				head := msg.Blocks[0].(*slack.HeaderBlock).Text.Text
				if want := fmt.Sprintf(" (%d/%d)", i+1, len(pages)); len(pages) > 1 && (!strings.HasSuffix(head, want) || !strings.HasSuffix(msg.Text, want)) {
					t.Errorf("part %d: header %q, fallback %q, want them to end %q", i+1, head, msg.Text, want)
				}
				if !strings.HasPrefix(head, fmt.Sprintf("%d more articles matched in the last 10 minutes", tt.d.Articles())) {
					t.Errorf("part %d: header %q", i+1, head)
				}
				for _, e := range p.Entries {
					stories = append(stories, e.StoryID)
				}
				for _, s := range digestTexts(msg) {
					for _, m := range angleRe.FindAllStringSubmatch(s, -1) {
						links[strings.SplitN(m[1], "|", 2)[0]]++
					}
				}
			}
			for i, e := range tt.d.Entries {
				if i >= len(stories) || stories[i] != e.StoryID {
					t.Fatalf("stories out of order or missing at %d", i)
				}
				if n := links[safeLink(e.Article.Link)]; n != 1 {
					t.Errorf("article %s linked %d times", e.Article.Link[:min(60, len(e.Article.Link))], n)
				}
				for _, a := range e.Others {
					if n := links[safeLink(a.Link)]; n > 1 || tt.allOthers && n != 1 {
						t.Errorf("other outlet's %s linked %d times", a.Link[:min(60, len(a.Link))], n)
					}
				}
			}
			if len(stories) != len(tt.d.Entries) {
				t.Errorf("%d stories in the parts, want %d", len(stories), len(tt.d.Entries))
			}
		})
	}
	if p := DigestPages(model.Digest{Channel: "#a"}); p != nil {
		t.Errorf("an empty digest has parts: %+v", p)
	}
}

// TestDigestOthersBeyondTheLine: a story with more other outlets than its
// line can link still counts them all, and ends with an ellipsis.
func TestDigestOthersBeyondTheLine(t *testing.T) {
	d := bigDigest(1, 1, 300, func(int) string { return "Story" }, func(i, j int) string { return fmt.Sprintf("https://e.example/%d", j) })
	line := digestLine(d.Entries[0])
	if !strings.Contains(line, "… and 300 other outlets: ") || !strings.HasSuffix(line, ", …") || slackLen(line) > digestEntryBudget {
		t.Errorf("line (%d long) %q", slackLen(line), line)
	}
	if n := strings.Count(line, "<https://"); n < 50 || n > 300 {
		t.Errorf("%d links", n)
	}
}

// allowedLinks are the links a digest's messages may carry: its articles'.
func allowedLinks(d model.Digest) map[string]bool {
	allowed := map[string]bool{}
	for _, e := range d.Entries {
		for _, a := range append([]model.Article{e.Article}, e.Others...) {
			if l := safeLink(a.Link); l != "" {
				allowed[l] = true
			}
		}
	}
	return allowed
}

func digestTexts(m SlackMessage) []string {
	out := []string{m.Text}
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			out = append(out, b.Text.Text)
		case *slack.SectionBlock:
			out = append(out, b.Text.Text)
		}
	}
	return out
}

// checkDigestMessage asserts Slack's limits on the message as it would be
// sent (after a JSON round trip) and that article text stayed inert: the
// only markup is links to the digest's articles, no broadcast word is
// bare, no control or bidi character remains, and mrkdwn is verbatim.
func checkDigestMessage(t *testing.T, m SlackMessage, allowed map[string]bool) {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []struct {
		Type string `json:"type"`
		Text struct {
			Type     string `json:"type"`
			Text     string `json:"text"`
			Verbatim bool   `json:"verbatim"`
		} `json:"text"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks) < 2 || len(blocks) > 50 || blocks[0].Type != "header" {
		t.Errorf("%d blocks, want a header and 1..49 sections", len(blocks))
	}
	total := slackLen(m.Text)
	if total == 0 || total > maxHeader {
		t.Errorf("fallback text %d long", total)
	}
	for _, b := range blocks {
		n := slackLen(b.Text.Text)
		total += n
		switch {
		case b.Type == "header" && (n == 0 || n > maxHeader || b.Text.Type != "plain_text"):
			t.Errorf("header %d long (%s)", n, b.Text.Type)
		case b.Type == "section" && (n == 0 || n > maxSection || b.Text.Type != "mrkdwn" || !b.Text.Verbatim):
			t.Errorf("section %d long (%s, verbatim %v)", n, b.Text.Type, b.Text.Verbatim)
		case b.Type != "header" && b.Type != "section":
			t.Errorf("unexpected %s block", b.Type)
		}
	}
	if total > maxDigestText {
		t.Errorf("%d characters of text, limit %d", total, maxDigestText)
	}
	for _, s := range digestTexts(m) {
		for _, mm := range angleRe.FindAllStringSubmatch(s, -1) {
			link, label, ok := strings.Cut(mm[1], "|")
			if !ok || !allowed[link] || strings.ContainsAny(label, "<|") {
				t.Errorf("unexpected Slack markup %q", mm[0])
			}
		}
		for _, w := range []string{"@channel", "@here", "@everyone"} {
			if strings.Contains(strings.ToLower(s), w) {
				t.Errorf("bare %s in %q", w, s)
			}
		}
		for _, r := range s {
			if r != '\n' && termtext.IsControl(r) {
				t.Errorf("control or bidi character %U in %q", r, s)
			}
		}
	}
}

// TestDigestOnTheWire posts every part of a split digest through the Web
// API and a webhook (slack-go, to the loopback fake) and checks the limits
// on what arrived.
func TestDigestOnTheWire(t *testing.T) {
	w := newWireSlack(t)
	d := bigDigest(600, 3, 5, func(i int) string { return fmt.Sprintf("Story %d <!here> & more", i) },
		func(i, j int) string { return fmt.Sprintf("https://example.com/%d/%d?a=1&b=2", i, j) })
	pages := DigestPages(d)
	if len(pages) < 2 {
		t.Fatalf("%d parts, want several", len(pages))
	}
	api := slack.New("xoxb-1-2-digest", slack.OptionAPIURL(w.srv.URL+"/api/"))
	for _, p := range pages {
		m := FormatDigest(p)
		if _, _, err := api.PostMessageContext(t.Context(), "#news", slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)); err != nil {
			t.Fatal(err)
		}
		if err := slack.PostWebhookContext(t.Context(), w.srv.URL+"/services/T1/B1/hook", &slack.WebhookMessage{Text: m.Text, Blocks: &slack.Blocks{BlockSet: m.Blocks}}); err != nil {
			t.Fatal(err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.sent) != 2*len(pages) {
		t.Fatalf("%d messages arrived, want %d", len(w.sent), 2*len(pages))
	}
	for _, m := range w.sent {
		checkWireLimits(t, m)
		total := slackLen(m.Text)
		for _, s := range blockStrings(m) {
			total += slackLen(s)
		}
		if total > maxDigestText {
			t.Errorf("%d characters of text arrived, limit %d", total, maxDigestText)
		}
	}
}

// TestFormatDigestUnsplit: a digest rendered without DigestPages (a caller
// that forgot) still keeps every section within Slack's limit; only the
// message as a whole may be too long.
func TestFormatDigestUnsplit(t *testing.T) {
	d := bigDigest(500, 2, 6, func(i int) string { return fmt.Sprintf("Story %d & its headline", i) },
		func(i, j int) string { return fmt.Sprintf("https://example.com/%d/%d", i, j) })
	m := FormatDigest(d)
	lines := 0
	for _, b := range m.Blocks[1:] {
		text := b.(*slack.SectionBlock).Text.Text
		if n := slackLen(text); n > maxSection {
			t.Errorf("section %d long", n)
		}
		lines += strings.Count(text, "\n") + 1
	}
	if lines != 500 {
		t.Errorf("%d lines, want 500", lines)
	}
}
