package matcher

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/model"
)

// A small vocabulary makes random rules and texts overlap often, so both
// matching and non-matching paths get exercised.
var (
	propWords    = []string{"Putin", "Kremlin", "Witkoff", "Donetsk", "Donetska", "peace", "plan", "Ukraine", "Macrón", "Донецк", "Донецке", "and", "the", "Krem\u00adlin", "Путин\u200b", "人工智能", "智能", "DeepMind", "新电脑"}
	propPrefixes = []string{"Don*", "Kre*", "pea*", "Донец*", "Witk*"}
	propSeps     = []string{" ", " ", " ", ", ", "-", "'s ", ". ", "", "\u00ad", "\u200b"}
)

func randomQuery(r *rand.Rand, depth int) string {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	atom := func() string {
		switch r.IntN(4) {
		case 0:
			return `"` + pick(propWords) + " " + pick(propWords) + `"`
		case 1:
			return pick(propPrefixes)
		}
		return pick(propWords)
	}
	if depth <= 0 {
		return atom()
	}
	sub := func() string { return randomQuery(r, depth-1) }
	switch r.IntN(10) {
	case 0:
		return sub() + " AND " + sub()
	case 1:
		return "(" + sub() + " OR " + sub() + ")"
	case 2:
		return sub() + " -" + atom()
	case 3:
		return fmt.Sprintf("%s NEAR/%d (%s OR %s)", atom(), 1+r.IntN(4), atom(), atom())
	case 4:
		return "title:" + atom()
	case 5:
		return "(" + sub() + " " + sub() + ")"
	case 6:
		return "source:" + pick([]string{"bbc", "cnn"}) + " " + sub()
	case 7:
		return "site:example.com " + sub()
	}
	return atom()
}

func randomArticle(r *rand.Rand) *model.Article {
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(propWords[r.IntN(len(propWords))] + propSeps[r.IntN(len(propSeps))])
		}
		return b.String()
	}
	return &model.Article{
		Source:  []string{"bbc", "cnn", "BBC"}[r.IntN(3)],
		Link:    []string{"https://www.example.com/x", "https://example.org/y", ""}[r.IntN(3)],
		Title:   text(r.IntN(6)),
		Summary: text(r.IntN(4)),
		Body:    text(r.IntN(30)),
	}
}

// TestCompiledAgreesWithPlain checks the compiled Matcher (presearch index,
// term ids, occurrence lists) against the plain evaluator on random rules
// and articles: the same rules must match with the same spans.
func TestCompiledAgreesWithPlain(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	matched, tried := 0, 0
	for round := range 200 {
		var rules []Rule
		var queries []*Query
		for i := range 40 {
			q, err := Parse(randomQuery(r, 3))
			if err != nil {
				continue
			}
			rules = append(rules, Rule{Name: fmt.Sprint("r", i), Query: q.String()})
			queries = append(queries, q)
		}
		m, err := New(rules)
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			a := randomArticle(r)
			var want []model.Match
			d := newPlainDoc(a)
			for i, q := range queries {
				if spans, ok := q.match(d); ok {
					want = append(want, model.Match{Rule: rules[i].Name, Spans: spans})
				}
			}
			if got := m.Match(a); !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d: article %+v\ncompiled %v\nplain    %v\nrules %v", round, a, got, want, rules)
			}
			matched += len(want)
			tried += len(queries)
		}
	}
	// Guard against a vacuous test: a fair share of both outcomes.
	if matched < tried/10 || matched > tried*9/10 {
		t.Errorf("%d of %d rule evaluations matched; the generator is off", matched, tried)
	}
	t.Logf("%d of %d rule evaluations matched", matched, tried)
}

// TestMatchConcurrent runs one Matcher from many goroutines; with -race it
// shows Match shares no mutable state.
func TestMatchConcurrent(t *testing.T) {
	m, err := New([]Rule{{Name: "a", Query: "Putin NEAR/3 Kremlin"}, {Name: "b", Query: "Don*"}})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"Putin in the Kremlin", "Donetsk", "nothing"}
	done := make(chan []string)
	for g := range 8 {
		go func() {
			var out []string
			for i := range 200 {
				for _, mt := range m.Match(&model.Article{Body: texts[(g+i)%3]}) {
					out = append(out, mt.Rule)
				}
			}
			done <- out
		}()
	}
	for range 8 {
		got := <-done
		if n := len(got); n < 100 || !slices.ContainsFunc(got, func(s string) bool { return s == "a" }) {
			t.Errorf("goroutine matched %d rules", n)
		}
	}
}

// TestCompiledAgreesWithPlainAtScale repeats the comparison with the
// benchmark's generated rules and articles: thousands of terms exercise the
// Bloom filters, the word table, prefix starts and postings at a realistic
// size.
func TestCompiledAgreesWithPlainAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 2,000-rule set")
	}
	for _, v := range []*benchVocab{englishVocab(), russianVocab()} {
		agreeAtScale(t, v)
	}
}

func agreeAtScale(t *testing.T, v *benchVocab) {
	rules := v.rules(2000)
	m, err := New(rules)
	if err != nil {
		t.Fatal(err)
	}
	queries := make([]*Query, len(rules))
	for i, r := range rules {
		queries[i] = mustParse(r.Query)
	}
	total := 0
	for _, a := range v.articles(6, benchArticleSize) {
		var want []model.Match
		d := newPlainDoc(a)
		for i, q := range queries {
			if spans, ok := q.match(d); ok {
				want = append(want, model.Match{Rule: rules[i].Name, Spans: spans})
			}
		}
		if got := m.Match(a); !reflect.DeepEqual(got, want) {
			t.Fatalf("compiled %d matches, plain %d\ncompiled %v\nplain    %v", len(got), len(want), got, want)
		}
		total += len(want)
	}
	if total == 0 {
		t.Error("no rule matched any article; the comparison proves nothing")
	}
}
