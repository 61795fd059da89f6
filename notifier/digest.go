package notifier

import (
	"fmt"
	"strings"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/slack-go/slack"
)

// Digest limits. Slack allows 50 blocks a message and 3,000 characters a
// section; issue 14 keeps a digest message within 40,000 characters of
// text overall (the limit of chat.postMessage's text), counted here over
// the fallback and every block's text. The budgets leave room for the
// header and fallback, which are at most maxHeader each.
const (
	maxDigestBlocks   = 50
	maxDigestText     = 40000
	digestTextBudget  = maxDigestText - 2*maxHeader - 100 // sections of one message
	digestEntryBudget = maxSection - 100                  // one story's line, others included
)

// DigestPages splits a digest into parts that each fit one Slack message
// (see FormatDigest), keeping the stories in order and each story whole
// on one line of one part. Every part has Part, Parts and the whole
// digest's Total set; parts after the first are meant for the thread of
// the first (in webhook mode they follow it in the channel). A digest
// with no entries has no parts: nothing is posted when nothing matched.
func DigestPages(d model.Digest) []model.Digest {
	if len(d.Entries) == 0 {
		return nil
	}
	total := d.Articles()
	var pages []model.Digest
	var p packer
	start := 0
	for i, e := range d.Entries {
		if n := slackLen(digestLine(e)); !p.add(n) {
			pages = append(pages, page(d, start, i, total))
			start, p = i, packer{}
			p.add(n) // a line always fits an empty message
		}
	}
	pages = append(pages, page(d, start, len(d.Entries), total))
	for i := range pages {
		pages[i].Part, pages[i].Parts = i+1, len(pages)
	}
	return pages
}

// packer tracks one digest message as FormatDigest fills it: lines go into
// the current section while it stays within maxSection, else into a new
// section block; the message ends at digestTextBudget characters or at 49
// sections (the header is the 50th block; with these budgets the text
// runs out first, since two adjacent sections hold more than maxSection).
type packer struct{ sections, sectionLen, text int }

// add reports whether a line n long fits the message, and adds it if so.
func (p *packer) add(n int) bool {
	if p.sections > 0 && p.sectionLen+1+n <= maxSection {
		if p.text+1+n > digestTextBudget {
			return false
		}
		p.sectionLen, p.text = p.sectionLen+1+n, p.text+1+n
		return true
	}
	if p.sections > 0 && (p.sections+1 > maxDigestBlocks-1 || p.text+n > digestTextBudget) {
		return false
	}
	p.sections, p.sectionLen, p.text = p.sections+1, n, p.text+n
	return true
}

func page(d model.Digest, from, to, total int) model.Digest {
	p := d
	p.Entries = d.Entries[from:to]
	p.Total = total
	return p
}

// FormatDigest renders one part of a digest (from DigestPages) for Slack:
// a header with the heading ("27 more articles matched in the last 10
// minutes", "12 articles matched ukraine-broad since 08:00 UTC", with
// "(2/3)" on split digests), then sections of one line per story: its
// linked title in bold, its source and its rules, and "… and N other
// outlets" with those outlets linked. Article text is escaped as in
// alerts and every mrkdwn object is verbatim.
func FormatDigest(d model.Digest) SlackMessage {
	heading := digestHeading(d)
	blocks := []slack.Block{&slack.HeaderBlock{Type: slack.MBTHeader,
		Text: &slack.TextBlockObject{Type: slack.PlainTextType, Text: fitHeading(heading, d, maxHeader, escapePlain), Emoji: new(false)}}}
	var section strings.Builder
	flush := func() {
		if section.Len() > 0 {
			blocks = append(blocks, &slack.SectionBlock{Type: slack.MBTSection, Text: mrkdwn(section.String())})
			section.Reset()
		}
	}
	var p packer // the same packing DigestPages planned the part with
	for _, e := range d.Entries {
		line := digestLine(e)
		n := slackLen(line)
		if !p.add(n) { // only for a digest not split by DigestPages
			p = packer{}
			p.add(n)
		}
		if p.sectionLen == n { // the line starts a section
			flush()
		} else {
			section.WriteByte('\n')
		}
		section.WriteString(line)
	}
	flush()
	return SlackMessage{Text: fitHeading(heading, d, maxHeader, escapeMrkdwn), Blocks: blocks}
}

// fitHeading cuts the heading to limit, keeping the part number whole.
func fitHeading(heading string, d model.Digest, limit int, esc func(string) string) string {
	suffix := partSuffix(d)
	return fit(heading, limit-slackLen(suffix), esc) + suffix
}

func partSuffix(d model.Digest) string {
	if d.Parts <= 1 {
		return ""
	}
	return fmt.Sprintf(" (%d/%d)", d.Part, d.Parts)
}

// digestLine is one story of a digest in mrkdwn, at most digestEntryBudget
// long: every part is budgeted as in alerts, and the other outlets are
// linked by name while the line has room (with ordinary links, dozens);
// the count always includes them all.
func digestLine(e model.DigestEntry) string {
	title := fit(titleOf(e.Article), titleBudget, escapeMrkdwn)
	line := fmt.Sprintf("• *%s* — %s · %s", linked(e.Article, title),
		fit(sourceOf(e.Article), sourceBudget, escapeMrkdwn), fit(cleanText(strings.Join(e.Rules, ", ")), rulesBudget, escapeMrkdwn))
	if len(e.Others) == 0 {
		return line
	}
	line += fmt.Sprintf(" … and %d other %s", len(e.Others), plural(len(e.Others), "outlet", "outlets"))
	sep := ": "
	for _, o := range e.Others {
		name := linked(o, fit(sourceOf(o), sourceBudget, escapeMrkdwn))
		if slackLen(line)+slackLen(sep+name)+4 > digestEntryBudget {
			line += sep[:1] + " …" // ", …" or ": …"
			break
		}
		line += sep + name
		sep = ", "
	}
	return line
}

func sourceOf(a model.Article) string {
	if s := cleanText(a.Source); s != "" {
		return s
	}
	return "(unknown source)"
}

// digestHeading says how many articles and since when, unescaped.
func digestHeading(d model.Digest) string {
	n := d.Articles()
	if d.Rule == "" {
		return fmt.Sprintf("%d more %s matched in the last %s", n, plural(n, "article", "articles"), spanText(d.Until.Sub(d.Since)))
	}
	h := fmt.Sprintf("%d %s matched %s", n, plural(n, "article", "articles"), cleanText(d.Rule))
	if !d.Since.IsZero() {
		h += " since " + sinceText(d.Since, d.Until)
	}
	return h
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// spanText writes a window's length the way people say it after "in the
// last": "10 minutes", "hour", "1 hour 30 minutes", "45 seconds", "2 days".
func spanText(d time.Duration) string {
	d = d.Round(time.Second)
	units := []struct {
		size      time.Duration
		one, many string
	}{{24 * time.Hour, "day", "days"}, {time.Hour, "hour", "hours"}, {time.Minute, "minute", "minutes"}, {time.Second, "second", "seconds"}}
	var parts []string
	for _, u := range units {
		if n := int(d / u.size); n > 0 && len(parts) < 2 {
			parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, u.one, u.many)))
			d -= time.Duration(n) * u.size
		}
	}
	switch {
	case len(parts) == 0:
		return "moment"
	case len(parts) == 1 && strings.HasPrefix(parts[0], "1 "):
		return parts[0][2:] // "the last hour", not "the last 1 hour"
	}
	return strings.Join(parts, " ")
}

// sinceText is "08:00 UTC", with the date when the digest spans days.
func sinceText(since, until time.Time) string {
	since, until = since.UTC(), until.UTC()
	if since.YearDay() == until.YearDay() && since.Year() == until.Year() {
		return since.Format("15:04 MST")
	}
	return since.Format("2 Jan 15:04 MST")
}
