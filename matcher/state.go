package matcher

import (
	"github.com/newswatch/newswatch/model"
)

// state is the scratch space for matching one article: its tokens, the
// occurrences of dictionary terms and the candidate rules. States are
// pooled and reused, so matching allocates little. Arrays indexed by term
// or rule carry a generation stamp instead of being cleared per article.
type state struct {
	m       *Matcher
	article *model.Article
	source  string // the article's source, folded
	gen     uint32
	toks    [len(fields)]tokenizer
	posTerm [len(fields)][]int32 // word term id at each position, -1 if none

	// Occurrences of a term form a linked list: slots[id].head is the
	// newest, occNext links to older ones. Valid only where
	// slots[id].stamp == gen.
	slots    []termSlot
	occField []model.Field
	occPos   []int32
	occNext  []int32
	terms    []int32 // term ids seen in this article

	candStamp []uint32 // by rule
	cands     []int32

	hits     []int32
	ivA, ivB []interval
	markA    []int32 // NEAR: difference arrays over ivA and ivB
	markB    []int32
	spans    []model.Span
	hostDone bool
	hostName string
}

// termSlot keeps a term's stamp and list head side by side: one cache miss
// per term rather than two, which counts with 100,000 rules.
type termSlot struct {
	stamp uint32
	head  int32
}

func (m *Matcher) newState() *state {
	return &state{
		m:         m,
		slots:     make([]termSlot, len(m.dict.terms)),
		candStamp: make([]uint32, len(m.rules)),
	}
}

// load tokenises the article and records where dictionary terms occur.
func (s *state) load(a *model.Article) {
	s.nextGen()
	s.article, s.source, s.hostDone = a, foldKey(a.Source), false
	s.occField, s.occPos, s.occNext = s.occField[:0], s.occPos[:0], s.occNext[:0]
	s.terms, s.cands = s.terms[:0], s.cands[:0]
	for _, f := range fields {
		t := &s.toks[f]
		t.reset()
		t.run(a.Text(f))
		s.posTerm[f] = s.posTerm[f][:0]
		for pos, k := range t.toks {
			s.word(f, int32(pos), t.norm[k.ns:k.ne])
		}
	}
}

// nextGen starts a new article; on the rare wrap-around of the counter the
// stamps are cleared so no stale entry looks current.
func (s *state) nextGen() {
	s.gen++
	if s.gen == 0 {
		clear(s.slots)
		clear(s.candStamp)
		s.gen = 1
	}
}

func (s *state) word(f model.Field, pos int32, w []byte) {
	s.hits = s.m.dict.lookup(w, s.hits[:0])
	wordID := int32(-1)
	for _, id := range s.hits {
		if !s.m.dict.isPrefix[id] {
			wordID = id
		}
		s.addOcc(id, f, pos)
	}
	s.posTerm[f] = append(s.posTerm[f], wordID)
}

func (s *state) addOcc(id int32, f model.Field, pos int32) {
	slot := &s.slots[id]
	if slot.stamp != s.gen {
		*slot = termSlot{stamp: s.gen, head: -1}
		s.terms = append(s.terms, id)
	}
	s.occField = append(s.occField, f)
	s.occPos = append(s.occPos, pos)
	s.occNext = append(s.occNext, slot.head)
	slot.head = int32(len(s.occPos) - 1)
}

// first returns the newest occurrence of term id, or -1.
func (s *state) first(id int32) int32 {
	if slot := &s.slots[id]; slot.stamp == s.gen {
		return slot.head
	}
	return -1
}

func (s *state) addCands(rules []int32) {
	for _, r := range rules {
		if s.candStamp[r] != s.gen {
			s.candStamp[r] = s.gen
			s.cands = append(s.cands, r)
		}
	}
}

// host parses the article's link only when a site: rule needs it.
func (s *state) host() string {
	if !s.hostDone {
		s.hostName, s.hostDone = articleHost(s.article), true
	}
	return s.hostName
}

// interval returns occurrence positions [lo, hi] of field f as an interval
// with its original byte range.
func (s *state) interval(f model.Field, lo, hi int32) interval {
	t := &s.toks[f].toks
	return interval{field: f, lo: int(lo), hi: int(hi), start: int((*t)[lo].os), end: int((*t)[hi].oe)}
}
