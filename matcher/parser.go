package matcher

import (
	"strconv"
	"unicode/utf8"

	"github.com/newswatch/newswatch/urlcanon"
)

// Parse parses a rule query. The error is a *SyntaxError.
func Parse(query string) (*Query, error) {
	toks, err := lex(query)
	if err != nil {
		return nil, err
	}
	p := &parser{q: query, toks: toks}
	if p.peek().kind == tEOF {
		return nil, syntaxError(query, 0, "expected a query")
	}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, "unexpected ')' without a matching '('")
	}
	if !requires(root) {
		return nil, syntaxError(query, 0, "the query requires nothing: expected a word, phrase, source: or site: that must be present")
	}
	return &Query{root: root}, nil
}

// parser is a recursive-descent parser, one method per precedence level:
// or < and < near < unary (NOT, -) < primary.
type parser struct {
	q     string
	toks  []lexToken
	i     int
	depth int // operands being parsed inside one another
}

// maxDepth bounds how deeply groups, NOT and title: nest. Parsing,
// compiling and matching recurse once per level, and a query of a million
// '(' would otherwise overflow the stack, which no recover can catch.
const maxDepth = 100

func (p *parser) peek() lexToken { return p.toks[p.i] }

func (p *parser) next() lexToken {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t lexToken, msg string) *SyntaxError { return syntaxError(p.q, t.off, msg) }

func (p *parser) or() (node, error) {
	kids, err := p.list(tOr, p.and)
	if err != nil || len(kids) == 1 {
		return first(kids), err
	}
	return &orNode{kids: flatten(kids, func(n node) []node {
		if o, ok := n.(*orNode); ok {
			return o.kids
		}
		return nil
	})}, nil
}

func (p *parser) and() (node, error) {
	kids, err := p.list(tAnd, p.near)
	if err != nil || len(kids) == 1 {
		return first(kids), err
	}
	return &andNode{kids: flatten(kids, func(n node) []node {
		if a, ok := n.(*andNode); ok {
			return a.kids
		}
		return nil
	})}, nil
}

// list parses operands joined by op. For AND the operator may be left out:
// any token that can start an operand continues the list.
func (p *parser) list(op tokKind, operand func() (node, error)) ([]node, error) {
	var kids []node
	for {
		n, err := operand()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
		switch t := p.peek(); {
		case t.kind == op:
			p.next()
		case op == tAnd && startsOperand(t.kind):
		default:
			return kids, nil
		}
	}
}

func startsOperand(k tokKind) bool {
	switch k {
	case tLParen, tNot, tMinus, tWord, tPrefix, tPhrase, tTitle, tSource, tSite:
		return true
	}
	return false
}

func (p *parser) near() (node, error) {
	start := p.peek()
	a, err := p.unary()
	if err != nil || p.peek().kind != tNear {
		return a, err
	}
	op := p.next()
	if !nearOperand(a) {
		return nil, p.errAt(start, "expected a word, phrase, prefix or an OR-group of them before NEAR")
	}
	end := p.peek()
	b, err := p.unary()
	if err != nil {
		return nil, err
	}
	if !nearOperand(b) {
		return nil, p.errAt(end, "expected a word, phrase, prefix or an OR-group of them after NEAR")
	}
	if t := p.peek(); t.kind == tNear {
		return nil, p.errAt(t, "NEAR cannot be chained: expected AND, OR or the end of the query")
	}
	return &nearNode{n: op.n, a: a, b: b}, nil
}

// enter counts one level of nesting (a group, NOT or -, title:) before its
// operand is parsed; the caller defers leave. The operand itself (the
// innermost word) is not a level, so exactly maxDepth levels parse.
func (p *parser) enter() error {
	if p.depth++; p.depth > maxDepth {
		return p.errAt(p.peek(), "expected at most "+strconv.Itoa(maxDepth)+" levels of nested groups, NOT and title:")
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// unary parses NOT, - and a primary.
func (p *parser) unary() (node, error) {
	if k := p.peek().kind; k == tNot || k == tMinus {
		p.next()
		defer p.leave()
		if err := p.enter(); err != nil {
			return nil, err
		}
		kid, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &notNode{kid: kid}, nil
	}
	return p.primary()
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch t.kind {
	case tWord, tPhrase:
		return p.words(t)
	case tPrefix:
		return p.prefix(t)
	case tLParen:
		return p.group()
	case tTitle:
		if k := p.peek().kind; k != tWord && k != tPhrase && k != tPrefix && k != tLParen && k != tTitle {
			return nil, p.errAt(p.peek(), "expected a word, phrase, prefix or '(' right after title:")
		}
		defer p.leave()
		if err := p.enter(); err != nil {
			return nil, err
		}
		kid, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &titleNode{kid: kid}, nil
	case tSource:
		return &sourceNode{name: t.text}, nil
	case tSite:
		host, err := urlcanon.Host(t.text)
		if err != nil {
			return nil, p.errAt(t, "expected a host name after site:")
		}
		return &siteNode{host: host}, nil
	case tRParen:
		return nil, p.errAt(t, "expected a word, phrase or '(' before ')'")
	case tEOF:
		return nil, p.errAt(t, "expected a word, phrase or '(' at the end of the query")
	}
	return nil, p.errAt(t, "expected a word, phrase or '(' before "+opName(t))
}

func (p *parser) group() (node, error) {
	defer p.leave()
	if err := p.enter(); err != nil {
		return nil, err
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tRParen {
		return nil, p.errAt(t, "expected ')'")
	}
	return n, nil
}

// words turns a bare word or a quoted phrase into a word node, or a phrase
// node when it normalises to several words (Kremlin-backed).
func (p *parser) words(t lexToken) (node, error) {
	toks := Tokens(t.text)
	switch len(toks) {
	case 0:
		if t.kind == tPhrase {
			return nil, p.errAt(t, "expected letters or digits inside the quotes")
		}
		return nil, p.errAt(t, "expected a word with letters or digits")
	case 1:
		return &wordNode{term: toks[0].Term}, nil
	}
	terms := make([]string, len(toks))
	for i, k := range toks {
		terms[i] = k.Term
	}
	return &phraseNode{terms: terms}, nil
}

// minPrefix is the SPEC's minimum number of letters before '*'; shorter
// prefixes would match a large part of any text.
const minPrefix = 3

func (p *parser) prefix(t lexToken) (node, error) {
	toks := Tokens(t.text)
	if len(toks) > 1 {
		return nil, p.errAt(t, "expected a single word before '*'")
	}
	if len(toks) == 0 || utf8.RuneCountInString(toks[0].Term) < minPrefix {
		return nil, p.errAt(t, "expected at least 3 letters before '*'")
	}
	return &prefixNode{prefix: toks[0].Term}, nil
}

func opName(t lexToken) string {
	switch t.kind {
	case tAnd:
		return "AND"
	case tOr:
		return "OR"
	case tNear:
		return "NEAR"
	}
	return "this"
}

func first(kids []node) node {
	if len(kids) == 0 {
		return nil
	}
	return kids[0]
}

// flatten splices nested nodes of the same operator into their parent, so
// (a AND b) AND c and a AND b AND c are one tree and print the same.
func flatten(kids []node, inner func(node) []node) []node {
	var out []node
	for _, k := range kids {
		if sub := inner(k); sub != nil {
			out = append(out, sub...)
			continue
		}
		out = append(out, k)
	}
	return out
}
