package config

import (
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"
)

var slackKeys = []string{"token", "webhook_url", "channel", "api_url", "give_up_after"}

// minGiveUpAfter is the shortest slack.give_up_after: less would fail
// alerts over one Retry-After.
const minGiveUpAfter = 10 * time.Minute

// isSecretKey reports the keys whose values are secrets: no message ever
// quotes any part of them.
func isSecretKey(name string) bool { return name == "slack.token" || name == "slack.webhook_url" }

// slack decodes the slack section. An empty token and webhook_url (the
// usual ${SLACK_BOT_TOKEN:-} when the variable is unset) mean stdout mode.
func (d *decoder) slack(e entry, s *Slack) {
	m := d.mapping(e.val, "slack", "slack.", slackKeys)
	if e, ok := m["token"]; ok {
		d.token(e, &s.Token)
	}
	if e, ok := m["webhook_url"]; ok {
		d.webhook(e, &s.WebhookURL)
	}
	if e, ok := m["channel"]; ok {
		d.channel(e, &s.Channel)
	}
	if e, ok := m["api_url"]; ok {
		d.apiURL(e, &s.APIURL)
	}
	if e, ok := m["give_up_after"]; ok {
		before := s.GiveUpAfter
		d.duration(e, &s.GiveUpAfter)
		if s.GiveUpAfter != before && s.GiveUpAfter < minGiveUpAfter {
			d.errAt(e.val, "slack.give_up_after: must be at least %s, got %s", shortDuration(minGiveUpAfter), shortDuration(s.GiveUpAfter))
			s.GiveUpAfter = before
		}
	}
}

// token checks the bot token's shape without ever showing it; a stray
// newline from `export TOKEN=$(cat file)` is the usual mistake.
func (d *decoder) token(e entry, dst *string) {
	v, ok := d.scalar(e)
	switch {
	case !ok:
	case strings.ContainsFunc(v.s, unicode.IsSpace) || hasControl(v.s):
		d.errAt(v.node, "%s: contains spaces or control characters (value not shown; check for a trailing newline)", e.name)
	default:
		*dst = v.s
	}
}

// webhook checks the incoming-webhook URL, which is itself a secret. Plain
// http is allowed only to loopback, for tests against a local server.
func (d *decoder) webhook(e entry, dst *string) {
	v, ok := d.scalar(e)
	if !ok || v.s == "" {
		return
	}
	if !d.httpURL(e.name, v, true) {
		return
	}
	if !d.httpsOrLoopback(e.name, v) {
		return
	}
	*dst = v.s
}

// httpsOrLoopback refuses plain http except to loopback (tests against a
// local server): a secret (the webhook's path, the bot token) goes with
// every request.
func (d *decoder) httpsOrLoopback(name string, v value) bool {
	if u, _ := url.Parse(v.s); u.Scheme != "https" && !isLoopback(u.Hostname()) {
		d.errAt(v.node, "%s: must be an https:// URL (http:// only to localhost)", name)
		return false
	}
	return true
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (d *decoder) channel(e entry, dst *string) {
	v, ok := d.scalar(e)
	switch {
	case !ok:
	case strings.ContainsFunc(v.s, unicode.IsSpace) || hasControl(v.s) || v.s == "#":
		d.errAt(v.node, "%s: expected a channel such as \"#news-alerts\" or an ID such as C0123ABCD, got %s", e.name, v.show())
	default:
		*dst = v.s
	}
}

// apiURL checks the Web API base URL, to which the bot token is sent, and
// gives it the trailing slash slack-go needs to join method names onto it.
func (d *decoder) apiURL(e entry, dst *string) {
	v, ok := d.scalar(e)
	if !ok || v.s == "" || !d.httpURL(e.name, v, false) || !d.httpsOrLoopback(e.name, v) {
		return
	}
	if !strings.HasSuffix(v.s, "/") {
		v.s += "/"
	}
	*dst = v.s
}

// checkChannels fills each rule's channel with slack.channel, and requires
// slack.channel in token mode when a rule has none: chat.postMessage needs
// a channel, and finding out at the first alert is too late.
func (d *decoder) checkChannels(c *Config, slackKey *yaml.Node) {
	if c.Slack.Mode() == "webhook" {
		for i, r := range c.Rules {
			c.webhookFolded = c.webhookFolded || r.Channel != "" && r.Channel != c.Slack.Channel
			c.Rules[i].Channel = c.Slack.Channel
		}
		return
	}
	for i, r := range c.Rules {
		info := d.ruleInfo[r.Name]
		if r.Channel != "" || info.badChannel {
			continue
		}
		if c.Slack.Token != "" && c.Slack.Channel == "" {
			d.errAt(slackKey, "slack.channel: required with a bot token, since rule %q (line %d) sets no channel", r.Name, info.line)
			return
		}
		c.Rules[i].Channel = c.Slack.Channel
	}
}
