package notifier

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode"

	"github.com/newswatch/newswatch/termtext"
)

// Escaping policy for Slack mrkdwn. Slack has no backslash escapes, so:
//   - &, < and > become &amp;, &lt; and &gt; (Slack's own rule): article text
//     can then never form <!channel>, <!here>, <@U123> or <url|label>;
//   - the formatting characters * _ ~ ` become look-alikes (∗ ˍ ∼ ˋ), so an
//     article cannot bold, italicise, strike or code-format itself and our
//     own *bold* markers around matched words stay balanced;
//   - a bare @channel, @here or @everyone gets an invisible word joiner after
//     the @, and every mrkdwn object is sent with verbatim: true, so Slack
//     does not auto-link mentions or channel names either.
var mrkdwnReplacer = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"*", "∗", "_", "ˍ", "~", "∼", "`", "ˋ",
)

var broadcastRe = regexp.MustCompile(`(?i)@(channel|here|everyone)\b`)

// escapeMrkdwn makes text inert in Slack mrkdwn (see the policy above). The
// text should already be cleaned with cleanText.
func escapeMrkdwn(s string) string {
	s = mrkdwnReplacer.Replace(s)
	return broadcastRe.ReplaceAllString(s, "@\u2060$1")
}

// escapePlain escapes text for a plain_text object: Slack decodes the three
// entities there too, and the broadcast words are neutralised as in mrkdwn.
func escapePlain(s string) string {
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
	return broadcastRe.ReplaceAllString(s, "@\u2060$1")
}

// cleanText collapses runs of white space (newlines included) to one space,
// trims the ends and drops control and bidi characters (termtext.IsControl,
// the one definition shared with terminal output), so article
// text can neither break our layout nor send escape sequences to a terminal.
func cleanText(s string) string {
	return strings.TrimSpace(collapseSpace(s))
}

// collapseSpace is cleanText without the trim: a leading or trailing run of
// white space stays as one space.
func collapseSpace(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		case termtext.IsControl(r):
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// maxLinkLen is the longest URL we put in a message; longer ones are dropped.
const maxLinkLen = 2000

// safeLink returns u ready to go inside Slack's <url|label>, or "" when u is
// not an absolute http or https URL. Characters that could end the link
// (|, <, >, spaces, quotes) are percent-encoded and & becomes &amp;.
func safeLink(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || len(raw) > maxLinkLen {
		return ""
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return ""
	}
	var b strings.Builder
	for _, r := range raw {
		switch {
		case r == '|' || r == '<' || r == '>' || r == '"' || r == '\'' || r == ' ' || r == '`':
			fmt.Fprintf(&b, "%%%02X", r)
		case unicode.IsSpace(r) || termtext.IsControl(r):
			return ""
		case r == '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// plainLink returns u for stdout: an http(s) URL cleaned of control
// characters, or "" when it is not one.
func plainLink(raw string) string {
	if safeLink(raw) == "" {
		return ""
	}
	return cleanText(raw)
}
