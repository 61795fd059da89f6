package matcher

import (
	"slices"
	"strings"

	"github.com/newswatch/newswatch/model"
)

// The plain evaluator walks the query tree over the article's token lists.
// It is the reference semantics: simple enough to trust, used by the
// property test against the compiled Matcher and as the naive baseline in
// benchmarks. Its cost grows with the rule count, so the daemon never uses it.

// plainDoc is an article tokenised for the plain evaluator.
type plainDoc struct {
	fields [len(fields)][]Token
	source string
	host   string
}

func newPlainDoc(a *model.Article) *plainDoc {
	d := &plainDoc{source: a.Source, host: articleHost(a)}
	for _, f := range fields {
		d.fields[f] = Tokens(a.Text(f))
	}
	return d
}

// match evaluates q and returns its spans, sorted and without duplicates.
func (q *Query) match(d *plainDoc) ([]model.Span, bool) {
	if !d.eval(q.root, maskAll) {
		return nil, false
	}
	var spans []model.Span
	d.spans(q.root, maskAll, &spans)
	return sortSpans(spans), true
}

func (d *plainDoc) eval(n node, mask uint8) bool {
	switch n := n.(type) {
	case *andNode:
		for _, k := range n.kids {
			if !d.eval(k, mask) {
				return false
			}
		}
		return true
	case *orNode:
		for _, k := range n.kids {
			if d.eval(k, mask) {
				return true
			}
		}
		return false
	case *notNode:
		return !d.eval(n.kid, mask)
	case *titleNode:
		return d.eval(n.kid, mask&maskTitle)
	case *nearNode:
		return len(d.nearPairs(n, mask)) > 0
	case *sourceNode:
		return foldKey(d.source) == foldKey(n.name)
	case *siteNode:
		return hostMatches(d.host, n.host)
	}
	return len(d.occurrences(n, mask)) > 0
}

// spans appends the occurrences that made a matching node match. Negated
// parts contribute nothing.
func (d *plainDoc) spans(n node, mask uint8, out *[]model.Span) {
	switch n := n.(type) {
	case *andNode:
		for _, k := range n.kids {
			d.spans(k, mask, out)
		}
	case *orNode:
		for _, k := range n.kids {
			if d.eval(k, mask) {
				d.spans(k, mask, out)
			}
		}
	case *titleNode:
		d.spans(n.kid, mask&maskTitle, out)
	case *nearNode:
		for _, iv := range d.nearPairs(n, mask) {
			*out = append(*out, iv.span())
		}
	case *wordNode, *phraseNode, *prefixNode:
		for _, iv := range d.occurrences(n, mask) {
			*out = append(*out, iv.span())
		}
	}
}

// nearPairs returns both occurrences of every pair within the distance.
func (d *plainDoc) nearPairs(n *nearNode, mask uint8) []interval {
	as, bs := d.occurrences(n.a, mask), d.occurrences(n.b, mask)
	var out []interval
	for _, a := range as {
		for _, b := range bs {
			if near(a, b, n.n) {
				out = append(out, a, b)
			}
		}
	}
	return out
}

// occurrences lists where a positional node (word, phrase, prefix, title:
// or OR of them) occurs in the fields of mask.
func (d *plainDoc) occurrences(n node, mask uint8) []interval {
	var out []interval
	switch n := n.(type) {
	case *orNode:
		for _, k := range n.kids {
			out = append(out, d.occurrences(k, mask)...)
		}
		return out
	case *titleNode:
		return d.occurrences(n.kid, mask&maskTitle)
	}
	for _, f := range fields {
		if inMask(mask, f) {
			out = d.fieldOccurrences(n, f, out)
		}
	}
	return out
}

func (d *plainDoc) fieldOccurrences(n node, f model.Field, out []interval) []interval {
	toks := d.fields[f]
	for i, t := range toks {
		switch n := n.(type) {
		case *wordNode:
			if t.Term == n.term {
				out = append(out, interval{f, i, i, t.Start, t.End})
			}
		case *prefixNode:
			if strings.HasPrefix(t.Term, n.prefix) {
				out = append(out, interval{f, i, i, t.Start, t.End})
			}
		case *phraseNode:
			if phraseAt(toks, i, n.terms) {
				last := toks[i+len(n.terms)-1]
				out = append(out, interval{f, i, i + len(n.terms) - 1, t.Start, last.End})
			}
		}
	}
	return out
}

func phraseAt(toks []Token, i int, terms []string) bool {
	if i+len(terms) > len(toks) {
		return false
	}
	for j, term := range terms {
		if toks[i+j].Term != term {
			return false
		}
	}
	return true
}

// sortSpans orders spans by field and position and drops duplicates.
func sortSpans(s []model.Span) []model.Span {
	slices.SortFunc(s, func(a, b model.Span) int {
		if a.Field != b.Field {
			return int(a.Field) - int(b.Field)
		}
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.End - b.End
	})
	return slices.Compact(s)
}
