package matcher

import (
	"math"
	"unicode/utf8"
)

// The presearcher picks, for every rule, a cover: a set of atoms at least
// one of which is present in any article the rule matches. An article then
// only evaluates the rules whose cover it hits. An atom is a dictionary
// term, a source name or a site host.

type atomKind uint8

const (
	atomTerm atomKind = iota
	atomSource
	atomSite
)

type atom struct {
	kind atomKind
	id   int32  // atomTerm
	str  string // atomSource (folded), atomSite (host)
}

// cover returns the atoms for p and their cost (a guess at how often they
// will fire), or ok=false when p requires nothing.
func cover(p *program, dict *dictionary) (atoms []atom, cost float64, ok bool) {
	switch p.op {
	case opWord, opPrefix:
		return []atom{{kind: atomTerm, id: p.id}}, termCost(dict, p.id), true
	case opPhrase:
		return phraseCover(p, dict)
	case opAnd:
		return andCover(p.kids, dict)
	case opOr:
		return orCover(p.kids, dict)
	case opNear:
		return andCover(p.kids, dict)
	case opTitle:
		return cover(p.kids[0], dict)
	case opSource:
		return []atom{{kind: atomSource, str: p.str}}, sourceCost, true
	case opSite:
		return []atom{{kind: atomSite, str: p.str}}, sourceCost, true
	}
	return nil, 0, false // opNot
}

// termCost guesses how often a term occurs in articles, with no corpus to
// count. Long words tend to be rarer than short ones; very common words
// (stopwords) are nearly everywhere; a term many rules mention is a popular
// subject (Putin, Ukraine), so likely frequent in the news too; a prefix
// matches several words. Picking the rarest term of an AND keeps the
// candidate lists of popular terms short.
func termCost(dict *dictionary, id int32) float64 {
	t := dict.terms[id]
	c := 1 + 8/float64(utf8.RuneCountInString(t)) + math.Log2(float64(dict.ruleFreq[id]))
	if dict.isPrefix[id] {
		c += 2
	}
	if isStopword(t) {
		c += 20
	}
	return c
}

// A phrase is covered by its rarest-looking word.
func phraseCover(p *program, dict *dictionary) ([]atom, float64, bool) {
	best := p.ids[0]
	for _, id := range p.ids[1:] {
		if termCost(dict, id) < termCost(dict, best) {
			best = id
		}
	}
	return []atom{{kind: atomTerm, id: best}}, termCost(dict, best), true
}

// AND needs all of its operands, so the cheapest operand's cover suffices.
func andCover(kids []*program, dict *dictionary) ([]atom, float64, bool) {
	var best []atom
	var bestCost float64
	found := false
	for _, k := range kids {
		atoms, cost, ok := cover(k, dict)
		if ok && (!found || cost < bestCost) {
			best, bestCost, found = atoms, cost, true
		}
	}
	return best, bestCost, found
}

// OR needs one of its operands, so it needs the union of their covers.
func orCover(kids []*program, dict *dictionary) ([]atom, float64, bool) {
	var all []atom
	var total float64
	for _, k := range kids {
		atoms, cost, ok := cover(k, dict)
		if !ok {
			return nil, 0, false
		}
		all = append(all, atoms...)
		total += cost
	}
	return all, total, true
}

// sourceCost makes source: and site: the cover of last resort: one source
// supplies a large share of all articles, far more than any name.
const sourceCost = 40
