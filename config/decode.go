package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder walks a yaml.Node tree and collects every problem it finds, so
// that one run of `newswatch check` shows them all.
type decoder struct {
	file   string
	lookup func(string) (string, bool)
	lines  []string // the file's lines, to place query errors inside scalars
	errs   Errors

	// rules by name, for the Slack channel cross-check
	ruleInfo map[string]ruleInfo
}

func (d *decoder) errorf(line, col int, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) errAt(n *yaml.Node, format string, args ...any) {
	d.errorf(n.Line, n.Column, format, args...)
}

// ruleInfo is where a rule is, and whether its channel was rejected
// (already reported: no second error for it).
type ruleInfo struct {
	line       int
	badChannel bool
}

// entry is one key: value pair of a mapping; name is the key as messages
// show it ("slack.token").
type entry struct {
	name     string
	key, val *yaml.Node
}

// value is a scalar after ${VAR} expansion.
type value struct {
	s       string
	node    *yaml.Node
	fromEnv bool   // some of s came from the environment: never echo it
	env     []span // where in s the environment's (non-empty) text is
}

// show quotes v for a message, unless it may be a secret.
func (v value) show() string {
	if v.fromEnv {
		return "(value from the environment, not shown)"
	}
	return strconv.Quote(v.s)
}

// resolve follows aliases, so *anchor works wherever its target would.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "nothing"
}

// mapping checks that n is a mapping whose keys are all valid and unique,
// and returns its entries by key. A null value (`key:` with nothing after
// it) counts as absent, so commenting out a section's contents is harmless.
func (d *decoder) mapping(n *yaml.Node, what, prefix string, valid []string) map[string]entry {
	n = resolve(n)
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errAt(n, "%s: expected a mapping of keys (%s), got %s", what, strings.Join(valid, ", "), kindName(n))
		return nil
	}
	out := make(map[string]entry)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		switch prev, dup := out[k.Value]; {
		case k.Kind != yaml.ScalarNode:
			d.errAt(k, "%s: keys must be plain names, got %s", what, kindName(k))
		case k.Tag == "!!merge":
			d.errAt(k, "%s: merge keys (<<) are not supported; write the keys out", what)
		case !slices.Contains(valid, k.Value):
			d.errAt(k, "unknown key %q in %s%s; valid keys: %s", k.Value, what, suggest(k.Value, valid), strings.Join(valid, ", "))
		case dup:
			d.errAt(k, "duplicate key %q in %s (first at line %d)", k.Value, what, prev.key.Line)
		default:
			out[k.Value] = entry{name: prefix + k.Value, key: k, val: v}
		}
	}
	for k, e := range out {
		if isNull(e.val) {
			delete(out, k)
		}
	}
	return out
}

// scalar expands e's value; false when it is not a scalar or expansion failed.
func (d *decoder) scalar(e entry) (value, bool) {
	if e.val.Kind != yaml.ScalarNode {
		d.errAt(e.val, "%s: expected a single value, got %s", e.name, kindName(e.val))
		return value{}, false
	}
	s, env, fromEnv, errs := expandSpans(e.val.Value, d.lookup, isSecretKey(e.name))
	for _, msg := range errs {
		d.errAt(e.val, "%s: %s", e.name, msg)
	}
	return value{s: s, node: e.val, fromEnv: fromEnv, env: env}, len(errs) == 0
}

// sequence returns the items of a list, aliases resolved.
func (d *decoder) sequence(e entry, what string) []*yaml.Node {
	if e.val.Kind != yaml.SequenceNode {
		d.errAt(e.val, "%s: expected a list of %s, got %s", e.name, what, kindName(e.val))
		return nil
	}
	items := make([]*yaml.Node, len(e.val.Content))
	for i, n := range e.val.Content {
		items[i] = resolve(n)
	}
	return items
}

// suggest offers the closest valid key for a typo, if one is close.
func suggest(key string, valid []string) string {
	best, bestDist := "", 3
	for _, v := range valid {
		if dist := editDistance(strings.ToLower(key), strings.ToLower(v)); dist < bestDist {
			best, bestDist = v, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}
