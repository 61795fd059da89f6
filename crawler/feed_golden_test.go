package crawler

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/model"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// TestFeedGolden serves each testdata feed over HTTP and compares the
// articles Fetch makes of it with testdata/NAME.golden.json. Server URLs are
// written as http://feed.test in the golden files.
func TestFeedGolden(t *testing.T) {
	tests := []struct {
		file, contentType string
	}{
		{"rss20.xml", "application/rss+xml; charset=utf-8"},
		{"rss10.xml", "application/rdf+xml"},
		{"rss091.xml", "text/xml"},
		{"atom.xml", "application/atom+xml"},
		{"jsonfeed.json", "application/feed+json"},
		{"windows-1251.xml", "application/rss+xml"}, // charset only in the prolog
		{"iso-8859-1.xml", "text/xml"},              // charset only in the prolog
		{"bom.xml", "application/xml"},
		{"html-description.xml", "application/rss+xml"},
		{"entities.xml", "application/rss+xml"},
		{"bad-date.xml", "application/rss+xml"},
		{"missing-guid.xml", "application/rss+xml"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			srv := newServer(t, map[string]route{"/feed": {contentType: tt.contentType, body: string(raw)}})
			c := newTestCrawler(t, Options{})
			res, err := c.Fetch(testContext(t), Request{Source: model.Source{Name: "golden", Feed: srv.URL + "/feed"}})
			if err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(articlesJSON(t, res.Articles), srv.URL, "http://feed.test")
			compareGolden(t, filepath.Join("testdata", tt.file+".golden.json"), []byte(got))
		})
	}
}

// articlesJSON is the golden form of articles: indented, & < > unescaped.
func articlesJSON(t *testing.T, articles []*model.Article) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(articles); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("articles differ from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
