package story

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// evalArticle is one file of testdata/eval: articles written for this test
// (fictional events and people), labelled with the story they belong to.
// Copies of one wire story share a label; different reports that share its
// names and keywords (a follow-up, a reaction, an analysis) have their own.
type evalArticle struct {
	Story  string `json:"story"`
	Source string `json:"source"`
	Title  string `json:"title"`
	Text   string `json:"text"`
	file   string
}

func loadEval(t testing.TB) []evalArticle {
	t.Helper()
	files, err := filepath.Glob("testdata/eval/*.json")
	if err != nil || len(files) < 30 {
		t.Fatalf("want at least 30 evaluation articles, have %d (%v)", len(files), err)
	}
	words := regexp.MustCompile(`[\pL\pN]+`)
	arts := make([]evalArticle, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &arts[i]); err != nil || arts[i].Story == "" {
			t.Fatalf("%s: bad article: %v", f, err)
		}
		if n := len(words.FindAllString(arts[i].Text, -1)); n < 150 {
			t.Fatalf("%s: %d words, want at least 150", f, n)
		}
		arts[i].file = filepath.Base(f)
	}
	return arts
}

// pairCounts tallies a pairwise decision against the labels.
type pairCounts struct{ tp, fp, fn int }

func (c pairCounts) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c pairCounts) recall() float64    { return ratio(c.tp, c.tp+c.fn) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func (c *pairCounts) add(same, predicted bool) {
	switch {
	case same && predicted:
		c.tp++
	case predicted:
		c.fp++
	case same:
		c.fn++
	}
}

// TestEvaluation measures Similar, and the banding in front of it, over
// every pair of the labelled set: recall on copies of one story must be at
// least 0.95 and no two different stories may be folded (precision 1).
func TestEvaluation(t *testing.T) {
	arts := loadEval(t)
	sigs := make([]Signature, len(arts))
	idx := NewIndex()
	for i, a := range arts {
		sigs[i] = Sign(a.Title, a.Text)
		idx.Add(int64(i), sigs[i])
	}
	var similar, banded pairCounts
	minSame, maxDiff := 1.0, 0.0
	var minPair, maxPair string
	for i := range arts {
		cands := map[int64]bool{}
		for _, id := range idx.Candidates(sigs[i]) {
			cands[id] = true
		}
		for j := i + 1; j < len(arts); j++ {
			same := arts[i].Story == arts[j].Story
			sim := Similar(sigs[i], sigs[j])
			similar.add(same, sim)
			banded.add(same, cands[int64(j)])
			est := Estimate(sigs[i], sigs[j])
			switch {
			case same && !sim: // counted in recall, asserted below
				t.Logf("copies not folded (estimate %.2f): %s, %s", est, arts[i].file, arts[j].file)
			case !same && sim:
				t.Errorf("different stories folded (estimate %.2f): %s, %s", est, arts[i].file, arts[j].file)
			}
			pair := arts[i].file + " ~ " + arts[j].file
			if same && est < minSame {
				minSame, minPair = est, pair
			} else if !same && est > maxDiff {
				maxDiff, maxPair = est, pair
			}
		}
	}
	t.Logf("articles %d, copy pairs %d", len(arts), similar.tp+similar.fn)
	t.Logf("Similar: precision %.3f recall %.3f (tp %d fp %d fn %d)",
		similar.precision(), similar.recall(), similar.tp, similar.fp, similar.fn)
	t.Logf("band candidates: recall %.3f, %d false candidates", banded.recall(), banded.fp)
	t.Logf("estimated Jaccard: lowest between copies %.2f (%s)", minSame, minPair)
	t.Logf("estimated Jaccard: highest between different stories %.2f (%s)", maxDiff, maxPair)
	if similar.recall() < 0.95 || similar.precision() < 1 {
		t.Errorf("Similar: precision %.3f recall %.3f; want precision 1 and recall >= 0.95",
			similar.precision(), similar.recall())
	}
	if banded.recall() < similar.recall() {
		t.Errorf("band candidates recall %.3f is below Similar's %.3f: Lookup would miss copies",
			banded.recall(), similar.recall())
	}
}

// TestEvaluationLookup runs the set through the Index as the daemon would
// use the store: each article looks up earlier ones, then is added.
func TestEvaluationLookup(t *testing.T) {
	arts := loadEval(t)
	idx := NewIndex()
	for i, a := range arts {
		sig := Sign(a.Title, a.Text)
		for _, id := range idx.Lookup(sig) {
			if arts[id].Story != a.Story {
				t.Errorf("%s found %s", a.file, arts[id].file)
			}
		}
		idx.Add(int64(i), sig)
	}
}
