package notifier

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/newswatch/newswatch/model"
)

// Stdout prints alerts as readable text blocks. It is the notifier when no
// Slack secret is configured. It is safe for concurrent use.
type Stdout struct {
	mu sync.Mutex
	w  io.Writer
}

// NewStdout returns a notifier that writes alerts to w.
func NewStdout(w io.Writer) *Stdout { return &Stdout{w: w} }

// Threads reports true: follow-ups are printed as "↳ also reported by" lines.
func (s *Stdout) Threads() bool { return true }

// PaceKey returns "": printing needs no pacing.
func (s *Stdout) PaceKey(model.Alert) string { return "" }

// Send prints the alert, or the digest part (FormatDigestText). A write error is reported as transient.
func (s *Stdout) Send(ctx context.Context, a model.Alert) (string, bool, error) {
	text := FormatText(a)
	if a.Digest != nil {
		text = FormatDigestText(*a.Digest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := io.WriteString(s.w, text); err != nil {
		return "", true, fmt.Errorf("notifier: stdout: %w", err)
	}
	return "", false, nil
}

// FormatText renders an alert as plain text: title, link, source, published
// time, rules and a snippet with the matched words marked **like this**;
// a follow-up is a short "↳ also reported by" block. Article text is
// cleaned of control characters.
func FormatText(a model.Alert) string {
	title := truncate(cleanText(a.Article.Title), 300)
	if title == "" {
		title = "(untitled)"
	}
	link := plainLink(articleLink(a.Article))
	if a.Kind == model.AlertFollowUp {
		if link != "" {
			link = " <" + link + ">"
		}
		return fmt.Sprintf("  ↳ also reported by %s: %s%s\n\n", cleanText(a.Article.Source), title, link)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "▶ %s\n", title)
	if link != "" {
		fmt.Fprintf(&b, "  %s\n", link)
	}
	fmt.Fprintf(&b, "  source: %s · published: %s · rules: %s\n",
		cleanText(a.Article.Source), plainTime(a.Article.Published), cleanText(strings.Join(a.Rules, ", ")))
	if snip := renderSnippet(snippet(a, snippetRunes), identity, markStars); snip != "" {
		fmt.Fprintf(&b, "  %s\n", snip)
	}
	b.WriteString("\n")
	return b.String()
}

func identity(s string) string  { return s }
func markStars(s string) string { return "**" + s + "**" }

// plainTime formats a published time in UTC, or "unknown" for undated items.
func plainTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2006-01-02 15:04 MST")
}

// articleLink is the link to show: the article's own, else its canonical one.
func articleLink(a model.Article) string {
	if a.Link != "" {
		return a.Link
	}
	return a.CanonicalLink
}
