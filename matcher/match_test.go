package matcher

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/model"
)

// matchCase is one query against one article. want lists the matched text
// of every span ("field:text"), nil for no match.
type matchCase struct {
	name  string
	query string
	art   model.Article
	want  []string
}

func body(s string) model.Article  { return model.Article{Body: s} }
func title(s string) model.Article { return model.Article{Title: s} }

var matchCases = []matchCase{
	// Normalisation traps from the SPEC.
	{"word", "Kremlin", body("The Kremlin said"), []string{"body:Kremlin"}},
	{"upper case", "Kremlin", body("KREMLIN SAYS"), []string{"body:KREMLIN"}},
	{"possessive", "Kremlin", body("the Kremlin's view"), []string{"body:Kremlin"}},
	{"curly possessive", "Kremlin", body("the Kremlin’s view"), []string{"body:Kremlin"}},
	{"hyphenated", "Kremlin", body("a Kremlin-backed group"), []string{"body:Kremlin"}},
	{"no substring", "Kremlin", body("Kremlinology is a field"), nil},
	{"hyphen query is phrase", "Kremlin-backed", body("a Kremlin backed group"), []string{"body:Kremlin backed"}},
	{"hyphen query needs order", "Kremlin-backed", body("backed by the Kremlin"), nil},
	{"Zelenskyy exact", "Zelenskyy", body("Volodymyr Zelenskyy spoke"), []string{"body:Zelenskyy"}},
	{"Zelenskyy not Zelensky", "Zelenskyy", body("Volodymyr Zelensky spoke"), nil},
	{"prefix both spellings", "Zelensk*", body("Zelensky and Zelenskyy"), []string{"body:Zelensky", "body:Zelenskyy"}},
	{"prefix whole word", "Zelensk*", body("Zelensk"), []string{"body:Zelensk"}},
	{"prefix not mid-word", "Zelensk*", body("Mr.Vzelensky"), nil},
	// Invisible format characters never split a word, in text or query.
	{"soft hyphen in text", "Kremlin", body("the Krem\u00adlin said"), []string{"body:Krem\u00adlin"}},
	{"soft hyphen entity decoded", "Кремль", body("в Кре\u00adмле и Кре\u00adмль"), []string{"body:Кре\u00adмль"}},
	{"zero-width space", "Kremlin", body("the Krem\u200blin said"), []string{"body:Krem\u200blin"}},
	{"zero-width joiner and non-joiner", "Kremlin", body("Kr\u200dem\u200clin"), []string{"body:Kr\u200dem\u200clin"}},
	{"word joiner and BOM", "Kremlin", body("\ufeffKrem\u2060lin"), []string{"body:Krem\u2060lin"}},
	{"ignorable in the query", "Krem\u00adlin", body("the Kremlin said"), []string{"body:Kremlin"}},
	{"ignorables in a query phrase", "\"Krem\u200blin tal\u2060ks\"", body("Kremlin talks"), []string{"body:Kremlin talks"}},
	// Chinese and Japanese: each character a token, a query word a phrase.
	{"han word inside a sentence", "人工智能", body("他说人工智能将改变世界"), []string{"body:人工智能"}},
	{"han word needs adjacency", "人工智能", body("人工和智能"), nil},
	{"latin before han", "title:DeepMind", title("DeepMind新电脑已可利用记忆自学"), []string{"title:DeepMind"}},
	{"han after latin", "title:电脑", title("DeepMind新电脑已可利用记忆自学"), []string{"title:电脑"}},
	{"katakana", "タワー", body("東京タワーに行った"), []string{"body:タワー"}},
	{"halfwidth katakana", "タワー", body("東京ﾀﾜｰ"), []string{"body:ﾀﾜｰ"}},
	{"hangul stays a word", "서울", body("서울시 발표"), nil},
	{"cyrillic exact", "Донецк", body("В Донецке взрывы"), nil},
	{"cyrillic word", "Донецк", body("ДОНЕЦК, 5 мая"), []string{"body:ДОНЕЦК"}},
	{"cyrillic prefix", "Донецк*", body("В Донецке взрывы"), []string{"body:Донецке"}},
	{"ukrainian", "Київ", body("У КИЇВІ та Києві"), nil},
	{"ukrainian word", "Київ", body("місто Київ."), []string{"body:Київ"}},
	{"accent in text", "Macron", body("Emmanuel Macrón"), []string{"body:Macrón"}},
	{"accent in query", "Macrón", body("MACRON said"), []string{"body:MACRON"}},
	{"decomposed accent", "Macron", body("Macro\u0301n said"), []string{"body:Macro\u0301n"}},
	{"sharp s folds", "strasse", body("Hauptstraße"), nil},
	{"sharp s word", "Straße", body("STRASSE 5"), []string{"body:STRASSE"}},
	{"NFKC fullwidth", "Putin", body("ＰＵＴＩＮ"), []string{"body:ＰＵＴＩＮ"}},
	{"NFKC ligature", "final", body("the ﬁnal word"), []string{"body:ﬁnal"}},
	{"digits", "G7", body("the G7 summit"), []string{"body:G7"}},
	{"digits separate", "G7", body("the G-7 summit"), nil},

	// Operators.
	{"phrase", `"peace plan"`, body("a peace plan for"), []string{"body:peace plan"}},
	{"phrase order", `"peace plan"`, body("plan peace"), nil},
	{"phrase gap", `"peace plan"`, body("peace and a plan"), nil},
	{"phrase punctuation", `"peace plan"`, body("peace. Plan"), []string{"body:peace. Plan"}},
	{"phrase not across fields", `"peace plan"`, model.Article{Title: "Talks on peace", Body: "plan agreed"}, nil},
	{"phrase across summary body", `"peace plan"`, model.Article{Summary: "peace", Body: "plan"}, nil},
	{"implicit AND", "Witkoff Putin", body("Putin met Witkoff"), []string{"body:Putin", "body:Witkoff"}},
	{"AND missing", "Witkoff AND Putin", body("Witkoff alone"), nil},
	{"AND across fields", "Witkoff AND Putin", model.Article{Title: "Witkoff", Body: "Putin"}, []string{"title:Witkoff", "body:Putin"}},
	{"OR", "Putin OR Ushakov", body("Ushakov said"), []string{"body:Ushakov"}},
	{"OR none", "Putin OR Ushakov", body("Lavrov said"), nil},
	{"NOT", "Putin NOT Trump", body("Putin and Trump"), nil},
	{"NOT absent", "Putin NOT Trump", body("Putin alone"), []string{"body:Putin"}},
	{"minus", "Putin -Trump", body("Putin and Trump"), nil},
	{"minus group", "Putin -(Trump OR Biden)", body("Putin and Biden"), nil},
	{"lowercase and is a word", "peace and plan", body("peace plan"), nil},
	{"lowercase and word present", "peace and plan", body("plan and peace"), []string{"body:peace", "body:and", "body:plan"}},
	{"lowercase or is a word", "Putin or Trump", body("Putin"), nil},
	{"AND binds tighter than OR", "a1 OR b1 AND c1", body("a1"), []string{"body:a1"}},
	{"AND binds tighter than OR 2", "a1 OR b1 AND c1", body("b1"), nil},
	{"AND binds tighter than OR 3", "a1 b1 OR c1", body("c1"), []string{"body:c1"}},
	{"parens", "(a1 OR b1) AND c1", body("a1"), nil},
	{"parens 2", "(a1 OR b1) AND c1", body("b1 c1"), []string{"body:b1", "body:c1"}},
	{"witkoff rule", "Witkoff AND (Kremlin OR Putin OR Ushakov)", body("Witkoff arrived at the Kremlin"), []string{"body:Witkoff", "body:Kremlin"}},

	// NEAR.
	{"NEAR spec example", "Witkoff NEAR/2 Putin", body("Witkoff met Putin"), []string{"body:Witkoff", "body:Putin"}},
	{"NEAR exactly n", "Witkoff NEAR/3 Putin", body("Witkoff met with Putin"), []string{"body:Witkoff", "body:Putin"}},
	{"NEAR n+1", "Witkoff NEAR/2 Putin", body("Witkoff met with Putin"), nil},
	{"NEAR either order", "Witkoff NEAR/2 Putin", body("Putin met Witkoff"), []string{"body:Putin", "body:Witkoff"}},
	{"NEAR adjacent", "Witkoff NEAR/1 Putin", body("Witkoff, Putin"), []string{"body:Witkoff", "body:Putin"}},
	{"NEAR phrase nearer end", `"peace plan" NEAR/2 Ukraine`, body("peace plan for Ukraine"), []string{"body:peace plan", "body:Ukraine"}},
	{"NEAR phrase nearer end before", `"peace plan" NEAR/2 Ukraine`, body("Ukraine's peace plan"), []string{"body:Ukraine", "body:peace plan"}},
	{"NEAR phrase too far", `"peace plan" NEAR/1 Ukraine`, body("peace plan for Ukraine"), nil},
	{"NEAR OR group", `"peace plan" NEAR/10 (Ukraine OR Zelenskyy)`, body("The peace plan was shown to Zelenskyy"), []string{"body:peace plan", "body:Zelenskyy"}},
	{"NEAR prefix", "Witkoff NEAR/3 Donets*", body("Witkoff in Donetsk"), []string{"body:Witkoff", "body:Donetsk"}},
	{"NEAR not across fields", "Witkoff NEAR/5 Putin", model.Article{Title: "Witkoff", Body: "Putin"}, nil},
	{"NEAR needs two occurrences", "Putin NEAR/3 Put*", body("Putin"), nil},
	{"NEAR two occurrences", "Putin NEAR/3 Put*", body("Putin and Putin"), []string{"body:Putin", "body:Putin"}},
	{"NEAR binds tighter than AND", "Kyiv Witkoff NEAR/1 Putin", body("Witkoff Putin in Kyiv"), []string{"body:Witkoff", "body:Putin", "body:Kyiv"}},
	{"NEAR only pairs in range", "Witkoff NEAR/1 Putin", body("Putin said. Later Witkoff Putin"), []string{"body:Witkoff", "body:Putin"}},

	// Fields, sources and sites.
	{"title", "title:Putin", title("Putin speaks"), []string{"title:Putin"}},
	{"title not body", "title:Putin", body("Putin speaks"), nil},
	{"title spans only title", "title:Putin", model.Article{Title: "Putin", Body: "Putin"}, []string{"title:Putin"}},
	{"title phrase", `title:"peace plan"`, title("A peace plan"), []string{"title:peace plan"}},
	{"title group", "title:(Putin OR Trump)", model.Article{Title: "Trump", Body: "Putin"}, []string{"title:Trump"}},
	{"title prefix", "title:Donets*", title("Donetsk"), []string{"title:Donetsk"}},
	{"title NEAR", "title:Witkoff NEAR/2 Putin", model.Article{Title: "Witkoff met Putin", Body: "Witkoff met Putin"}, []string{"title:Witkoff", "title:Putin"}},
	{"source", "source:bbc Putin", model.Article{Source: "BBC", Body: "Putin"}, []string{"body:Putin"}},
	{"source other", "source:bbc Putin", model.Article{Source: "cnn", Body: "Putin"}, nil},
	{"source only", "source:bbc", model.Article{Source: "bbc", Body: "x"}, []string{}},
	{"site", "site:example.com Putin", model.Article{Link: "https://news.example.com/a", Body: "Putin"}, []string{"body:Putin"}},
	{"site canonical first", "site:example.com", model.Article{Link: "https://example.com/a", CanonicalLink: "https://other.org/a", Body: "x"}, nil},
	{"site not suffix", "site:example.com", model.Article{Link: "https://badexample.com/a"}, nil},
	{"site exact host", "site:example.com", model.Article{Link: "https://EXAMPLE.com:8080/a"}, []string{}},
	{"site IDN query, punycode link", "site:президент.рф", model.Article{CanonicalLink: "http://xn--d1abbgf6aiiy.xn--p1ai/a"}, []string{}},
	{"site punycode query, IDN link", "site:xn--d1abbgf6aiiy.xn--p1ai", model.Article{Link: "http://Президент.рф/a"}, []string{}},
	{"site IPv6", "site:[2001:db8::1]", model.Article{Link: "http://[2001:DB8:0::1]:8080/a"}, []string{}},
	{"site IDN subdomain", "site:Bücher.example", model.Article{CanonicalLink: "https://shop.xn--bcher-kva.example/a"}, []string{}},
}

func spanTexts(a *model.Article, spans []model.Span) []string {
	out := []string{}
	for _, s := range spans {
		out = append(out, s.Field.String()+":"+a.Text(s.Field)[s.Start:s.End])
	}
	return out
}

// sortedTexts compares span texts regardless of order.
func sortedTexts(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestMatchCases(t *testing.T) {
	for _, c := range matchCases {
		t.Run(c.name, func(t *testing.T) {
			m, err := New([]Rule{{Name: "r", Query: c.query}})
			if err != nil {
				t.Fatal(err)
			}
			got := m.Match(&c.art)
			if c.want == nil {
				if got != nil {
					t.Fatalf("Match = %v, want no match", got)
				}
				return
			}
			if len(got) != 1 || got[0].Rule != "r" {
				t.Fatalf("Match = %v, want rule r", got)
			}
			if g := spanTexts(&c.art, got[0].Spans); !slices.Equal(sortedTexts(g), sortedTexts(c.want)) {
				t.Errorf("spans = %q, want %q", g, c.want)
			}
			spans, ok := mustParse(c.query).match(newPlainDoc(&c.art))
			if ok != (c.want != nil) || !slices.Equal(spans, got[0].Spans) {
				t.Errorf("plain evaluator = %v %v, compiled %v", ok, spans, got[0].Spans)
			}
		})
	}
}

func TestMatchRuleOrderAndSources(t *testing.T) {
	m, err := New([]Rule{
		{Name: "b", Query: "Putin"},
		{Name: "a", Query: "Kremlin OR Putin"},
		{Name: "only-cnn", Query: "Putin", Sources: []string{"cnn"}},
		{Name: "none", Query: "Trump"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := m.Match(&model.Article{Source: "bbc", Title: "Putin in the Kremlin"})
	var names []string
	for _, g := range got {
		names = append(names, g.Rule)
	}
	if !slices.Equal(names, []string{"b", "a"}) {
		t.Errorf("rules = %v, want [b a]", names)
	}
	if got := m.Match(&model.Article{Source: "CNN", Title: "Putin"}); len(got) != 3 || got[2].Rule != "only-cnn" {
		t.Errorf("cnn article: %v, want only-cnn third", got)
	}
	if got := m.Match(&model.Article{Title: "nothing here"}); got != nil {
		t.Errorf("Match = %v, want nil", got)
	}
}

func TestNewErrorNamesRule(t *testing.T) {
	_, err := New([]Rule{{Name: "ok", Query: "a1"}, {Name: "broken", Query: "(a1"}})
	var se *SyntaxError
	if err == nil || !errors.As(err, &se) || !strings.Contains(err.Error(), `"broken"`) {
		t.Fatalf("New error = %v, want one naming rule broken wrapping *SyntaxError", err)
	}
}

// TestNearManyOccurrences: a long article where both sides of NEAR occur
// thousands of times must not cost a check and a span per pair (for
// NEAR/1000 that was gigabytes of spans and seconds per article). Every
// occurrence in range is still reported, once.
func TestNearManyOccurrences(t *testing.T) {
	const reps = 2000
	art := &model.Article{Body: strings.Repeat("putin kremlin ", reps)}
	m, err := New([]Rule{{Name: "r", Query: "putin NEAR/1000 kremlin"}})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got := m.Match(art)
	runtime.ReadMemStats(&after)
	if len(got) != 1 || len(got[0].Spans) != 2*reps {
		t.Fatalf("Match = %d matches, want 1 with %d spans", len(got), 2*reps)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("Match allocated %d MB for a %d KB article", alloc>>20, len(art.Body)>>10)
	}
	// The fields differ, so nothing is near, whatever the counts.
	m, err = New([]Rule{{Name: "r", Query: "title:putin NEAR/1000 kremlin"}})
	if err != nil {
		t.Fatal(err)
	}
	apart := &model.Article{Title: strings.Repeat("putin ", reps), Body: strings.Repeat("kremlin ", reps)}
	if got := m.Match(apart); got != nil {
		t.Errorf("Match = %d matches, want none", len(got))
	}
}
