package matcher

import (
	"github.com/newswatch/newswatch/model"
)

// eval is the compiled counterpart of plainDoc.eval: the same semantics,
// over term ids and occurrence lists instead of strings.
func (s *state) eval(p *program, mask uint8) bool {
	switch p.op {
	case opWord, opPrefix:
		for o := s.first(p.id); o >= 0; o = s.occNext[o] {
			if inMask(mask, s.occField[o]) {
				return true
			}
		}
		return false
	case opPhrase:
		_, found := s.phrase(p, mask, nil, true)
		return found
	case opAnd:
		for _, k := range p.kids {
			if !s.eval(k, mask) {
				return false
			}
		}
		return true
	case opOr:
		for _, k := range p.kids {
			if s.eval(k, mask) {
				return true
			}
		}
		return false
	}
	return s.evalOther(p, mask)
}

func (s *state) evalOther(p *program, mask uint8) bool {
	switch p.op {
	case opNot:
		return !s.eval(p.kids[0], mask)
	case opTitle:
		return s.eval(p.kids[0], mask&maskTitle)
	case opNear:
		return s.nearPairs(p, mask, false)
	case opSource:
		return s.source == p.str
	case opSite:
		return hostMatches(s.host(), p.str)
	}
	return false
}

// phrase appends the phrase's occurrences to out and reports whether there
// were any; with firstOnly it stops at the first.
func (s *state) phrase(p *program, mask uint8, out []interval, firstOnly bool) ([]interval, bool) {
	found := false
	for o := s.first(p.ids[0]); o >= 0; o = s.occNext[o] {
		f, pos := s.occField[o], s.occPos[o]
		if !inMask(mask, f) || !s.phraseAt(f, pos, p.ids) {
			continue
		}
		if found = true; firstOnly {
			return out, true
		}
		out = append(out, s.interval(f, pos, pos+int32(len(p.ids))-1))
	}
	return out, found
}

func (s *state) phraseAt(f model.Field, pos int32, ids []int32) bool {
	terms := s.posTerm[f]
	if int(pos)+len(ids) > len(terms) {
		return false
	}
	for i, id := range ids {
		if terms[int(pos)+i] != id {
			return false
		}
	}
	return true
}

// occurrences appends where a positional program (word, prefix, phrase,
// title: or OR of them) occurs within mask.
func (s *state) occurrences(p *program, mask uint8, out []interval) []interval {
	switch p.op {
	case opWord, opPrefix:
		for o := s.first(p.id); o >= 0; o = s.occNext[o] {
			if f := s.occField[o]; inMask(mask, f) {
				out = append(out, s.interval(f, s.occPos[o], s.occPos[o]))
			}
		}
	case opPhrase:
		out, _ = s.phrase(p, mask, out, false)
	case opOr:
		for _, k := range p.kids {
			out = s.occurrences(k, mask, out)
		}
	case opTitle:
		out = s.occurrences(p.kids[0], mask&maskTitle, out)
	}
	return out
}

// collect appends to s.spans the occurrences that made a matching program
// match; negated parts contribute nothing.
func (s *state) collect(p *program, mask uint8) {
	switch p.op {
	case opAnd:
		for _, k := range p.kids {
			s.collect(k, mask)
		}
	case opOr:
		for _, k := range p.kids {
			if s.eval(k, mask) {
				s.collect(k, mask)
			}
		}
	case opTitle:
		s.collect(p.kids[0], mask&maskTitle)
	case opNear:
		s.nearPairs(p, mask, true)
	case opWord, opPrefix, opPhrase:
		s.ivA = s.occurrences(p, mask, s.ivA[:0])
		for _, iv := range s.ivA {
			s.spans = append(s.spans, iv.span())
		}
	}
}
