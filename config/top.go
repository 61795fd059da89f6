package config

import (
	"net/url"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var topKeys = []string{"state", "listen", "schedule", "max_age", "story_window", "retention", "user_agent", "slack", "flood", "sources", "rules", "hosts"}

// config decodes the top-level mapping into c, which holds the defaults.
func (d *decoder) config(root *yaml.Node, c *Config) {
	m := d.mapping(root, "the config", "", topKeys)
	if e, ok := m["state"]; ok {
		d.state(e, &c.State)
	}
	if e, ok := m["listen"]; ok {
		d.listenAddr(e, &c.Listen)
	}
	if e, ok := m["schedule"]; ok {
		d.schedule(e, &c.Schedule)
	}
	d.ages(m, c)
	if e, ok := m["user_agent"]; ok {
		d.userAgent(e, &c.UserAgent)
	}
	if e, ok := m["hosts"]; ok {
		c.Hosts = d.hosts(e)
	}
	var slackKey *yaml.Node
	if e, ok := m["slack"]; ok {
		slackKey = e.key
		d.slack(e, &c.Slack)
	}
	if e, ok := m["flood"]; ok {
		d.flood(e, &c.Flood)
	}
	var names map[string]string
	if e, ok := m["sources"]; ok {
		c.Sources, names = d.sources(e, c)
	}
	if e, ok := m["rules"]; ok {
		c.Rules = d.rules(e, names)
	}
	d.checkChannels(c, slackKey)
	d.required(root, m)
}

// required refuses a config that watches nothing: without sources or
// without rules a running daemon would silently do nothing until the next
// edit. An empty list counts as missing; a list whose every item is broken
// does not (its items are already reported).
func (d *decoder) required(root *yaml.Node, m map[string]entry) {
	if resolve(root).Kind != yaml.MappingNode {
		return // reported by mapping
	}
	for _, k := range []struct{ key, what string }{
		{"sources", "at least one source (name: and feed: or page:)"},
		{"rules", "at least one rule (name: and query:)"},
	} {
		e, ok := m[k.key]
		switch {
		case !ok:
			d.errAt(root, "no %s: the config needs %s under %s:", k.key, k.what, k.key)
		case e.val.Kind == yaml.SequenceNode && len(e.val.Content) == 0:
			d.errAt(e.key, "no %s: %s: is empty; the config needs %s", k.key, k.key, k.what)
		}
	}
}

func (d *decoder) state(e entry, dst *string) {
	v, ok := d.scalar(e)
	if !ok {
		return
	}
	switch {
	case v.s == "":
		d.errAt(v.node, "%s: must not be empty (a SQLite file such as newswatch.db, or postgres://...)", e.name)
	case isPostgres(v.s):
		// url.Parse errors quote the URL, and with it the password.
		if _, err := url.Parse(v.s); err != nil {
			d.errAt(v.node, "%s: invalid PostgreSQL URL (not shown: it may hold a password)", e.name)
			return
		}
		*dst = v.s
	default:
		*dst = v.s
	}
}

func isPostgres(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// ages decodes max_age, story_window and retention, and checks that
// retention outlives the other two: an item forgotten while still younger
// than max_age would alert again, and a story pruned inside its window
// would turn follow-ups into new alerts.
func (d *decoder) ages(m map[string]entry, c *Config) {
	before := len(d.errs)
	for _, a := range []struct {
		key string
		dst *time.Duration
	}{{"max_age", &c.MaxAge}, {"story_window", &c.StoryWindow}, {"retention", &c.Retention}} {
		if e, ok := m[a.key]; ok {
			d.duration(e, a.dst)
		}
	}
	if len(d.errs) > before {
		return // a bad value already reported; comparing with a default would mislead
	}
	n := m["retention"].val
	if n == nil {
		n = m["max_age"].val
	}
	if n == nil {
		n = m["story_window"].val
	}
	if n != nil && (c.Retention < c.MaxAge || c.Retention < c.StoryWindow) {
		d.errAt(n, "retention (%s) must be at least max_age (%s) and story_window (%s), or forgotten items would alert again",
			shortDuration(c.Retention), shortDuration(c.MaxAge), shortDuration(c.StoryWindow))
	}
}

func (d *decoder) userAgent(e entry, dst *string) {
	v, ok := d.scalar(e)
	switch {
	case !ok:
	case strings.TrimSpace(v.s) == "" || hasControl(v.s):
		d.errAt(v.node, "%s: must be a non-empty single line", e.name)
	default:
		*dst = v.s
	}
}
