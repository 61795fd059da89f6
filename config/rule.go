package config

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/newswatch/newswatch/matcher"
	"gopkg.in/yaml.v3"
)

var ruleKeys = []string{"name", "query", "channel", "sources", "digest"}

// rules decodes the rules list; sources maps lower-cased source names to
// the names as defined.
func (d *decoder) rules(e entry, sources map[string]string) []Rule {
	folded := make(map[string]*yaml.Node)
	var out []Rule
	for _, n := range d.sequence(e, "rules") {
		r, nameNode, badChannel := d.rule(n, sources)
		if nameNode == nil {
			continue
		}
		key := strings.ToLower(r.Name)
		if first, dup := folded[key]; dup {
			d.errAt(nameNode, "duplicate rule name %q (first defined at line %d)", r.Name, first.Line)
			continue
		}
		folded[key] = nameNode
		d.ruleInfo[r.Name] = ruleInfo{line: nameNode.Line, badChannel: badChannel}
		out = append(out, r)
	}
	return out
}

// rule decodes one rule; nameNode is nil when it has no usable name.
// badChannel reports a channel key whose value was rejected (and reported).
// An empty channel ("" or an unset ${VAR:-}) counts as none.
func (d *decoder) rule(n *yaml.Node, sources map[string]string) (r Rule, nameNode *yaml.Node, badChannel bool) {
	if isNull(n) {
		d.errAt(n, "empty rule; expected name: and query:")
		return r, nil, false
	}
	m := d.mapping(n, "rule", "", ruleKeys)
	if m == nil {
		return r, nil, false
	}
	nameNode = d.name(m, n, "rule", &r.Name)
	if e, ok := m["query"]; ok {
		d.query(e, &r.Query)
	} else {
		d.errAt(n, "rule needs query: (for example 'Witkoff AND Kremlin')")
	}
	if e, ok := m["channel"]; ok {
		before := len(d.errs)
		d.channel(e, &r.Channel)
		badChannel = len(d.errs) > before
	}
	if e, ok := m["sources"]; ok {
		r.Sources = d.ruleSources(e, sources)
	}
	if e, ok := m["digest"]; ok {
		d.digest(e, &r.Digest)
	}
	return r, nameNode, badChannel
}

// query compiles a rule's query now, and places a syntax error at its
// character in the file rather than at the start of the scalar.
func (d *decoder) query(e entry, dst *string) {
	v, ok := d.scalar(e)
	if !ok {
		return
	}
	if strings.TrimSpace(v.s) == "" {
		d.errAt(v.node, "%s: empty query", e.name)
		return
	}
	_, err := matcher.Parse(v.s)
	var se *matcher.SyntaxError
	switch {
	case err == nil:
		*dst = v.s
	case errors.As(err, &se) && v.s == v.node.Value:
		line, col := scalarPos(d.lines, v.node, se.Col)
		d.errorf(line, col, "%s: %s", e.name, se.Msg)
	case errors.As(err, &se):
		// ${VAR} expansion moved the text; the scalar's start is the best we can do.
		d.errAt(v.node, "%s: %s (at column %d of the expanded query)", e.name, se.Msg, se.Col)
	default:
		d.errAt(v.node, "%s: %v", e.name, err)
	}
}

// ruleSources checks that every name in a rule's sources list is defined.
// Case does not matter, as it does not for source: in queries; the name is
// stored as the source spells it.
func (d *decoder) ruleSources(e entry, sources map[string]string) []string {
	items := d.sequence(e, "source names")
	if e.val.Kind == yaml.SequenceNode && len(items) == 0 {
		d.errAt(e.val, "%s: empty list; remove the key to watch every source", e.name)
	}
	known := slices.Sorted(maps.Values(sources))
	defined := "no sources are defined"
	if len(known) > 0 {
		defined = "defined: " + strings.Join(known, ", ")
	}
	var out []string
	for _, n := range items {
		v, ok := d.scalar(entry{name: e.name, key: e.key, val: n})
		switch name, found := sources[strings.ToLower(v.s)]; {
		case !ok:
		case !found:
			d.errAt(n, "%s: no source named %s%s; %s", e.name, v.show(), suggest(v.s, known), defined)
		default:
			out = append(out, name)
		}
	}
	return out
}

// compile builds the matcher once every rule has parsed on its own, so a
// failure here is one no single query shows (the matcher names the rule).
func (d *decoder) compile(c *Config) {
	m, err := matcher.New(c.MatcherRules())
	if err != nil {
		d.errorf(1, 1, "rules: %v", err)
		return
	}
	c.Matcher = m
}
