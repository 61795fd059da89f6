package notifier

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newswatch/newswatch/model"
	"github.com/slack-go/slack"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// spans returns a span for every occurrence of each word in the field.
func spans(a model.Article, f model.Field, words ...string) []model.Span {
	var out []model.Span
	text := a.Text(f)
	for _, w := range words {
		for i := 0; ; {
			j := strings.Index(text[i:], w)
			if j < 0 {
				break
			}
			out = append(out, model.Span{Field: f, Start: i + j, End: i + j + len(w)})
			i += j + len(w)
		}
	}
	return out
}

const longBody = "Officials in Kyiv and several European capitals spent the weekend comparing notes on " +
	"the draft, which has circulated in several versions since early November. The latest text, " +
	"seen by reporters on Monday, would freeze the front line in the east. On Tuesday, US special " +
	"envoy Steve Witkoff met Vladimir Putin in the Kremlin for five hours, according to Yuri Ushakov, " +
	"the Russian president's foreign-policy aide, who called the talks useful but said no compromise " +
	"had yet been found on territory. Witkoff then flew to Berlin, where he briefed Ukrainian and " +
	"European negotiators late into the night before returning to Washington on Wednesday morning."

// goldenAlerts are the formatting cases; each has a golden file per format.
func goldenAlerts() map[string]model.Alert {
	basic := testAlert(1, "#diplomacy")
	basic.Rules = []string{"witkoff-moscow", "kremlin"}
	basic.Article.Title = "Witkoff meets Putin in the Kremlin as peace plan talks resume"
	basic.Article.Body = longBody
	basic.Spans = append(spans(basic.Article, model.FieldTitle, "Witkoff", "Putin", "Kremlin"),
		spans(basic.Article, model.FieldBody, "Witkoff", "Putin", "Kremlin", "Ushakov")...)

	hostile := testAlert(2, "#news")
	hostile.Article.Title = "Breaking <!channel> & <!here>: *bold* _claims_ ~struck~ `code`"
	hostile.Article.Link = "https://example.com/a?x=1&y=2|evil><!channel>"
	hostile.Article.Body = "Hey <@U123> and @channel: see <https://evil.example|bank> & log in. Putin said so."
	hostile.Spans = spans(hostile.Article, model.FieldBody, "Putin")

	long := testAlert(3, "#news")
	long.Article.Title = strings.Repeat("Very long headline about Donetsk talks ", 12)
	long.Article.Summary = strings.Repeat("filler words before the match ", 40) + "in Donetsk today " + strings.Repeat("and more words after it ", 40)
	long.Spans = spans(long.Article, model.FieldSummary, "Donetsk")
	long.Rules = []string{"donetsk"}

	cyr := testAlert(4, "#news")
	cyr.Article.Title = "Бои под Донецком продолжаются"
	cyr.Article.Body = "Российские войска продолжают наступление под Донецком, сообщили в штабе."
	cyr.Spans = spans(cyr.Article, model.FieldBody, "Донецком")
	cyr.Rules = []string{"donetsk"}

	undated := testAlert(5, "#news")
	undated.Article.Published = time.Time{}
	undated.Article.Link = "javascript:alert(1)"
	undated.Article.Title = ""
	undated.Article.Body = "No matches recorded for this one."

	follow := testAlert(6, "#diplomacy")
	follow.Kind, follow.ParentID, follow.ThreadTS = model.AlertFollowUp, 1, "1700000000.000100"
	follow.Article.Source = "bbc-world"
	follow.Article.Title = "Trump envoy Witkoff holds talks with Putin & aides"

	return map[string]model.Alert{"basic": basic, "hostile": hostile, "long": long, "cyrillic": cyr, "undated": undated, "followup": follow}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestFormatSlackGolden(t *testing.T) {
	for name, a := range goldenAlerts() {
		t.Run(name, func(t *testing.T) {
			msg := FormatSlack(a)
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false) // keep <, > and & readable in the golden file
			enc.SetIndent("", "  ")
			if err := enc.Encode(msg); err != nil {
				t.Fatal(err)
			}
			golden(t, "slack_"+name+".golden.json", b.Bytes())
			checkLimits(t, msg)
			checkInert(t, msg, a)
		})
	}
}

func TestFormatTextGolden(t *testing.T) {
	for name, a := range goldenAlerts() {
		t.Run(name, func(t *testing.T) {
			golden(t, "stdout_"+name+".golden.txt", []byte(FormatText(a)))
		})
	}
}

// textsOf returns every text object of a message's blocks.
func textsOf(t *testing.T, msg SlackMessage) []*slack.TextBlockObject {
	t.Helper()
	var out []*slack.TextBlockObject
	for _, b := range msg.Blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			out = append(out, b.Text)
		case *slack.SectionBlock:
			out = append(out, b.Text)
			out = append(out, b.Fields...)
		default:
			t.Fatalf("unexpected block %T", b)
		}
	}
	return out
}

func checkLimits(t *testing.T, msg SlackMessage) {
	t.Helper()
	if len(msg.Blocks) == 0 || len(msg.Blocks) > 50 {
		t.Errorf("%d blocks, want 1..50", len(msg.Blocks))
	}
	if n := utf8.RuneCountInString(msg.Text); n == 0 || n >= 4000 {
		t.Errorf("text fallback has %d characters, want 1..3999", n)
	}
	for _, b := range msg.Blocks {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if n := utf8.RuneCountInString(b.Text.Text); b.Text.Type != slack.PlainTextType || n > 150 {
				t.Errorf("header %s with %d characters, want plain_text <= 150", b.Text.Type, n)
			}
		case *slack.SectionBlock:
			if n := utf8.RuneCountInString(b.Text.Text); n > 3000 {
				t.Errorf("section text has %d characters, want <= 3000", n)
			}
		}
	}
}

var angleRe = regexp.MustCompile(`<([^>]*)>`)

// checkInert asserts that the only <...> sequences in a message are our
// own article link and date, and that mrkdwn is verbatim.
func checkInert(t *testing.T, msg SlackMessage, a model.Alert) {
	t.Helper()
	link := safeLink(articleLink(a.Article))
	texts := []string{msg.Text}
	for _, o := range textsOf(t, msg) {
		texts = append(texts, o.Text)
		if o.Type == slack.MarkdownType && !o.Verbatim {
			t.Errorf("mrkdwn object without verbatim: %q", o.Text)
		}
	}
	for _, s := range texts {
		for _, m := range angleRe.FindAllStringSubmatch(s, -1) {
			inner := m[1]
			if strings.HasPrefix(inner, "!date^") && strings.Count(inner, "|") == 1 {
				continue
			}
			if link != "" && strings.HasPrefix(inner, link+"|") && !strings.ContainsAny(inner[len(link)+1:], "<|") {
				continue
			}
			t.Errorf("unexpected Slack markup %q in %q", m[0], s)
		}
		for _, w := range []string{"@channel", "@here", "@everyone"} {
			if strings.Contains(strings.ToLower(s), w) {
				t.Errorf("bare %s in %q", w, s)
			}
		}
	}
}

func TestEscapeMrkdwn(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"entities", "A & B <C>", "A &amp; B &lt;C&gt;"},
		{"mentions", "<!channel> <!here> <@U123>", "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt;"},
		{"link", "<https://evil.example|bank>", "&lt;https://evil.example|bank&gt;"},
		{"formatting", "*a* _b_ ~c~ `d`", "∗a∗ ˍbˍ ∼c∼ ˋdˋ"},
		{"broadcast words", "ping @channel @Here @everyone", "ping @\u2060channel @\u2060Here @\u2060everyone"},
		{"already escaped stays visible", "&amp;", "&amp;amp;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := escapeMrkdwn(tt.in); got != tt.want {
				t.Errorf("escapeMrkdwn(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSafeLink(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "https://example.com/a?b=1", "https://example.com/a?b=1"},
		{"ampersand", "https://example.com/?a=1&b=2", "https://example.com/?a=1&amp;b=2"},
		{"breakout", "https://example.com/x|label><!channel>", "https://example.com/x%7Clabel%3E%3C!channel%3E"},
		{"javascript", "javascript:alert(1)", ""},
		{"relative", "/news/1", ""},
		{"mailto", "mailto:a@example.com", ""},
		{"newline", "https://example.com/\n<!channel>", ""},
		{"too long", "https://example.com/" + strings.Repeat("a", 3000), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := safeLink(tt.in); got != tt.want {
				t.Errorf("safeLink(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"short", "short title", 20, "short title"},
		{"word boundary", "the quick brown fox jumps", 17, "the quick brown…"},
		{"one long word", strings.Repeat("x", 30), 10, "xxxxxxxxx…"},
		{"cyrillic", "Бои под Донецком продолжаются", 20, "Бои под Донецком…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := truncate(tt.in, tt.max)
			if got != tt.want || utf8.RuneCountInString(got) > tt.max {
				t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestSnippetWindow(t *testing.T) {
	a := goldenAlerts()["long"]
	s := renderSnippet(snippet(a, snippetRunes), identity, markStars)
	if !strings.Contains(s, "**Donetsk**") {
		t.Errorf("snippet lacks the marked match: %q", s)
	}
	if !strings.HasPrefix(s, "… ") || !strings.HasSuffix(s, " …") {
		t.Errorf("snippet cut on both sides should show ellipses: %q", s)
	}
	if n := utf8.RuneCountInString(s); n > snippetRunes+20 {
		t.Errorf("snippet has %d runes, want about %d", n, snippetRunes)
	}
	for _, w := range strings.Fields(strings.Trim(s, "… ")) {
		if w != "**Donetsk**" && !strings.Contains(a.Article.Summary, " "+w+" ") {
			t.Errorf("snippet word %q was cut mid-word", w)
		}
	}
}

func TestSnippetIgnoresBadSpans(t *testing.T) {
	a := testAlert(1, "#a")
	a.Article.Body = "Путин said"
	a.Spans = []model.Span{{Field: model.FieldBody, Start: 1, End: 3}, {Field: model.FieldBody, Start: 5, End: 99}, {Field: model.FieldBody, Start: 0, End: 10}}
	if s := renderSnippet(snippet(a, snippetRunes), identity, markStars); s != "**Путин** said" {
		t.Errorf("snippet = %q", s)
	}
}

// TestFormatSlackStress feeds worst-case input (everything escapes and
// grows) and checks Slack's limits hold.
func TestFormatSlackStress(t *testing.T) {
	a := testAlert(1, "#a")
	a.Article.Title = strings.Repeat("&<>", 5000)
	a.Article.Body = strings.Repeat("& ", 30000) + "Putin" + strings.Repeat(" &", 30000)
	a.Article.Link = "https://example.com/?" + strings.Repeat("a=1&", 450)
	a.Article.Source = strings.Repeat("src&", 100)
	for i := range 300 {
		a.Rules = append(a.Rules, "rule-&-"+strings.Repeat("x", i%20))
	}
	a.Spans = spans(a.Article, model.FieldBody, "Putin")
	for _, kind := range []model.AlertKind{model.AlertNew, model.AlertFollowUp} {
		a.Kind = kind
		msg := FormatSlack(a)
		checkLimits(t, msg)
		checkInert(t, msg, a)
	}
}
