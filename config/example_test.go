package config

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

// noEnv is an environment with nothing set, so tests never depend on the
// machine running them.
func noEnv(string) (string, bool) { return "", false }

// TestExampleConfig loads the shipped example with an empty environment: it
// must run out of the box, in stdout mode.
func TestExampleConfig(t *testing.T) {
	c, err := Load("../newswatch.example.yaml", Options{Version: "1.2.3", LookupEnv: noEnv})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if c.Slack.Enabled() || c.Slack.Mode() != "stdout" {
		t.Errorf("Slack = %+v, want stdout mode", c.Slack)
	}
	if c.State != "newswatch.db" || c.Retention != 30*24*time.Hour {
		t.Errorf("State %q, Retention %v", c.State, c.Retention)
	}
	want := map[string]string{
		"guardian-world":   "https://www.theguardian.com/world/rss",
		"bbc-world":        "https://feeds.bbci.co.uk/news/world/rss.xml",
		"kyiv-independent": "https://kyivindependent.com/news-archive/rss/",
		"meduza-en":        "https://meduza.io/rss/en/all",
		"tass-en":          "https://tass.com/rss/v2.xml",
		"kremlin-news":     "http://en.kremlin.ru/events/president/news",
	}
	if len(c.Sources) != len(want) {
		t.Errorf("got %d sources, want %d", len(c.Sources), len(want))
	}
	for _, s := range c.Sources {
		if want[s.Name] != s.URL() {
			t.Errorf("source %s: URL %q, want %q", s.Name, s.URL(), want[s.Name])
		}
	}
	for _, name := range []string{"witkoff-moscow", "kremlin-talks", "donetsk"} {
		if c.ChannelFor(name) == "" {
			t.Errorf("rule %s missing or without channel", name)
		}
	}
	if c.Matcher == nil {
		t.Fatal("Matcher not compiled")
	}
	var out bytes.Buffer
	c.Summary(&out)
	if !strings.Contains(out.String(), "alerts are printed to stdout") {
		t.Errorf("summary does not say stdout mode:\n%s", out.String())
	}
}

// TestExampleRules checks that the example's rules catch the stories they
// are written for, in English, Russian and Ukrainian.
func TestExampleRules(t *testing.T) {
	c, err := Load("../newswatch.example.yaml", Options{LookupEnv: noEnv})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tests := []struct {
		name    string
		article model.Article
		want    []string
	}{
		{"Witkoff in Moscow", model.Article{Source: "guardian-world", Title: "Witkoff meets Putin at the Kremlin for peace talks"},
			[]string{"witkoff-moscow", "kremlin-talks"}},
		{"Witkoff in Russian, from TASS", model.Article{Source: "tass-en", Title: "Уиткофф прибыл в Москву", Body: "Переговоры в Кремле"},
			[]string{"witkoff-moscow", "witkoff"}},
		{"Witkoff alone, from a general outlet", model.Article{Source: "bbc-world", Title: "Witkoff visits Miami"}, nil},
		{"Donetsk in Russian", model.Article{Source: "meduza-en", Body: "Обстрел Донецка"}, []string{"donetsk"}},
		{"Donetsk in Ukrainian", model.Article{Source: "kyiv-independent", Body: "Бої на Донеччині та в Донецькій області"}, []string{"donetsk"}},
		{"Donetsk in English", model.Article{Source: "bbc-world", Title: "Fighting near Donetsk"}, []string{"donetsk"}},
		{"peace plan", model.Article{Source: "guardian-world", Body: "The 28-point peace plan would require Ukraine to cede land"},
			[]string{"peace-plan"}},
		{"unrelated", model.Article{Source: "guardian-world", Title: "Weather in Lisbon"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range c.Matcher.Match(&tt.article) {
				got = append(got, m.Rule)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rules %v, want %v", got, tt.want)
			}
		})
	}
}
