package crawler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	feed := readTestdata(t, "rss20.xml")
	page := readTestdata(t, "article.html")
	srv := newServer(t, map[string]route{
		"/feed":    {contentType: "application/rss+xml", body: feed},
		"/article": {contentType: "text/html; charset=utf-8", body: page},
		"/text":    {contentType: "text/plain", body: "Donetsk update\nShelling was reported overnight."},
	})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "note.txt"), "\n  Kremlin statement  \nFirst line of the body.\nSecond line.\n")
	writeFile(t, filepath.Join(dir, "page.html"), page)

	tests := []struct {
		name, target, stdin string
		wantSource          string
		wantTitles          []string
		check               func(t *testing.T, body string)
	}{
		{name: "feed URL", target: srv.URL + "/feed", wantSource: "test",
			wantTitles: []string{"Witkoff meets Putin in the Kremlin", "Relative link, dated by dc:date"}},
		{name: "feed file", target: filepath.Join("testdata", "windows-1251.xml"), wantSource: "windows-1251.xml",
			wantTitles: []string{"Обстрел Донецка"}},
		{name: "feed on stdin", target: "-", stdin: readTestdata(t, "jsonfeed.json"), wantSource: "test",
			wantTitles: []string{"Ushakov comments", "Text content"}},
		{name: "HTML URL", target: srv.URL + "/article", wantSource: "test",
			wantTitles: []string{"Witkoff holds talks with Putin"}, check: checkArticleBody},
		{name: "HTML file", target: filepath.Join(dir, "page.html"), wantSource: "page.html",
			wantTitles: []string{"Witkoff holds talks with Putin"}, check: checkArticleBody},
		{name: "HTML on stdin", target: "-", stdin: page, wantSource: "test",
			wantTitles: []string{"Witkoff holds talks with Putin"}, check: checkArticleBody},
		{name: "text file", target: filepath.Join(dir, "note.txt"), wantSource: "note.txt",
			wantTitles: []string{"Kremlin statement"}, check: func(t *testing.T, body string) {
				if body != "First line of the body.\nSecond line." {
					t.Errorf("body %q", body)
				}
			}},
		{name: "text on stdin", target: "-", stdin: "Witkoff\r\nbody text\r\n", wantSource: "test",
			wantTitles: []string{"Witkoff"}, check: func(t *testing.T, body string) {
				if body != "body text" {
					t.Errorf("body %q", body)
				}
			}},
		{name: "text URL", target: srv.URL + "/text", wantSource: "test",
			wantTitles: []string{"Donetsk update"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestCrawler(t, Options{Stdin: strings.NewReader(tt.stdin)})
			articles, err := c.Load(testContext(t), tt.target)
			if err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, a := range articles {
				titles = append(titles, a.Title)
				if a.Source != tt.wantSource {
					t.Errorf("source %q, want %q", a.Source, tt.wantSource)
				}
			}
			if strings.Join(titles, "|") != strings.Join(tt.wantTitles, "|") {
				t.Fatalf("titles %q, want %q", titles, tt.wantTitles)
			}
			if tt.check != nil {
				tt.check(t, articles[0].Body)
			}
		})
	}
}

// checkArticleBody: the main text of testdata/article.html, without the
// page's navigation, scripts, related links or footer.
func checkArticleBody(t *testing.T, body string) {
	t.Helper()
	if !strings.Contains(body, `Kremlin aide Yuri Ushakov told reporters the talks were "useful and constructive"`) {
		t.Errorf("body lacks the article text: %q", body)
	}
	for _, junk := range []string{"trackPageView", "Cookie settings", "Sport results", "font-family"} {
		if strings.Contains(body, junk) {
			t.Errorf("body contains %q: %q", junk, body)
		}
	}
}

func TestLoadHTMLMetadata(t *testing.T) {
	c := newTestCrawler(t, Options{Stdin: strings.NewReader(readTestdata(t, "article.html"))})
	articles, err := c.Load(testContext(t), "-")
	if err != nil {
		t.Fatal(err)
	}
	a := articles[0]
	if want := time.Date(2025, 12, 2, 15, 30, 0, 0, time.UTC); !a.Published.Equal(want) {
		t.Errorf("published %v, want %v (article:published_time)", a.Published, want)
	}
	if a.CanonicalLink != "https://news.example/world/witkoff-moscow" {
		t.Errorf("canonical link %q", a.CanonicalLink)
	}
}

func TestLoadErrors(t *testing.T) {
	srv := newServer(t, map[string]route{"/broken": {contentType: "application/rss+xml", body: readTestdata(t, "truncated.xml")}})
	c := newTestCrawler(t, Options{Stdin: strings.NewReader("")})
	for _, target := range []string{filepath.Join(t.TempDir(), "missing.xml"), srv.URL + "/broken", srv.URL + "/404"} {
		if _, err := c.Load(testContext(t), target); err == nil || !strings.HasPrefix(err.Error(), "crawler: ") {
			t.Errorf("Load(%q) error %v, want a crawler: error", target, err)
		}
	}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadHTMLTooBigForReadability(t *testing.T) {
	page := "<html><head><title>Big</title></head><body>" + strings.Repeat("<span>w</span>", maxReadabilityElems) +
		"<p>Donetsk at the end</p></body></html>"
	c := newTestCrawler(t, Options{Stdin: strings.NewReader(page)})
	articles, err := c.Load(testContext(t), "-")
	if err != nil {
		t.Fatal(err)
	}
	if a := articles[0]; a.Title != "Big" || !strings.HasSuffix(a.Body, "Donetsk at the end") {
		t.Errorf("title %q, body ending %q; want the whole body's text", a.Title, a.Body[max(0, len(a.Body)-40):])
	}
}

// Markup needs actual markup, not one leading "<".
func TestLooksLikeXML(t *testing.T) {
	for in, want := range map[string]bool{
		"<!channel> Kremlin says talks will resume\nbody": false,
		"<3 Kyiv\nbody":                             false,
		"<@U123> see this\nbody":                    false,
		"<https://news.example/a> link first\nbody": false,
		"<Kremlin> said\nbody":                      false,
		"<?xml version=\"1.0\"?><note>x</note>":     true,
		"<!-- saved page --><div>x</div>":           true,
		"<!DOCTYPE html><p>x":                       true,
		"<note lang=\"en\">Kremlin</note>\n":        true,
		"<p>Kremlin says</p> more":                  true,
		"<b>Breaking:</b> Kremlin says":             true,
		"\ufeff  <article>x</article>":              true,
		"":                                          false,
	} {
		if got := looksLikeXML([]byte(in)); got != want {
			t.Errorf("looksLikeXML(%q) = %v, want %v", in, got, want)
		}
	}
}
