package matcher

import (
	"strconv"
	"strings"
)

// Query is a parsed rule query. Build one with Parse.
type Query struct {
	root node
}

// node is one operator or operand of a query tree. Words, phrases and
// prefixes hold normalised terms, so matching never normalises a query again.
type node interface {
	// write appends the canonical form; level is the binding strength the
	// context needs, and a weaker node wraps itself in parentheses.
	write(b *strings.Builder, level int)
}

// Binding strengths, weakest first, as in the SPEC: OR, AND, NEAR, NOT.
const (
	levelOr = iota
	levelAnd
	levelNear
	levelNot
	levelAtom
)

type (
	wordNode   struct{ term string }
	phraseNode struct{ terms []string } // at least two terms
	prefixNode struct{ prefix string }
	andNode    struct{ kids []node } // at least two; never directly nested
	orNode     struct{ kids []node } // at least two; never directly nested
	notNode    struct{ kid node }
	nearNode   struct {
		n    int
		a, b node
	}
	titleNode  struct{ kid node }
	sourceNode struct{ name string }
	siteNode   struct{ host string }
)

// String returns the canonical form of the query: normalised terms,
// upper-case operators and only the parentheses the tree needs.
// Parse(q.String()) gives the same tree.
func (q *Query) String() string {
	var b strings.Builder
	q.root.write(&b, levelOr)
	return b.String()
}

func (n *wordNode) write(b *strings.Builder, _ int)   { b.WriteString(n.term) }
func (n *prefixNode) write(b *strings.Builder, _ int) { b.WriteString(n.prefix + "*") }

func (n *phraseNode) write(b *strings.Builder, _ int) {
	b.WriteString(`"` + strings.Join(n.terms, " ") + `"`)
}

func (n *andNode) write(b *strings.Builder, level int) {
	writeList(b, level, levelAnd, " AND ", n.kids)
}
func (n *orNode) write(b *strings.Builder, level int) { writeList(b, level, levelOr, " OR ", n.kids) }

func writeList(b *strings.Builder, level, own int, sep string, kids []node) {
	open(b, level > own)
	for i, k := range kids {
		if i > 0 {
			b.WriteString(sep)
		}
		k.write(b, own+1)
	}
	closeParen(b, level > own)
}

func (n *notNode) write(b *strings.Builder, level int) {
	open(b, level > levelNot)
	b.WriteString("NOT ")
	n.kid.write(b, levelNot)
	closeParen(b, level > levelNot)
}

func (n *nearNode) write(b *strings.Builder, level int) {
	open(b, level > levelNear)
	n.a.write(b, levelNot)
	b.WriteString(" NEAR/" + strconv.Itoa(n.n) + " ")
	n.b.write(b, levelNot)
	closeParen(b, level > levelNear)
}

func (n *titleNode) write(b *strings.Builder, _ int) {
	b.WriteString("title:")
	n.kid.write(b, levelAtom)
}

func (n *sourceNode) write(b *strings.Builder, _ int) { b.WriteString("source:" + quoteValue(n.name)) }
func (n *siteNode) write(b *strings.Builder, _ int)   { b.WriteString("site:" + quoteValue(n.host)) }

func open(b *strings.Builder, paren bool) {
	if paren {
		b.WriteByte('(')
	}
}

func closeParen(b *strings.Builder, paren bool) {
	if paren {
		b.WriteByte(')')
	}
}

// quoteValue quotes a source: or site: value when it would not lex back as
// one bare value.
func quoteValue(v string) string {
	if strings.IndexFunc(v, endsBare) < 0 && v != "" {
		return v
	}
	return `"` + v + `"`
}
