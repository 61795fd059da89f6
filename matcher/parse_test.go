package matcher

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseCanonical(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Kremlin", "kremlin"},
		{"Witkoff AND (Kremlin OR Putin OR Ushakov)", "witkoff AND (kremlin OR putin OR ushakov)"},
		{"a1 b1", "a1 AND b1"},
		{"a1 OR b1 AND c1", "a1 OR b1 AND c1"},
		{"(a1 OR b1) c1", "(a1 OR b1) AND c1"},
		{"((a1 b1) c1)", "a1 AND b1 AND c1"},
		{"a1 OR (b1 OR c1)", "a1 OR b1 OR c1"},
		{"Kremlin-backed", `"kremlin backed"`},
		{`"Peace  Plan"`, `"peace plan"`},
		{`"Putin"`, "putin"},
		{"Donets*", "donets*"},
		{"Putin -Trump", "putin AND NOT trump"},
		{"Putin NOT (Trump OR Biden)", "putin AND NOT (trump OR biden)"},
		{"Putin --Trump", "putin AND NOT NOT trump"},
		{`"peace plan" NEAR/10 (Ukraine OR Zelenskyy)`, `"peace plan" NEAR/10 (ukraine OR zelenskyy)`},
		{"a1 NEAR/03 b1 OR c1", "a1 NEAR/3 b1 OR c1"},
		{"x1 a1 NEAR/3 b1", "x1 AND a1 NEAR/3 b1"},
		{"title:Putin", "title:putin"},
		{`title:"peace plan"`, `title:"peace plan"`},
		{"title:(a1 OR b1)", "title:(a1 OR b1)"},
		{"title:(a1 -b1)", "title:(a1 AND NOT b1)"},
		{"source:guardian-world Putin", "source:guardian-world AND putin"},
		{`source:"my feed" x1`, `source:"my feed" AND x1`},
		{"site:Example.COM.", "site:example.com"},
		{"site:Президент.РФ", "site:xn--d1abbgf6aiiy.xn--p1ai"},
		{"Putin and Trump", "putin AND and AND trump"},
		{"near or", "near AND or"},
		{"Macrón", "macron"},
		{"NOT (a1 NEAR/2 b1) c1", "NOT (a1 NEAR/2 b1) AND c1"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			q, err := Parse(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.String(); got != c.want {
				t.Fatalf("String() = %q, want %q", got, c.want)
			}
			again, err := Parse(q.String())
			if err != nil {
				t.Fatalf("reparse: %v", err)
			}
			if !reflect.DeepEqual(q, again) {
				t.Errorf("reparsed tree differs: %#v vs %#v", q.root, again.root)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in  string
		col int
		msg string
	}{
		{"", 1, "expected a query"},
		{"   ", 1, "expected a query"},
		{"(Putin", 7, "expected ')'"},
		{"(Putin OR (Trump)", 18, "expected ')'"},
		{"Putin)", 6, "unexpected ')' without a matching '('"},
		{"()", 2, "expected a word, phrase or '(' before ')'"},
		{`Putin "peace plan`, 7, `expected a closing '"' for this quote`},
		{"Do*", 1, "expected at least 3 letters before '*'"},
		{"Putin Ки*", 7, "expected at least 3 letters before '*'"},
		{"*", 1, "expected at least 3 letters before '*'"},
		{"Kremlin-ba*", 1, "expected a single word before '*'"},
		{"NOT Putin", 1, "the query requires nothing: expected a word, phrase, source: or site: that must be present"},
		{"-a1 -b1", 1, "the query requires nothing: expected a word, phrase, source: or site: that must be present"},
		{"x1 OR NOT y1", 1, "the query requires nothing: expected a word, phrase, source: or site: that must be present"},
		{"title:(NOT x1)", 1, "the query requires nothing: expected a word, phrase, source: or site: that must be present"},
		{"a1 NEAR/3 (b1 AND c1)", 11, "expected a word, phrase, prefix or an OR-group of them after NEAR"},
		{"(a1 b1) NEAR/3 c1", 1, "expected a word, phrase, prefix or an OR-group of them before NEAR"},
		{"NOT a1 NEAR/3 c1", 1, "expected a word, phrase, prefix or an OR-group of them before NEAR"},
		{"a1 NEAR/3 source:bbc", 11, "expected a word, phrase, prefix or an OR-group of them after NEAR"},
		{"a1 NEAR/3 b1 NEAR/3 c1", 14, "NEAR cannot be chained: expected AND, OR or the end of the query"},
		{"a1 NEAR b1", 4, "expected NEAR/n with n a number from 1 to 1000"},
		{"a1 NEAR/x b1", 4, "expected NEAR/n with n a number from 1 to 1000"},
		{"a1 NEAR/0 b1", 4, "expected NEAR/n with n a number from 1 to 1000"},
		{"a1 AND", 7, "expected a word, phrase or '(' at the end of the query"},
		{"OR a1", 1, "expected a word, phrase or '(' before OR"},
		{"a1 AND OR b1", 8, "expected a word, phrase or '(' before OR"},
		{"Путин OR (", 11, "expected a word, phrase or '(' at the end of the query"},
		{"a1 & b1", 4, "expected a word with letters or digits"},
		{`"..."`, 1, "expected letters or digits inside the quotes"},
		{"title: Putin", 7, "expected a word, phrase, prefix or '(' right after title:"},
		{"source: bbc", 8, "expected a name after source:"},
		{`site:""`, 6, "expected a name inside the quotes after site:"},
		{"site:.", 1, "expected a host name after site:"},
		{"Putin site:news/example.com", 7, "expected a host name after site:"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := Parse(c.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want *SyntaxError", c.in, err)
			}
			if se.Col != c.col || se.Msg != c.msg || se.Query != c.in {
				t.Errorf("got col %d %q (query %q), want col %d %q", se.Col, se.Msg, se.Query, c.col, c.msg)
			}
		})
	}
}

func TestSyntaxErrorString(t *testing.T) {
	err := &SyntaxError{Query: "(a1", Col: 4, Msg: "expected ')'"}
	if got := err.Error(); got != "col 4: expected ')'" {
		t.Errorf("Error() = %q", got)
	}
}

// TestParseDepthLimit: deeply nested queries are a syntax error, not a
// stack overflow (a fatal error that would take the daemon down on reload).
func TestParseDepthLimit(t *testing.T) {
	deep := map[string]string{
		"groups": strings.Repeat("(", 1000) + "a1" + strings.Repeat(")", 1000),
		"NOT":    strings.Repeat("NOT ", 1000) + "a1 b1",
		"minus":  strings.Repeat("-", 1000) + "a1 b1",
		"title":  strings.Repeat("title:", 1000) + "a1",
	}
	for name, q := range deep {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(q)
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(se.Msg, "nested") {
				t.Fatalf("Parse(%d bytes of %s) error = %v, want a nesting SyntaxError", len(q), name, err)
			}
		})
	}
}

// TestParseDepthLimitExact: the limit counts levels of nesting, as its
// message says: 100 of each kind parse, 101 are refused with "at most 100".
func TestParseDepthLimitExact(t *testing.T) {
	nest := map[string]func(n int) string{
		"groups": func(n int) string { return strings.Repeat("(", n) + "a1" + strings.Repeat(")", n) },
		"NOT":    func(n int) string { return "b1 " + strings.Repeat("NOT ", n) + "a1" },
		"minus":  func(n int) string { return "b1 " + strings.Repeat("-", n) + "a1" },
		"title":  func(n int) string { return strings.Repeat("title:", n) + "a1" },
		"mixed": func(n int) string {
			return "b1 " + strings.Repeat("NOT (", n/2) + "a1" + strings.Repeat(")", n/2)
		},
	}
	for name, q := range nest {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(q(maxDepth)); err != nil {
				t.Errorf("Parse(%d levels) = %v, want ok", maxDepth, err)
			}
			_, err := Parse(q(maxDepth + 2))
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(se.Msg, "at most 100 levels") {
				t.Fatalf("Parse(%d levels) error = %v, want \"at most 100 levels\"", maxDepth+2, err)
			}
			if name != "mixed" {
				if _, err := Parse(q(maxDepth + 1)); err == nil {
					t.Errorf("Parse(%d levels) = ok, want a nesting error", maxDepth+1)
				}
			}
		})
	}
}

// mustParse is Parse for queries known to be valid: test fixtures.
func mustParse(query string) *Query {
	q, err := Parse(query)
	if err != nil {
		panic("matcher: " + query + ": " + err.Error())
	}
	return q
}
