package matcher

import (
	"fmt"
	"runtime"
	"slices"
	"strings"

	"github.com/newswatch/newswatch/model"
)

// Rule is a named query, as configured.
type Rule struct {
	Name, Query string
	// Sources restricts the rule to articles from these sources; empty
	// means every source.
	Sources []string
}

// Matcher matches articles against a fixed set of rules. It is immutable
// after New and safe for concurrent use; to change the rules, build a new
// Matcher and swap it in.
type Matcher struct {
	rules    []Rule
	compiled []compiledRule // by rule index
	dict     *dictionary

	byTerm   postings           // term id -> rules covered by it
	bySource map[string][]int32 // folded source name -> rules
	bySite   map[string][]int32 // host -> rules
	always   []int32            // rules with no usable cover (evaluated for every article)

	// states holds idle per-article scratch spaces. A channel rather than a
	// sync.Pool: a pool is emptied by every GC, and a state for 100,000
	// rules is large enough that rebuilding it would dominate matching.
	states chan *state
}

// New parses and compiles the rules. The error names the first bad rule
// and wraps its *SyntaxError.
func New(rules []Rule) (*Matcher, error) {
	m := &Matcher{
		rules:    slices.Clone(rules),
		dict:     newDictionary(),
		bySource: map[string][]int32{},
		bySite:   map[string][]int32{},
	}
	for _, r := range m.rules {
		q, err := Parse(r.Query)
		if err != nil {
			return nil, fmt.Errorf("matcher: rule %q: %w", r.Name, err)
		}
		p := compile(q.root, m.dict)
		countTerms(p, m.dict)
		m.compiled = append(m.compiled, compiledRule{prog: p, name: r.Name, sources: foldAll(r.Sources)})
	}
	packPrograms(m.compiled)
	m.dict.seal()
	m.index()
	m.states = make(chan *state, 2*runtime.GOMAXPROCS(0))
	return m, nil
}

// index files every rule under the atoms of its cover.
func (m *Matcher) index() {
	byTerm := make([][]int32, len(m.dict.terms))
	for i, c := range m.compiled {
		atoms, _, ok := cover(c.prog, m.dict)
		if !ok {
			m.always = append(m.always, int32(i))
			continue
		}
		for _, a := range atoms {
			switch a.kind {
			case atomTerm:
				byTerm[a.id] = appendOnce(byTerm[a.id], int32(i))
			case atomSource:
				m.bySource[a.str] = appendOnce(m.bySource[a.str], int32(i))
			case atomSite:
				m.bySite[a.str] = appendOnce(m.bySite[a.str], int32(i))
			}
		}
	}
	m.byTerm = newPostings(byTerm)
}

// appendOnce appends rule i unless it was the last one added: a rule's
// cover can name the same atom twice (a OR a).
func appendOnce(s []int32, i int32) []int32 {
	if n := len(s); n > 0 && s[n-1] == i {
		return s
	}
	return append(s, i)
}

func foldAll(names []string) []string {
	var out []string
	for _, n := range names {
		if n != "" {
			out = append(out, foldKey(n))
		}
	}
	return out
}

// Rules returns the rules the Matcher was built from.
func (m *Matcher) Rules() []Rule { return slices.Clone(m.rules) }

// Match returns the rules that match the article, in rule order, each with
// the spans of its matched words; nil when none match.
func (m *Matcher) Match(a *model.Article) []model.Match {
	s := m.getState()
	defer m.putState(s)
	s.load(a)
	m.candidates(s, a)
	s.spans, s.matched, s.ends = s.spans[:0], s.matched[:0], s.ends[:0]
	for _, r := range s.cands {
		c := &m.compiled[r]
		if !c.allowed(s.source) || !s.eval(c.prog, maskAll) {
			continue
		}
		start := len(s.spans)
		s.collect(c.prog, maskAll)
		s.spans = append(s.spans[:start], sortSpans(s.spans[start:])...)
		s.matched = append(s.matched, r)
		s.ends = append(s.ends, len(s.spans))
	}
	if len(s.matched) == 0 {
		return nil
	}
	// Two allocations whatever the number of matches: the result, and one
	// array for all spans. Each match gets its part of the spans, capped so
	// an append by the caller cannot spill into the next match's spans.
	out := make([]model.Match, len(s.matched))
	all := slices.Clone(s.spans)
	start := 0
	for i, r := range s.matched {
		end := s.ends[i]
		out[i] = model.Match{Rule: m.compiled[r].name, Spans: all[start:end:end]}
		start = end
	}
	return out
}

// compiledRule is what matching needs of a rule, kept together so a
// candidate costs one cache miss rather than one per field.
type compiledRule struct {
	prog    *program
	name    string
	sources []string // folded Rule.Sources; nil for all
}

// allowed applies Rule.Sources; source is already folded.
func (c *compiledRule) allowed(source string) bool {
	return c.sources == nil || slices.Contains(c.sources, source)
}

// postings is a compact term -> rules index: the rules of term id are
// rules[start[id]:start[id+1]]. One flat slice instead of a slice per term
// keeps a 100,000-rule index small and cache friendly.
type postings struct {
	start []int32
	rules []int32
}

func newPostings(lists [][]int32) postings {
	p := postings{start: make([]int32, 0, len(lists)+1)}
	for _, l := range lists {
		p.start = append(p.start, int32(len(p.rules)))
		p.rules = append(p.rules, l...)
	}
	p.start = append(p.start, int32(len(p.rules)))
	return p
}

func (p postings) of(id int32) []int32 { return p.rules[p.start[id]:p.start[id+1]] }

// candidates gathers, in rule order, the rules whose cover the article hits.
func (m *Matcher) candidates(s *state, a *model.Article) {
	for _, id := range s.terms {
		s.addCands(m.byTerm.of(id))
	}
	s.addCands(m.always)
	if len(m.bySource) > 0 {
		s.addCands(m.bySource[s.source])
	}
	if len(m.bySite) > 0 {
		for h := s.host(); h != ""; {
			s.addCands(m.bySite[h])
			i := strings.IndexByte(h, '.')
			if i < 0 {
				break
			}
			h = h[i+1:]
		}
	}
	slices.Sort(s.cands)
}

func (m *Matcher) getState() *state {
	select {
	case s := <-m.states:
		return s
	default:
		return m.newState()
	}
}

// putState keeps a state for reuse unless enough are idle already.
func (m *Matcher) putState(s *state) {
	s.article = nil
	select {
	case m.states <- s:
	default:
	}
}
