package crawler

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCorpus reads every document of testdata/corpus (real-shaped feeds
// and pages in English, Russian, Ukrainian, German, French, Japanese,
// Chinese, Korean, Hebrew and Thai, in the charsets and declarations they
// are served with: misdeclared, undeclared, late <meta>, UTF-16...) the
// way `newswatch test FILE` does, and compares each article's title and
// the first words of its text with testdata/corpus.golden. A regression in
// charset decisions, markup parsing or title choice shows here as a diff.
// Run with -update to rewrite the golden file, then read the diff.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*"))
	if err != nil || len(files) < 20 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	c := newTestCrawler(t, Options{})
	var b strings.Builder
	for _, f := range files {
		arts, err := c.Load(testContext(t), f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fmt.Fprintf(&b, "== %s\n", filepath.Base(f))
		for _, a := range arts {
			if !utf8.ValidString(a.Title+a.Summary+a.Body) || strings.ContainsRune(a.Title+a.Summary+a.Body, utf8.RuneError) {
				t.Errorf("%s: %q: invalid or replaced characters", f, a.Title)
			}
			fmt.Fprintf(&b, "title: %s\ntext:  %s\n", a.Title, firstWords(a.Summary+" "+a.Body, 8))
		}
	}
	golden := filepath.Join("testdata", "corpus.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("corpus differs from %s (run with -update and read the diff):\n%s", golden, lineDiff(string(want), got))
	}
}

// firstWords is the first n words of s, at most 60 characters of them
// (Chinese and Japanese have no spaces).
func firstWords(s string, n int) string {
	w := strings.Fields(s)
	r := []rune(strings.Join(w[:min(n, len(w))], " "))
	return string(r[:min(60, len(r))])
}

// lineDiff lists the lines that differ, as "- want" and "+ got".
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "- %s\n+ %s\n", w, g)
		}
	}
	return b.String()
}
