package ruletest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/matcher"
	"github.com/newswatch/newswatch/model"
)

// fakeLoad serves articles by target name, as the crawler's Load would.
func fakeLoad(targets map[string][]*model.Article) func(context.Context, string) ([]*model.Article, error) {
	return func(_ context.Context, target string) ([]*model.Article, error) {
		a, ok := targets[target]
		if !ok {
			return nil, errors.New("no such file")
		}
		return a, nil
	}
}

var testArticles = map[string][]*model.Article{
	"feed.xml": {
		{Title: "Witkoff lands in Moscow", Link: "https://example.com/a",
			Body: "The US envoy Steve Witkoff met Putin in the Kremlin on Thursday, officials said."},
		{Title: "Weather", Body: "Sunny in Donetsk and Донецк."},
	},
	"page.html": {{Title: "Markets", Body: "Nothing to see."}},
}

var testRules = []matcher.Rule{
	{Name: "witkoff-moscow", Query: "Witkoff AND (Kremlin OR Putin OR Ushakov)"},
	{Name: "donetsk", Query: "Donetsk OR Донецк"},
}

func run(t *testing.T, o Options) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	o.Stdout, o.Stderr = &out, &errOut
	if o.Load == nil {
		o.Load = fakeLoad(testArticles)
	}
	code = Run(context.Background(), o)
	return code, out.String(), errOut.String()
}

func TestRun(t *testing.T) {
	cases := []struct {
		name     string
		opts     Options
		code     int
		stdout   []string // substrings, in order
		stderr   []string
		noStdout []string
	}{
		{
			name: "all rules",
			opts: Options{Rules: testRules, Targets: []string{"feed.xml"}},
			code: 0,
			stdout: []string{
				"witkoff-moscow: Witkoff lands in Moscow <https://example.com/a>",
				"title: «Witkoff» lands in Moscow",
				"body: The US envoy Steve «Witkoff» met «Putin» in the «Kremlin» on Thursday, officials said.",
				"donetsk: Weather",
				"body: Sunny in «Donetsk» and «Донецк».",
			},
		},
		{
			name:     "one rule",
			opts:     Options{Rules: testRules, Rule: "donetsk", Targets: []string{"feed.xml"}},
			code:     0,
			stdout:   []string{"donetsk: Weather"},
			noStdout: []string{"witkoff"},
		},
		{
			name:     "query overrides rules",
			opts:     Options{Rules: testRules, Query: `"Steve Witkoff" NEAR/2 Putin`, Targets: []string{"feed.xml"}},
			code:     0,
			stdout:   []string{"query: Witkoff lands in Moscow", "body: The US envoy «Steve Witkoff» met «Putin» in the Kremlin on Thursday, officials said."},
			noStdout: []string{"donetsk"},
		},
		{
			name:   "nothing matched",
			opts:   Options{Query: "Zelensk*", Targets: []string{"feed.xml", "page.html"}},
			code:   1,
			stdout: nil,
		},
		{
			name:   "stdin target",
			opts:   Options{Query: "markets", Targets: []string{"-"}, Load: fakeLoad(map[string][]*model.Article{"-": {{Title: "Markets today"}}})},
			code:   0,
			stdout: []string{"query: Markets today", "title: «Markets» today"},
		},
		{
			name:   "bad query",
			opts:   Options{Query: "Witkoff AND (Kremlin", Targets: []string{"feed.xml"}},
			code:   2,
			stderr: []string{"col 21: expected ')'", "    Witkoff AND (Kremlin\n", "    " + strings.Repeat(" ", 20) + "^\n"},
		},
		{
			name:   "bad rule in config",
			opts:   Options{Rules: []matcher.Rule{{Name: "bad", Query: "NOT x"}}, Targets: []string{"feed.xml"}},
			code:   2,
			stderr: []string{`rule "bad"`, "    NOT x\n    ^\n", "requires nothing"},
		},
		{
			name:   "unknown rule",
			opts:   Options{Rules: testRules, Rule: "nope", Targets: []string{"feed.xml"}},
			code:   2,
			stderr: []string{`no rule named "nope"`},
		},
		{
			name:   "no rules",
			opts:   Options{Targets: []string{"feed.xml"}},
			code:   2,
			stderr: []string{"no rules"},
		},
		{
			name:   "no targets",
			opts:   Options{Rules: testRules},
			code:   2,
			stderr: []string{"expected at least one TARGET"},
		},
		{
			name:   "failed target still tests the others",
			opts:   Options{Rules: testRules, Targets: []string{"missing.txt", "feed.xml"}},
			code:   2,
			stdout: []string{"witkoff-moscow: Witkoff lands in Moscow"},
			stderr: []string{"missing.txt: no such file"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := run(t, c.opts)
			if code != c.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, stdout, stderr)
			}
			containsInOrder(t, "stdout", stdout, c.stdout)
			containsInOrder(t, "stderr", stderr, c.stderr)
			for _, s := range c.noStdout {
				if strings.Contains(stdout, s) {
					t.Errorf("stdout contains %q:\n%s", s, stdout)
				}
			}
			if c.code == 1 && stdout != "" {
				t.Errorf("no match but stdout:\n%s", stdout)
			}
		})
	}
}

func containsInOrder(t *testing.T, name, got string, want []string) {
	t.Helper()
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s lacks %q (in order):\n%s", name, w, got)
			return
		}
		rest = rest[i+len(w):]
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	code := Run(ctx, Options{Query: "x1", Targets: []string{"feed.xml"}, Load: fakeLoad(testArticles), Stdout: &out, Stderr: &errOut})
	if code != 2 || !strings.Contains(errOut.String(), "context canceled") {
		t.Errorf("code %d, stderr %q", code, errOut.String())
	}
}

func TestSnippets(t *testing.T) {
	long := strings.Repeat(" filler words here", 10) + " "
	text := long + "Witkoff met Putin" + long + "and Putin again" + long
	a := &model.Article{Body: text}
	i := strings.Index(text, "Witkoff")
	j := strings.Index(text, "Putin")
	k := strings.LastIndex(text, "Putin")
	got := snippets(a, []model.Span{
		{Field: model.FieldBody, Start: i, End: i + 7},
		{Field: model.FieldBody, Start: j, End: j + 5},
		{Field: model.FieldBody, Start: k, End: k + 5},
	})
	want := []string{
		"body: …here filler words here filler words here «Witkoff» met «Putin» filler words here filler words here filler…",
		"body: …filler words here filler words here and «Putin» again filler words here filler words here…",
	}
	if len(got) != len(want) {
		t.Fatalf("snippets = %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("snippet %d = %q\nwant        %q", i, got[i], want[i])
		}
	}
}

func TestSnippetOverlappingSpans(t *testing.T) {
	a := &model.Article{Title: "A peace plan for Ukraine"}
	got := snippets(a, []model.Span{{Start: 2, End: 12}, {Start: 8, End: 12}, {Start: 17, End: 24}})
	if len(got) != 1 || got[0] != "title: A «peace plan» for «Ukraine»" {
		t.Errorf("snippets = %q", got)
	}
}

// TestRunControlCharacters: text from the web reaches the terminal without
// escape sequences, other control characters or bidi overrides.
func TestRunControlCharacters(t *testing.T) {
	load := fakeLoad(map[string][]*model.Article{"evil.html": {{
		Title: "Putin\x1b]0;pwned\x07 \x1b[2J\u202eSPEC",
		Link:  "https://example.com/a\x1b[31m\nb",
		Body:  "the Kremlin\x1b[8m said\u2028Putin\u009b1m",
	}}})
	code, stdout, _ := run(t, Options{Query: "Putin", Targets: []string{"evil.html"}, Load: load})
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u2028", "\u009b"} {
		if strings.Contains(stdout, bad) {
			t.Errorf("stdout contains %q:\n%q", bad, stdout)
		}
	}
	if n := strings.Count(stdout, "\n"); n != 3 {
		t.Errorf("stdout has %d lines, want 3 (the match, the title and the body snippets):\n%s", n, stdout)
	}
}

// TestSnippetsDenseMatches: an article full of matches still prints at
// most maxSnippets short snippets per field, not its whole text.
func TestSnippetsDenseMatches(t *testing.T) {
	text := strings.Repeat("Putin said. ", 10000)
	var spans []model.Span
	for i := 0; i < len(text); i += len("Putin said. ") {
		spans = append(spans, model.Span{Field: model.FieldBody, Start: i, End: i + len("Putin")})
	}
	got := snippets(&model.Article{Body: text}, spans)
	if len(got) != maxSnippets {
		t.Fatalf("%d snippets, want %d", len(got), maxSnippets)
	}
	for _, s := range got {
		if len(s) > 2*(maxGroup+contextBytes) { // marks, context and the cut to word boundaries included
			t.Errorf("snippet of %d bytes: %.100q…", len(s), s)
		}
	}
}
