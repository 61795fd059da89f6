package notifier

import (
	"fmt"
	"strings"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/slack-go/slack"
)

// Slack's limits, and the budgets we give each part of a message so the
// sum stays inside them whatever the article contains.
const (
	maxHeader     = 150  // header block text
	maxSection    = 3000 // section block text
	maxFallback   = 4000 // top-level text (kept well below)
	titleBudget   = 300  // title in the section and fallback
	sourceBudget  = 100
	rulesBudget   = 400
	snippetBudget = 1000 // rendered snippet, escaped, with bold markers
	linkBudget    = 1000 // longer links are left out of the section
)

// slackLen is the length of s as Slack's limits count it, taken at its
// strictest: UTF-16 code units, so a character outside the Basic
// Multilingual Plane (an emoji, a mathematical letter) counts two. Escapes
// count as sent (&amp; is five).
func slackLen(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// SlackMessage is one Slack post: a plain fallback (used in notifications)
// and Block Kit blocks.
type SlackMessage struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

// FormatSlack renders an alert for Slack. A new alert is a header with the
// title and a section with the linked title, source, published time, rule
// names and a snippet with the matched words in bold; a follow-up is a
// single "Also reported by SOURCE: TITLE" line. All article text is escaped
// (see escapeMrkdwn) and every part is cut to Slack's limits.
func FormatSlack(a model.Alert) SlackMessage {
	if a.Kind == model.AlertFollowUp {
		return formatFollowUp(a)
	}
	title := titleOf(a.Article)
	header := &slack.TextBlockObject{Type: slack.PlainTextType, Text: fit(title, maxHeader, escapePlain), Emoji: new(false)}
	section := strings.Join([]string{
		"*" + linked(a.Article, fit(title, titleBudget, escapeMrkdwn)) + "*",
		metaLine(a),
	}, "\n")
	if snip := slackSnippet(a); snip != "" {
		section += "\n>" + snip
	}
	return SlackMessage{
		Text: fmt.Sprintf("%s — %s (%s)", fit(title, titleBudget, escapeMrkdwn),
			fit(cleanText(a.Article.Source), sourceBudget, escapeMrkdwn), rulesText(a)),
		Blocks: []slack.Block{
			&slack.HeaderBlock{Type: slack.MBTHeader, Text: header},
			&slack.SectionBlock{Type: slack.MBTSection, Text: mrkdwn(section)},
		},
	}
}

func formatFollowUp(a model.Alert) SlackMessage {
	title := fit(titleOf(a.Article), titleBudget, escapeMrkdwn)
	source := fit(cleanText(a.Article.Source), sourceBudget, escapeMrkdwn)
	return SlackMessage{
		Text: fmt.Sprintf("Also reported by %s: %s", source, title),
		Blocks: []slack.Block{&slack.SectionBlock{Type: slack.MBTSection,
			Text: mrkdwn(fmt.Sprintf("↳ Also reported by *%s*: %s", source, linked(a.Article, title)))}},
	}
}

// mrkdwn returns a mrkdwn text object with verbatim set, so Slack does not
// auto-link URLs, channel names or mentions in it.
func mrkdwn(s string) *slack.TextBlockObject {
	return &slack.TextBlockObject{Type: slack.MarkdownType, Text: s, Verbatim: true}
}

func titleOf(a model.Article) string {
	if t := cleanText(a.Title); t != "" {
		return t
	}
	return "(untitled)"
}

// linked wraps an escaped label in a link to the article when the article
// has a usable http(s) link.
func linked(a model.Article, label string) string {
	link := safeLink(articleLink(a))
	if link == "" || slackLen(link) > linkBudget {
		return label
	}
	return "<" + link + "|" + label + ">"
}

func metaLine(a model.Alert) string {
	return fmt.Sprintf("*Source:* %s  ·  *Published:* %s  ·  *Rules:* %s",
		fit(cleanText(a.Article.Source), sourceBudget, escapeMrkdwn), slackTime(a.Article.Published), rulesText(a))
}

func rulesText(a model.Alert) string {
	return fit(cleanText(strings.Join(a.Rules, ", ")), rulesBudget, escapeMrkdwn)
}

// slackTime shows the time in each reader's time zone, with a UTC fallback.
func slackTime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), plainTime(t))
}

// slackSnippet renders the snippet within snippetBudget, narrowing the
// window when escaping makes it too long.
func slackSnippet(a model.Alert) string {
	for width := snippetRunes; ; width = width * 3 / 4 {
		s := renderSnippet(snippet(a, width), escapeMrkdwn, boldStars)
		if slackLen(s) <= snippetBudget || width < 40 {
			return s // at 40 runes even all-'&' text is far below the budget
		}
	}
}

func boldStars(s string) string { return "*" + s + "*" }
