package matcher

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Benchmarks match ~5 KB articles against generated rule sets. Rule sets are
// built inside the benchmarks only, so `go test` stays fast. Run with
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./matcher
//
// articles/s is the headline number; allocs/op is per article.

const benchArticleSize = 5000

var benchRuleCounts = []int{10, 1000, 10000, 100000}

func BenchmarkMatchEnglish(b *testing.B) {
	v := englishVocab()
	benchMatch(b, v, v)
}

func BenchmarkMatchCyrillic(b *testing.B) {
	v := russianVocab()
	benchMatch(b, v, v)
}

// BenchmarkMatchEnglishSparse takes the rules' long-tail names from another
// set than the articles', so matches per article stay about constant as
// rules are added: it shows what the index size alone costs, apart from the
// work of producing more matches.
func BenchmarkMatchEnglishSparse(b *testing.B) {
	benchMatch(b, englishVocabSeed(9), englishVocab())
}

func benchMatch(b *testing.B, rules, articles *benchVocab) {
	arts := articles.articles(64, benchArticleSize)
	for _, n := range benchRuleCounts {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			m, err := New(rules.rules(n))
			if err != nil {
				b.Fatal(err)
			}
			matches := 0
			runtime.GC() // settle the garbage of building the rules first
			b.SetBytes(int64(len(arts[0].Body) + len(arts[0].Title)))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; b.Loop(); i++ {
				matches += len(m.Match(arts[i%len(arts)]))
			}
			reportRates(b, cpuTime()-cpu)
			b.ReportMetric(float64(matches)/float64(b.N), "matches/article")
		})
	}
}

// BenchmarkMatchNaivePlain evaluates every rule with the plain evaluator:
// the cost grows with the number of rules.
func BenchmarkMatchNaivePlain(b *testing.B) {
	v := englishVocab()
	arts := v.articles(16, benchArticleSize)
	for _, n := range benchRuleCounts[:3] {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			var qs []*Query
			for _, r := range v.rules(n) {
				qs = append(qs, mustParse(r.Query))
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; b.Loop(); i++ {
				d := newPlainDoc(arts[i%len(arts)])
				for _, q := range qs {
					q.match(d)
				}
			}
			reportRates(b, cpuTime()-cpu)
		})
	}
}

// BenchmarkMatchNaiveRegexp runs one Go regexp per rule, an alternation of
// the rule's words, phrases and prefixes. It only finds candidate rules (no
// AND, NOT or NEAR logic, no Unicode folding of diacritics), so it is a lower
// bound on what a regexp-per-rule matcher costs.
func BenchmarkMatchNaiveRegexp(b *testing.B) {
	v := englishVocab()
	arts := v.articles(16, benchArticleSize)
	for _, n := range benchRuleCounts[:3] {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			var res []*regexp.Regexp
			for _, r := range v.rules(n) {
				res = append(res, ruleRegexp(mustParse(r.Query)))
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; b.Loop(); i++ {
				a := arts[i%len(arts)]
				for _, re := range res {
					_ = re.MatchString(a.Title) || re.MatchString(a.Body)
				}
			}
			reportRates(b, cpuTime()-cpu)
		})
	}
}

// reportRates adds articles per wall-clock second and per CPU-second.
func reportRates(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "articles/cpu-s")
	}
}

func ruleRegexp(q *Query) *regexp.Regexp {
	var alts []string
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case *wordNode:
			alts = append(alts, regexp.QuoteMeta(n.term))
		case *prefixNode:
			alts = append(alts, regexp.QuoteMeta(n.prefix)+`\w*`)
		case *phraseNode:
			alts = append(alts, strings.Join(n.terms, `\W+`))
		case *andNode:
			for _, k := range n.kids {
				walk(k)
			}
		case *orNode:
			for _, k := range n.kids {
				walk(k)
			}
		case *nearNode:
			walk(n.a)
			walk(n.b)
		case *titleNode:
			walk(n.kid)
		}
	}
	walk(q.root)
	if len(alts) == 0 {
		alts = []string{"$^"}
	}
	return regexp.MustCompile(`(?i)\b(?:` + strings.Join(alts, "|") + `)\b`)
}

// BenchmarkTokenize isolates normalisation, the floor under every match.
func BenchmarkTokenize(b *testing.B) {
	for _, set := range []struct {
		name string
		v    *benchVocab
	}{{"english", englishVocab()}, {"cyrillic", russianVocab()}} {
		b.Run(set.name, func(b *testing.B) {
			a := set.v.articles(1, benchArticleSize)[0]
			var t tokenizer
			b.SetBytes(int64(len(a.Body)))
			b.ReportAllocs()
			for b.Loop() {
				t.reset()
				t.run(a.Body)
			}
		})
	}
}

// BenchmarkMatchLongArticle matches one article at the crawler's text cap
// (1 MiB of body) against 10,000 rules: the cap must stay bounded in time.
func BenchmarkMatchLongArticle(b *testing.B) {
	v := englishVocab()
	m, err := New(v.rules(10000))
	if err != nil {
		b.Fatal(err)
	}
	a := v.articles(1, 1<<20)[0]
	runtime.GC()
	b.SetBytes(int64(len(a.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.Match(a)
	}
}
