package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

// full uses every key the SPEC documents.
var full = yml(
	`state: /var/lib/newswatch/state.db`,
	`listen: 0.0.0.0:9000`,
	`schedule: "@every 10m"`,
	`max_age: 24h`,
	`story_window: 2d`,
	`retention: 60d`,
	`user_agent: "watcher/1 (+https://example.org)"`,
	`slack:`,
	`  token: ${SLACK_BOT_TOKEN}`,
	`  channel: "#news-alerts"`,
	`  api_url: http://127.0.0.1:8080/api`,
	`sources:`,
	`  - name: guardian-world`,
	`    feed: https://www.theguardian.com/world/rss`,
	`    schedule: "@hourly"`,
	`  - name: kremlin-news`,
	`    page: http://en.kremlin.ru/events/president/news`,
	`    links: "div.hentry h3 a"`,
	`    title: h1`,
	`    body: "div.read__content"`,
	`    max_articles: 10`,
	`    allow_private: true`,
	`rules:`,
	`  - name: witkoff-moscow`,
	`    query: 'Witkoff AND (Kremlin OR Putin OR Ushakov)'`,
	`    channel: "#diplomacy"`,
	`  - name: donetsk`,
	`    query: 'Donetsk OR Донецк'`,
	`  - name: peace-plan`,
	`    query: '"peace plan" NEAR/10 (Ukraine OR Zelenskyy)'`,
	`    sources: [guardian-world]`,
)

func TestParseFull(t *testing.T) {
	c := mustParse(t, full, map[string]string{"SLACK_BOT_TOKEN": "xoxb-test"})
	want := &Config{
		Path:        "t.yaml",
		State:       "/var/lib/newswatch/state.db",
		Listen:      "0.0.0.0:9000",
		Schedule:    "@every 10m",
		MaxAge:      24 * time.Hour,
		StoryWindow: 48 * time.Hour,
		Retention:   60 * 24 * time.Hour,
		UserAgent:   "watcher/1 (+https://example.org)",
		Slack:       Slack{Token: "xoxb-test", Channel: "#news-alerts", APIURL: "http://127.0.0.1:8080/api/"},
		Sources: []model.Source{
			{Name: "guardian-world", Feed: "https://www.theguardian.com/world/rss", Schedule: "@hourly", MaxArticles: 30},
			{Name: "kremlin-news", Page: "http://en.kremlin.ru/events/president/news", Links: "div.hentry h3 a",
				Title: "h1", Body: "div.read__content", Schedule: "@every 10m", MaxArticles: 10, AllowPrivate: true, PrivateSet: true},
		},
		Rules: []Rule{
			{Name: "witkoff-moscow", Query: "Witkoff AND (Kremlin OR Putin OR Ushakov)", Channel: "#diplomacy"},
			{Name: "donetsk", Query: "Donetsk OR Донецк", Channel: "#news-alerts"},
			{Name: "peace-plan", Query: `"peace plan" NEAR/10 (Ukraine OR Zelenskyy)`, Channel: "#news-alerts", Sources: []string{"guardian-world"}},
		},
		Flood: Flood{Burst: 10, Window: 10 * time.Minute},
	}
	if c.Matcher == nil {
		t.Fatal("Matcher not compiled")
	}
	got := *c
	got.Matcher = nil
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", got, *want)
	}
	if m := c.Slack.Mode(); m != "token" {
		t.Errorf("Slack.Mode() = %q, want token", m)
	}
	if ch := c.ChannelFor("witkoff-moscow"); ch != "#diplomacy" {
		t.Errorf("ChannelFor(witkoff-moscow) = %q", ch)
	}
	if ch := c.ChannelFor("donetsk"); ch != "#news-alerts" {
		t.Errorf("ChannelFor(donetsk) = %q, want the default channel", ch)
	}
	mr := c.MatcherRules()
	if len(mr) != 3 || mr[2].Name != "peace-plan" || mr[2].Query != want.Rules[2].Query || !reflect.DeepEqual(mr[2].Sources, []string{"guardian-world"}) {
		t.Errorf("MatcherRules() = %+v", mr)
	}
}

// TestMatcherCompiled checks that Config.Matcher really is built from the
// rules, sources restrictions included.
func TestMatcherCompiled(t *testing.T) {
	c := mustParse(t, full, map[string]string{"SLACK_BOT_TOKEN": "x"})
	tests := []struct {
		name    string
		article model.Article
		want    []string
	}{
		{"witkoff in moscow", model.Article{Source: "kremlin-news", Title: "Witkoff meets Putin in the Kremlin"}, []string{"witkoff-moscow"}},
		{"cyrillic donetsk", model.Article{Source: "kremlin-news", Title: "Донецк"}, []string{"donetsk"}},
		{"peace plan from its source", model.Article{Source: "guardian-world", Body: "The peace plan for Ukraine"}, []string{"peace-plan"}},
		{"peace plan from another source", model.Article{Source: "kremlin-news", Body: "The peace plan for Ukraine"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range c.Matcher.Match(&tt.article) {
				got = append(got, m.Rule)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
	}{
		{"one source, one rule", minimal},
		{"null values count as absent", append(yml("listen:", "schedule: ~", "slack:"), minimal...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src, nil)
			if c.State != "newswatch.db" || c.Listen != "127.0.0.1:9464" || c.Schedule != "*/5 * * * *" {
				t.Errorf("State %q Listen %q Schedule %q", c.State, c.Listen, c.Schedule)
			}
			if c.MaxAge != 48*time.Hour || c.StoryWindow != 72*time.Hour || c.Retention != 720*time.Hour {
				t.Errorf("MaxAge %v StoryWindow %v Retention %v", c.MaxAge, c.StoryWindow, c.Retention)
			}
			if want := "newswatch/0.1.0 (+https://github.com/newswatch/newswatch)"; c.UserAgent != want {
				t.Errorf("UserAgent %q, want %q", c.UserAgent, want)
			}
			if c.Slack.Enabled() || c.Slack.Mode() != "stdout" {
				t.Errorf("Slack %+v, want stdout mode", c.Slack)
			}
			for _, s := range c.Sources {
				if s.Schedule != "*/5 * * * *" || s.MaxArticles != 30 || s.AllowPrivate {
					t.Errorf("source %+v lacks defaults", s)
				}
			}
			if c.Matcher == nil {
				t.Error("Matcher is nil with no rules")
			}
		})
	}
	t.Run("no version", func(t *testing.T) {
		c, err := Parse("t.yaml", minimal, Options{LookupEnv: noEnv})
		if err != nil || c.UserAgent != "newswatch/dev (+https://github.com/newswatch/newswatch)" {
			t.Errorf("UserAgent %q, err %v", c.UserAgent, err)
		}
	})
}

// minimal is the smallest config that watches something.
var minimal = yml("sources:", "  - name: a", "    feed: https://example.com/rss", "rules:", "  - name: r", "    query: Kremlin")

// TestNothingToWatch: a config without sources or without rules is refused,
// saying which is missing; so is an empty file (an editor truncating it
// while run runs must not be applied as "watch nothing").
func TestNothingToWatch(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		want []string
	}{
		{"empty file", nil, []string{"t.yaml:1:1: the config file is empty: it needs sources: (at least one source) and rules: (at least one rule)"}},
		{"white space only", []byte("\n  \n\n"), []string{"t.yaml:1:1: the config file is empty: it needs sources: (at least one source) and rules: (at least one rule)"}},
		{"comments only", yml("# nothing yet"), []string{"t.yaml:1:1: the config file is empty: it needs sources: (at least one source) and rules: (at least one rule)"}},
		{"no rules", yml("sources:", "  - name: a", "    feed: https://example.com/rss"),
			[]string{"t.yaml:1:1: no rules: the config needs at least one rule (name: and query:) under rules:"}},
		{"no sources", yml("state: x.db", "rules:", "  - name: r", "    query: Kremlin"),
			[]string{"t.yaml:1:1: no sources: the config needs at least one source (name: and feed: or page:) under sources:"}},
		{"neither", yml("state: x.db"), []string{
			"t.yaml:1:1: no sources: the config needs at least one source (name: and feed: or page:) under sources:",
			"t.yaml:1:1: no rules: the config needs at least one rule (name: and query:) under rules:",
		}},
		{"empty lists", yml("sources: []", "rules: []"), []string{
			"t.yaml:1:1: no sources: sources: is empty; the config needs at least one source (name: and feed: or page:)",
			"t.yaml:2:1: no rules: rules: is empty; the config needs at least one rule (name: and query:)",
		}},
		{"rules naming sources, no sources", yml("rules:", "  - name: r", "    query: x", "    sources: [a]"), []string{
			`t.yaml:1:1: no sources: the config needs at least one source (name: and feed: or page:) under sources:`,
			`t.yaml:4:15: sources: no source named "a"; no sources are defined`,
		}},
		{"null lists", yml("sources:", "rules: ~"), []string{
			"t.yaml:1:1: no sources: the config needs at least one source (name: and feed: or page:) under sources:",
			"t.yaml:1:1: no rules: the config needs at least one rule (name: and query:) under rules:",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseRaw(t, tt.src, nil)
			if err == nil {
				t.Fatalf("Parse = %d sources, %d rules, want an error", len(c.Sources), len(c.Rules))
			}
			if got := problems(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
	t.Run("broken items are not reported as missing", func(t *testing.T) {
		_, err := parseRaw(t, yml("sources:", "  - name: a", "rules:", "  - name: r"), nil)
		for _, p := range problems(t, err) {
			if strings.Contains(p, "no sources") || strings.Contains(p, "no rules") {
				t.Errorf("unexpected %q", p)
			}
		}
	})
}

func TestListen(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		want string
	}{
		{"absent", yml("state: x.db"), "127.0.0.1:9464"},
		{"explicit empty disables", yml(`listen: ""`), ""},
		{"empty single quotes", yml(`listen: ''`), ""},
		{"empty from the environment", yml(`listen: ${LISTEN:-}`), ""},
		{"port only", yml(`listen: ":9000"`), ":9000"},
		{"ipv6", yml(`listen: "[::1]:9464"`), "[::1]:9464"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.src, nil).Listen; got != tt.want {
				t.Errorf("Listen = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSlackModes(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		vars map[string]string
		want Slack
		mode string
	}{
		{"no section", yml("state: x.db"), nil, Slack{}, "stdout"},
		{"both secrets empty", yml("slack:", "  token: ${T:-}", "  webhook_url: ${W:-}", `  channel: "#a"`), nil, Slack{Channel: "#a"}, "stdout"},
		{"webhook", yml("slack:", "  webhook_url: ${W}"), map[string]string{"W": "https://hooks.slack.com/services/T/B/x"},
			Slack{WebhookURL: "https://hooks.slack.com/services/T/B/x"}, "webhook"},
		{"webhook over http to loopback", yml("slack:", "  webhook_url: http://127.0.0.1:5555/hook"), nil,
			Slack{WebhookURL: "http://127.0.0.1:5555/hook"}, "webhook"},
		{"token wins over webhook", yml("slack:", "  token: xoxb-1", "  webhook_url: https://hooks.slack.com/x", `  channel: C0123`), nil,
			Slack{Token: "xoxb-1", WebhookURL: "https://hooks.slack.com/x", Channel: "C0123"}, "token"},
		{"token without channel when every rule has one", yml("slack:", "  token: xoxb-1",
			"rules:", "  - name: r", "    query: x", `    channel: "#r"`), nil, Slack{Token: "xoxb-1"}, "token"},
		{"api_url keeps its slash", yml("slack:", "  token: t", "  api_url: http://localhost:1/api/"), nil,
			Slack{Token: "t", APIURL: "http://localhost:1/api/"}, "token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src, tt.vars)
			if c.Slack != tt.want || c.Slack.Mode() != tt.mode || c.Slack.Enabled() != (tt.mode != "stdout") {
				t.Errorf("Slack = %+v mode %q, want %+v mode %q", c.Slack, c.Slack.Mode(), tt.want, tt.mode)
			}
		})
	}
}

func TestValues(t *testing.T) {
	tests := []struct {
		name  string
		src   []byte
		check func(*Config) bool
	}{
		{"days and hours", yml("max_age: 1d12h"), func(c *Config) bool { return c.MaxAge == 36*time.Hour }},
		{"fractional days", yml("story_window: 1.5d"), func(c *Config) bool { return c.StoryWindow == 36*time.Hour }},
		{"go duration", yml("retention: 1000h"), func(c *Config) bool { return c.Retention == 1000*time.Hour }},
		{"cron 5 fields", yml(`schedule: "0 */2 * * 1-5"`), func(c *Config) bool { return c.Schedule == "0 */2 * * 1-5" }},
		{"cron descriptor", yml(`schedule: "@daily"`), func(c *Config) bool { return c.Schedule == "@daily" }},
		{"postgres state", yml("state: postgres://nw@db/newswatch"), func(c *Config) bool { return c.State == "postgres://nw@db/newswatch" }},
		{"int from env default", yml("sources:", "  - name: a", "    feed: https://a.example/rss", "    max_articles: ${MAX:-7}"),
			func(c *Config) bool { return c.Sources[0].MaxArticles == 7 }},
		{"anchors and aliases", yml(`schedule: &every "@every 10m"`, "sources:", "  - name: a", "    feed: https://a.example/rss", "    schedule: *every"),
			func(c *Config) bool { return c.Sources[0].Schedule == "@every 10m" }},
		{"rule sources ignore case", yml("sources:", "  - name: BBC-World", "    feed: https://a.example/rss",
			"rules:", "  - name: r", "    query: x", "    sources: [bbc-world]"),
			func(c *Config) bool { return reflect.DeepEqual(c.Rules[0].Sources, []string{"BBC-World"}) }},
		{"unicode names", yml("sources:", "  - name: тасс.ru", "    feed: https://tass.ru/rss/v2.xml"),
			func(c *Config) bool { return c.Sources[0].Name == "тасс.ru" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c := mustParse(t, tt.src, nil); !tt.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

// TestWebhookChannels checks that webhook mode, which posts to a single
// channel, gives every rule the same channel so a story is posted once.
func TestWebhookChannels(t *testing.T) {
	c := mustParse(t, yml(
		"slack:",
		"  webhook_url: https://hooks.slack.com/services/T/B/x",
		`  channel: "#alerts"`,
		"rules:",
		"  - name: a",
		"    query: x",
		`    channel: "#other"`,
		"  - name: b",
		"    query: y",
	), nil)
	for _, r := range []string{"a", "b"} {
		if ch := c.ChannelFor(r); ch != "#alerts" {
			t.Errorf("ChannelFor(%s) = %q, want #alerts", r, ch)
		}
	}
}

// TestEmptyRuleChannelFallsBack: a rule whose channel is empty ("" or an
// unset ${VAR:-}) has no channel of its own and posts to slack.channel, and
// with a bot token and no slack.channel that is an error at load, not a
// no_channel failure of every alert it makes.
func TestEmptyRuleChannelFallsBack(t *testing.T) {
	for _, ch := range []string{`""`, `${RULE_CHANNEL:-}`} {
		t.Run(ch, func(t *testing.T) {
			c := mustParse(t, yml("slack:", "  token: xoxb-1", `  channel: "#news"`,
				"rules:", "  - name: r", "    query: x", "    channel: "+ch), nil)
			if got := c.ChannelFor("r"); got != "#news" {
				t.Errorf("ChannelFor(r) = %q, want #news", got)
			}
			_, err := Parse("t.yaml", yml("slack:", "  token: xoxb-1",
				"rules:", "  - name: r", "    query: x", "    channel: "+ch), Options{LookupEnv: noEnv})
			if err == nil || !strings.Contains(err.Error(), "slack.channel: required with a bot token") {
				t.Errorf("no slack.channel: err = %v, want slack.channel required", err)
			}
		})
	}
}

func TestSlackGiveUpAfter(t *testing.T) {
	base := "sources:\n  - name: s\n    feed: https://example.com/rss\nrules:\n  - name: r\n    query: x\nslack:\n  webhook_url: https://hooks.slack.com/services/T/B/X\n"
	cases := []struct {
		name, extra string
		want        time.Duration
		err         string
	}{
		{"default", "", 24 * time.Hour, ""},
		{"set", "  give_up_after: 6h\n", 6 * time.Hour, ""},
		{"days", "  give_up_after: 3d\n", 72 * time.Hour, ""},
		{"too short", "  give_up_after: 1m\n", 0, "slack.give_up_after: must be at least 10m"},
		{"not a duration", "  give_up_after: soon\n", 0, "slack.give_up_after: invalid duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(base+tc.extra), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Load(path, Options{})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Load = %v, want error %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Slack.GiveUp() != tc.want {
				t.Errorf("GiveUp() = %v, want %v", cfg.Slack.GiveUp(), tc.want)
			}
		})
	}
}
