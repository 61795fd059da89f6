package matcher

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTokens(t *testing.T) {
	cases := []struct {
		in   string
		want []Token
	}{
		{"Kremlin's", []Token{{"kremlin", 0, 7}, {"s", 8, 9}}},
		{"Kremlin-backed", []Token{{"kremlin", 0, 7}, {"backed", 8, 14}}},
		{"  Macrón!", []Token{{"macron", 2, 9}}},
		{"Macro\u0301n", []Token{{"macron", 0, 8}}},
		{"ДОНЕЦК, Київ", []Token{{"донецк", 0, 12}, {"киів", 14, 22}}},
		{"ＰＵＴＩＮ", []Token{{"putin", 0, 15}}},
		{"ﬁnal", []Token{{"final", 0, 6}}},
		{"Straße", []Token{{"strasse", 0, 7}}},
		{"İstanbul", []Token{{"istanbul", 0, 9}}},
		{"½", []Token{{"1", 0, 2}, {"2", 0, 2}}},
		{"東京タワー", []Token{{"東", 0, 3}, {"京", 3, 6}, {"タ", 6, 9}, {"ワ", 9, 12}, {"ー", 12, 15}}},
		{"DeepMind新电脑", []Token{{"deepmind", 0, 8}, {"新", 8, 11}, {"电", 11, 14}, {"脑", 14, 17}}},
		{"ｶﾀｶﾅ", []Token{{"カ", 0, 3}, {"タ", 3, 6}, {"カ", 6, 9}, {"ナ", 9, 12}}},
		{"서울시", []Token{{"서울시", 0, 9}}},
		{"ภาษาไทย", []Token{{"ภาษาไทย", 0, 21}}},
		{"Krem\u00adlin", []Token{{"kremlin", 0, 9}}},
		{"Krem\u200blin", []Token{{"kremlin", 0, 10}}},
		{"Krem\u200dlin \u200cx", []Token{{"kremlin", 0, 10}, {"x", 14, 15}}},
		{"Krem\u2060lin\ufeff", []Token{{"kremlin", 0, 10}}},
		{"Кре\u00adмль", []Token{{"кремль", 0, 14}}},
		{"\u00ad\u200b", []Token{}},
		{"a\xffb", []Token{{"a", 0, 1}, {"b", 2, 3}}},
		{"—", []Token{}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got := Tokens(c.in)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Tokens(%q) = %v, want %v", c.in, got, c.want)
			}
		})
	}
}

// alphabet mixes the cases the fast paths must get right: ASCII next to
// combining marks, precomposed and decomposed accents, Cyrillic, width and
// compatibility forms, special case folds and invalid UTF-8.
var alphabet = []string{
	"a", "Z", "k", "0", "9", " ", "-", "'", ".", "\u0301", "\u0308", "\u0306", "é", "É",
	"ñ", "ß", "ẞ", "İ", "ı", "Σ", "ς", "д", "Д", "й", "Й", "ї", "ё", "ﬁ", "Ａ", "½", "²",
	"東", "新", "タ", "ー", "ｶ", "ﾞ", "々", "ก", "\u0e31", "\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\ufe0f", "\u034f", "\u061c", "ا", "\u064e", "ह", "ि", "\u093c", "\xff", "\xe2", "’", "K", "ǅ", "ΐ", "ㄱ", "한",
}

func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func TestTokensFastPathMatchesGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		checkTokenizer(t, randomText(r, r.IntN(20)))
	}
}

// checkTokenizer compares the fast paths with the general path and checks
// that normalisation is idempotent and spans point at the source text.
func checkTokenizer(t *testing.T, s string) {
	t.Helper()
	var fast, slow tokenizer
	slow.slow = true
	fast.run(s)
	slow.run(s)
	if !reflect.DeepEqual(fast.toks, slow.toks) || string(fast.norm) != string(slow.norm) {
		t.Fatalf("%q: fast path %q %v, general path %q %v", s, fast.norm, fast.toks, slow.norm, slow.toks)
	}
	n := normalize(s)
	if again := normalize(n); again != n {
		t.Fatalf("%q: normalize not idempotent: %q then %q", s, n, again)
	}
	for _, k := range Tokens(s) {
		if k.Start < 0 || k.End > len(s) || k.Start >= k.End || !utf8.ValidString(k.Term) {
			t.Fatalf("%q: bad token %+v", s, k)
		}
		if !strings.Contains(normalize(s[k.Start:k.End]), k.Term) {
			t.Fatalf("%q: token %q not in its source %q", s, k.Term, s[k.Start:k.End])
		}
	}
}

func FuzzTokens(f *testing.F) {
	for _, s := range []string{"Kremlin's", "Macro\u0301n", "ДОНЕЦК", "½", "a\xffb", "İ\u0307"} {
		f.Add(s)
	}
	for _, s := range []string{"Krem\u00adlin", "a\u200b\u0301", "DeepMind新电脑", "ｶﾞ\u200dー", "e\u00ad\u0301"} {
		f.Add(s)
	}
	f.Fuzz(checkTokenizer)
}

// normalize returns the normalised words of s joined by single spaces.
func normalize(s string) string {
	toks := Tokens(s)
	terms := make([]string, len(toks))
	for i, k := range toks {
		terms[i] = k.Term
	}
	return strings.Join(terms, " ")
}
