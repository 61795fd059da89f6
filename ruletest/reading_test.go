package ruletest_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/crawler"
	"github.com/newswatch/newswatch/ruletest"
)

// Real-world input classes that used to lose matches silently, each read
// through the crawler's Load and tested as `newswatch test -query` does:
// the exact decoded title of the article the query must find, and the
// exit code. Fixtures: testdata/reading.
func TestReadingFixtures(t *testing.T) {
	tests := []struct {
		file, query string
		title       string // of the first article, exactly
		want        int    // exit code: 0 matched, 1 not
	}{
		{"utf8-under-1251-prolog.xml", "Цитата AND Уиткоффа", "Цитата дня: Кремль о переговорах", 0},
		{"utf16le-no-bom.xml", "Харьков", "Удары по Харькову", 0},
		{"utf16be-no-bom.xml", "Харьков", "Удары по Харькову", 0},
		{"utf32le-bom.xml", "Харьков", "Удары по Харькову", 0},
		{"undeclared-windows-1251.txt", `"мирному плану" AND Донецке`, "Песков: Кремль пока не получал новых предложений по мирному плану", 0},
		{"undeclared-koi8-r.txt", `Уиткофф NEAR/5 Москву`, "Песков: Кремль пока не получал новых предложений по мирному плану", 0},
		{"undeclared-shift_jis.txt", "人工知能 AND 日経平均株価", "政府、新たな経済対策を閣議決定 物価高への対応を強化", 0},
		{"undeclared-gbk.html", "title:国务院 AND 人工智能", "国务院常务会议部署进一步扩大内需促进消费的政策措施", 0},
		{"meta-charset-late.html", "Донецке", "Донецк: восстановление электроснабжения", 0},
		{"invisible-chars.xml", "title:soft AND Kremlin", "Soft hyphen", 0},
		{"invisible-chars.xml", "title:zero AND title:width AND title:space AND Kremlin", "Soft hyphen", 0},
		{"invisible-chars.xml", "title:joiner AND Kremlin", "Soft hyphen", 0},
		{"invisible-chars.xml", "title:BOM AND Kremlin", "Soft hyphen", 0},
		{"invisible-chars.xml", "Krem\u00adlin AND title:nothing", "Soft hyphen", 1},
		{"unclosed-object.xml", "Kharkiv", "Overnight attack", 0},
		{"unclosed-object.xml", "Kherson", "Overnight attack", 0},
		{"unclosed-object.xml", "shockwave OR swf", "Overnight attack", 1},
		{"cjk.xml", "人工智能", "DeepMind新电脑已可利用记忆自学", 0},
		{"cjk.xml", "title:DeepMind", "DeepMind新电脑已可利用记忆自学", 0},
		{"cjk.xml", "title:电脑", "DeepMind新电脑已可利用记忆自学", 0},
		{"cjk.xml", "title:タワー", "DeepMind新电脑已可利用记忆自学", 0},
		{"cjk.xml", "人工智能 AND title:東京", "DeepMind新电脑已可利用记忆自学", 1}, // 人工…智…能 apart
		{"logo-h1.html", "title:(Kremlin AND Witkoff)", "Kremlin confirms Witkoff visit", 0},
		{"logo-h1.html", `"peace plan"`, "Kremlin confirms Witkoff visit", 1}, // only in the navigation
		{"og-title-multi.html", "title:Zelenskyy", "Zelenskyy meets European leaders in Berlin", 0},
		{"long-article.html", "Zaporizhzhia", "A very long read", 0},
		{"plain-angle.txt", "title:Kremlin", "<!channel> Kremlin says talks will resume", 0},
	}
	c := crawler.New(crawler.Options{})
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.query, func(t *testing.T) {
			path := filepath.Join("testdata", "reading", tt.file)
			arts, err := c.Load(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			if len(arts) == 0 || arts[0].Title != tt.title {
				var got []string
				for _, a := range arts {
					got = append(got, a.Title)
				}
				t.Fatalf("titles %q, want the first %q", got, tt.title)
			}
			var out, errOut bytes.Buffer
			code := ruletest.Run(t.Context(), ruletest.Options{
				Query: tt.query, Targets: []string{path}, Load: c.Load, Stdout: &out, Stderr: &errOut,
			})
			if code != tt.want {
				t.Errorf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.want, out.String(), errOut.String())
			}
		})
	}
}

// An empty file is no article: `test` finds nothing in it, and says
// nothing is wrong.
func TestEmptyFileYieldsNoArticle(t *testing.T) {
	c := crawler.New(crawler.Options{})
	path := filepath.Join("testdata", "reading", "empty.txt")
	arts, err := c.Load(context.Background(), path)
	if err != nil || len(arts) != 0 {
		t.Fatalf("Load = %d articles, %v; want none", len(arts), err)
	}
	var out, errOut bytes.Buffer
	code := ruletest.Run(t.Context(), ruletest.Options{Query: "x1", Targets: []string{path}, Load: c.Load, Stdout: &out, Stderr: &errOut})
	if code != 1 || strings.TrimSpace(errOut.String()) != "" {
		t.Errorf("exit %d, stderr %q; want 1 and no error", code, errOut.String())
	}
}
