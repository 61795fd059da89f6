package config

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/newswatch/newswatch/redact"
)

// Summary writes what `newswatch check` shows: the settings in force after
// defaults, Slack's mode, every source and rule, and the channels used.
// Secrets are never written: the Slack token and webhook URL show as
// "set (redacted)", and URLs pass through redact.URL (userinfo, credential
// query values and values taken from the environment hidden).
func (c *Config) Summary(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	defer tw.Flush()
	// Blank lines between sections end tabwriter's column blocks, so each
	// section is aligned on its own.
	c.summarySettings(tw)
	c.summarySlack(tw)
	fmt.Fprintln(tw)
	c.summaryHosts(tw)
	fmt.Fprintln(tw)
	c.summarySources(tw)
	fmt.Fprintln(tw)
	c.summaryRules(tw)
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "channels: %s\n", c.channels())
}

func (c *Config) summarySettings(w io.Writer) {
	fmt.Fprintf(w, "config:\t%s\n", c.Path)
	kind := "SQLite"
	state := c.State
	if isPostgres(c.State) {
		kind, state = "PostgreSQL", redact.URL(c.State)
	}
	fmt.Fprintf(w, "state:\t%s (%s)\n", state, kind)
	listen := c.Listen
	if listen == "" {
		listen = "off"
	}
	fmt.Fprintf(w, "listen:\t%s\n", listen)
	fmt.Fprintf(w, "schedule:\t%s (for sources without their own)\n", c.Schedule)
	fmt.Fprintf(w, "max_age:\t%s\n", formatDuration(c.MaxAge))
	fmt.Fprintf(w, "story_window:\t%s\n", formatDuration(c.StoryWindow))
	fmt.Fprintf(w, "retention:\t%s\n", formatDuration(c.Retention))
	fmt.Fprintf(w, "user_agent:\t%s\n", c.UserAgent)
	fmt.Fprintf(w, "flood:\t%s\n", c.Flood.describe())
}

func (c *Config) summarySlack(w io.Writer) {
	s := c.Slack
	switch s.Mode() {
	case "token":
		fmt.Fprintf(w, "slack:\tbot token (chat.postMessage, threads, per-rule channels)\n")
	case "webhook":
		fmt.Fprintf(w, "slack:\tincoming webhook (one channel, no threads)\n")
	default:
		fmt.Fprintf(w, "slack:\toff: alerts are printed to stdout (no token or webhook_url)\n")
	}
	fmt.Fprintf(w, "  token:\t%s\n", secretState(s.Token, ""))
	ignored := ""
	if s.Token != "" {
		ignored = " (ignored: the token takes precedence)"
	}
	fmt.Fprintf(w, "  webhook_url:\t%s\n", secretState(s.WebhookURL, ignored))
	fmt.Fprintf(w, "  channel:\t%s\n", orNone(s.Channel))
	if s.APIURL != "" {
		fmt.Fprintf(w, "  api_url:\t%s\n", redact.URL(s.APIURL))
	}
	if s.Enabled() {
		fmt.Fprintf(w, "  give_up_after:\t%s\n", formatDuration(s.GiveUp()))
	}
}

func secretState(v, note string) string {
	if v == "" {
		return "not set"
	}
	return "set (redacted)" + note
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (c *Config) summarySources(w io.Writer) {
	fmt.Fprintf(w, "sources (%d):\n", len(c.Sources))
	for _, s := range c.Sources {
		kind, extra := "feed", ""
		if s.Page != "" {
			kind = "page"
			extra = fmt.Sprintf("  links %q", s.Links)
			if s.Title != "" {
				extra += fmt.Sprintf(" title %q", s.Title)
			}
			if s.Body != "" {
				extra += fmt.Sprintf(" body %q", s.Body)
			}
			extra += fmt.Sprintf(" max_articles %d", s.MaxArticles)
		}
		switch {
		case s.AllowPrivate:
			extra += "  allow_private"
		case s.PrivateSet:
			extra += "  allow_private: false"
		}
		fmt.Fprintf(w, "  %s\t%s %s\tschedule %s%s\n", s.Name, kind, redact.URL(s.URL(), s.SecretParams...), s.Schedule, extra)
	}
}

func (c *Config) summaryRules(w io.Writer) {
	fmt.Fprintf(w, "rules (%d):\n", len(c.Rules))
	for _, r := range c.Rules {
		sources := "all sources"
		if len(r.Sources) > 0 {
			sources = "sources " + strings.Join(r.Sources, ", ")
		}
		fmt.Fprintf(w, "  %s\t%s\t-> %s, %s, %s\n", r.Name, oneLine(r.Query), orNone(r.Channel), sources, r.Delivery())
	}
}

// channels describes where alerts go.
func (c *Config) channels() string {
	switch c.Slack.Mode() {
	case "stdout":
		return "none: alerts are printed to stdout"
	case "webhook":
		msg := "the webhook's own"
		if c.webhookFolded {
			msg += " (the rules' channels are not used: a webhook posts to one channel)"
		}
		return msg
	}
	var out []string
	for _, r := range c.Rules {
		if !slices.Contains(out, r.Channel) {
			out = append(out, r.Channel)
		}
	}
	if len(out) == 0 {
		return "none (no rules)"
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// oneLine folds a block-scalar query onto one line for the table.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// formatDuration prints 48h rather than 48h0m0s, and whole days as such.
func formatDuration(d time.Duration) string {
	s := shortDuration(d)
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		s += fmt.Sprintf(" (%dd)", d/(24*time.Hour))
	}
	return s
}

// shortDuration prints 48h rather than 48h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
