package matcher

// A program is a rule's query tree with its terms replaced by ids in the
// Matcher's dictionary, so evaluating it against an article compares
// integers instead of strings.

type op uint8

const (
	opWord op = iota
	opPhrase
	opPrefix
	opAnd
	opOr
	opNot
	opNear
	opTitle
	opSource
	opSite
)

type program struct {
	op   op
	id   int32   // opWord, opPrefix: term id
	ids  []int32 // opPhrase: word ids in order
	kids []*program
	n    int    // opNear: distance
	str  string // opSource: folded name; opSite: host
}

// compile turns a query tree into a program, adding its terms to dict.
func compile(n node, dict *dictionary) *program {
	switch n := n.(type) {
	case *wordNode:
		return &program{op: opWord, id: dict.word(n.term)}
	case *prefixNode:
		return &program{op: opPrefix, id: dict.prefix(n.prefix)}
	case *phraseNode:
		p := &program{op: opPhrase}
		for _, t := range n.terms {
			p.ids = append(p.ids, dict.word(t))
		}
		return p
	case *andNode:
		return &program{op: opAnd, kids: compileAll(n.kids, dict)}
	case *orNode:
		return &program{op: opOr, kids: compileAll(n.kids, dict)}
	case *notNode:
		return &program{op: opNot, kids: []*program{compile(n.kid, dict)}}
	case *titleNode:
		return &program{op: opTitle, kids: []*program{compile(n.kid, dict)}}
	case *nearNode:
		return &program{op: opNear, n: n.n, kids: []*program{compile(n.a, dict), compile(n.b, dict)}}
	case *sourceNode:
		return &program{op: opSource, str: foldKey(n.name)}
	case *siteNode:
		return &program{op: opSite, str: n.host}
	}
	panic("matcher: unknown query node")
}

func compileAll(ns []node, dict *dictionary) []*program {
	out := make([]*program, len(ns))
	for i, n := range ns {
		out[i] = compile(n, dict)
	}
	return out
}

// countTerms adds one to the rule frequency of every term p uses, once
// per rule.
func countTerms(p *program, dict *dictionary) {
	seen := map[int32]bool{}
	var walk func(p *program)
	walk = func(p *program) {
		ids := p.ids
		if p.op == opWord || p.op == opPrefix {
			ids = []int32{p.id}
		}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				dict.ruleFreq[id]++
			}
		}
		for _, k := range p.kids {
			walk(k)
		}
	}
	walk(p)
}

// packPrograms copies the rules' programs into three shared arrays (nodes,
// child pointers, phrase ids) in rule order, each tree depth first. Built
// one node at a time while parsing, a program's nodes lie scattered among
// the parser's garbage, so evaluating a candidate rule missed the cache on
// nearly every node; packed, a rule's nodes sit next to each other.
func packPrograms(rules []compiledRule) {
	var nodes, kids, ids int
	var count func(p *program)
	count = func(p *program) {
		nodes++
		kids += len(p.kids)
		ids += len(p.ids)
		for _, k := range p.kids {
			count(k)
		}
	}
	for i := range rules {
		count(rules[i].prog)
	}
	a := programArena{
		nodes: make([]program, nodes),
		kids:  make([]*program, kids),
		ids:   make([]int32, ids),
	}
	for i := range rules {
		rules[i].prog = a.copy(rules[i].prog)
	}
}

type programArena struct {
	nodes []program
	kids  []*program
	ids   []int32
}

// copy moves p into the arena; the arrays were sized exactly, so taking
// from their fronts never reallocates and the pointers stay valid.
func (a *programArena) copy(p *program) *program {
	n := &a.nodes[0]
	a.nodes = a.nodes[1:]
	*n = *p
	if len(p.ids) > 0 {
		n.ids = a.ids[:len(p.ids):len(p.ids)]
		a.ids = a.ids[len(p.ids):]
		copy(n.ids, p.ids)
	}
	if len(p.kids) > 0 {
		n.kids = a.kids[:len(p.kids):len(p.kids)]
		a.kids = a.kids[len(p.kids):]
		for i, k := range p.kids {
			n.kids[i] = a.copy(k)
		}
	}
	return n
}
