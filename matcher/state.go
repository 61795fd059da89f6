package matcher

import (
	"github.com/newswatch/newswatch/model"
)

// state is the scratch space for matching one article: its tokens, the
// occurrences of dictionary terms and the candidate rules. States are
// pooled and reused, so matching allocates little. Which terms occur and
// which rules are candidates is kept in bitsets, one bit per term or rule,
// and only the bits set for the previous article are cleared: with 100,000
// rules the two bitsets take about 20 KiB and stay in the cache, where
// per-term and per-rule stamps took about 1 MiB and missed it.
type state struct {
	m       *Matcher
	article *model.Article
	source  string // the article's source, folded
	toks    [len(fields)]tokenizer
	posTerm [len(fields)][]int32 // word term id at each position, -1 if none

	// Occurrences of a term form a linked list: heads[id] is the newest,
	// occNext links to older ones. heads[id] is valid only where termSeen
	// has bit id.
	termSeen []uint64
	heads    []int32
	occField []model.Field
	occPos   []int32
	occNext  []int32
	terms    []int32 // term ids seen in this article

	candSeen []uint64 // bit per rule: in cands
	cands    []int32
	matched  []int32 // rules that matched, in order
	ends     []int   // end of each matched rule's spans in spans

	hits     []int32
	ivA, ivB []interval
	markA    []int32 // NEAR: difference arrays over ivA and ivB
	markB    []int32
	spans    []model.Span
	hostDone bool
	hostName string
}

func (m *Matcher) newState() *state {
	return &state{
		m:        m,
		termSeen: make([]uint64, (len(m.dict.terms)+63)/64),
		heads:    make([]int32, len(m.dict.terms)),
		candSeen: make([]uint64, (len(m.rules)+63)/64),
	}
}

// load tokenises the article and records where dictionary terms occur.
func (s *state) load(a *model.Article) {
	s.clearSeen()
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

// clearSeen clears the bits the previous article set. Every set bit
// belongs to a term in s.terms or a rule in s.cands, so clearing their
// whole words clears them all.
func (s *state) clearSeen() {
	for _, id := range s.terms {
		s.termSeen[uint32(id)/64] = 0
	}
	for _, r := range s.cands {
		s.candSeen[uint32(r)/64] = 0
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
	if w, bit := &s.termSeen[uint32(id)/64], uint64(1)<<(uint32(id)%64); *w&bit == 0 {
		*w |= bit
		s.heads[id] = -1
		s.terms = append(s.terms, id)
	}
	s.occField = append(s.occField, f)
	s.occPos = append(s.occPos, pos)
	s.occNext = append(s.occNext, s.heads[id])
	s.heads[id] = int32(len(s.occPos) - 1)
}

// first returns the newest occurrence of term id, or -1.
func (s *state) first(id int32) int32 {
	if s.termSeen[uint32(id)/64]&(1<<(uint32(id)%64)) != 0 {
		return s.heads[id]
	}
	return -1
}

func (s *state) addCands(rules []int32) {
	for _, r := range rules {
		if w, bit := &s.candSeen[uint32(r)/64], uint64(1)<<(uint32(r)%64); *w&bit == 0 {
			*w |= bit
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
