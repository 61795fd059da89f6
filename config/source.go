package config

import (
	"strings"

	"github.com/andybalholm/cascadia"
	"github.com/newswatch/newswatch/model"
	"gopkg.in/yaml.v3"
)

var sourceKeys = []string{"name", "feed", "page", "links", "title", "body", "schedule", "max_articles", "allow_private"}

// sources decodes the sources list. Names are unique regardless of case,
// because the matcher folds case in source:NAME. It returns every
// well-formed name, lower-cased, mapped to its spelling, even for otherwise
// broken sources, so that rules naming them get no second, misleading error.
func (d *decoder) sources(e entry, c *Config) ([]model.Source, map[string]string) {
	names := make(map[string]string)
	folded := make(map[string]*yaml.Node)
	var out []model.Source
	for _, n := range d.sequence(e, "sources") {
		s, nameNode := d.source(n, c.Schedule)
		if nameNode == nil {
			continue
		}
		key := strings.ToLower(s.Name)
		if first, dup := folded[key]; dup {
			d.errAt(nameNode, "duplicate source name %q (first defined at line %d)", s.Name, first.Line)
			continue
		}
		folded[key], names[key] = nameNode, s.Name
		out = append(out, s)
	}
	return out, names
}

// source decodes one source; nameNode is nil when it has no usable name.
func (d *decoder) source(n *yaml.Node, defSchedule string) (s model.Source, nameNode *yaml.Node) {
	if isNull(n) {
		d.errAt(n, "empty source; expected name: and feed: or page:")
		return s, nil
	}
	m := d.mapping(n, "source", "", sourceKeys)
	if m == nil {
		return s, nil
	}
	nameNode = d.name(m, n, "source", &s.Name)
	s.Schedule, s.MaxArticles = defSchedule, DefaultMaxArticles
	d.sourceURL(m, n, &s)
	if _, isPage := m["page"]; isPage { // feeds with selectors are reported by sourceURL
		d.selectors(m, &s)
	}
	if e, ok := m["schedule"]; ok {
		d.schedule(e, &s.Schedule)
	}
	if e, ok := m["max_articles"]; ok {
		d.integer(e, &s.MaxArticles, 1)
	}
	if e, ok := m["allow_private"]; ok {
		// Set, even to false: false then overrides the trust an IP-literal
		// or localhost URL gets when the key is absent.
		s.PrivateSet = d.boolean(e, &s.AllowPrivate)
	}
	return s, nameNode
}

// name decodes the name key shared by sources and rules.
func (d *decoder) name(m map[string]entry, n *yaml.Node, what string, dst *string) *yaml.Node {
	e, ok := m["name"]
	if !ok {
		d.errAt(n, "%s: missing name", what)
		return nil
	}
	v, ok := d.scalar(e)
	switch {
	case !ok:
		return nil
	case !validName(v.s):
		d.errAt(v.node, "name: %s is not a valid %s name (use letters, digits, '-', '_' and '.')", v.show(), what)
		return nil
	}
	*dst = v.s
	return v.node
}

// sourceURL decodes feed or page (exactly one of them), and notes in
// s.SecretParams the query parameters the environment filled.
func (d *decoder) sourceURL(m map[string]entry, n *yaml.Node, s *model.Source) {
	feed, isFeed := m["feed"]
	page, isPage := m["page"]
	switch {
	case isFeed && isPage:
		d.errAt(later(feed, page).key, "source has both feed and page; set one of them")
		return
	case !isFeed && !isPage:
		d.errAt(n, "source needs feed: (an RSS, Atom or JSON feed URL) or page: (a web page whose links lead to articles)")
		return
	case isPage:
		if _, ok := m["links"]; !ok {
			d.errAt(page.key, "page source needs links: (a CSS selector for the article links on the page)")
		}
		s.SecretParams = d.url(page, &s.Page)
		return
	}
	for _, k := range []string{"links", "title", "body"} {
		if e, ok := m[k]; ok {
			d.errAt(e.key, "%s: only page sources take CSS selectors; this source has feed:", k)
		}
	}
	s.SecretParams = d.url(feed, &s.Feed)
}

func later(a, b entry) entry {
	if b.key.Line > a.key.Line || b.key.Line == a.key.Line && b.key.Column > a.key.Column {
		return b
	}
	return a
}

// url decodes a source URL and returns the query parameters whose values
// came from the environment (see envParams).
func (d *decoder) url(e entry, dst *string) []string {
	v, ok := d.scalar(e)
	if !ok || !d.httpURL(e.name, v, false) {
		return nil
	}
	*dst = v.s
	return envParams(v.s, v.env)
}

// selectors compiles the CSS selectors now, with the same cascadia parser
// goquery (and so colly) uses, so a typo fails at load and not at crawl.
func (d *decoder) selectors(m map[string]entry, s *model.Source) {
	for _, f := range []struct {
		key string
		dst *string
	}{{"links", &s.Links}, {"title", &s.Title}, {"body", &s.Body}} {
		e, ok := m[f.key]
		if !ok {
			continue
		}
		v, ok := d.scalar(e)
		if !ok {
			continue
		}
		if strings.TrimSpace(v.s) == "" {
			d.errAt(v.node, "%s: empty CSS selector", e.name)
			continue
		}
		if _, err := cascadia.Compile(v.s); err != nil {
			d.errAt(v.node, "%s: invalid CSS selector %s: %v", e.name, v.show(), err)
			continue
		}
		*f.dst = v.s
	}
}
