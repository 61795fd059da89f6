package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	topValid    = "valid keys: state, listen, schedule, max_age, story_window, retention, user_agent, slack, flood, sources, rules, hosts"
	sourceValid = "valid keys: name, feed, page, links, title, body, schedule, max_articles, allow_private"
	cronHint    = ` (want 5 fields like "*/5 * * * *", or "@every 10m", "@hourly")`
)

// TestErrors checks every kind of problem, each at its exact FILE:LINE:COL,
// and that all problems in a file are reported, in file order.
func TestErrors(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		vars map[string]string
		want []string
	}{
		{"yaml syntax", yml(
			"sources:",
			"  - name: a",
			"   feed: https://a.example/rss",
		), nil, []string{
			`t.yaml:3:4: invalid YAML: did not find expected '-' indicator`,
		}},
		{"control character", []byte("state: a\x01b\n"), nil, []string{
			`t.yaml:1:9: invalid YAML: control characters are not allowed`,
		}},
		{"second document", yml("state: a.db", "---", "state: b.db"), nil, []string{
			`t.yaml:1:1: no sources: the config needs at least one source (name: and feed: or page:) under sources:`,
			`t.yaml:1:1: no rules: the config needs at least one rule (name: and query:) under rules:`,
			`t.yaml:2:1: a second YAML document; the config is one document (remove the ---)`,
		}},
		{"not a mapping", yml("- state"), nil, []string{
			`t.yaml:1:1: the config: expected a mapping of keys (state, listen, schedule, max_age, story_window, retention, user_agent, slack, flood, sources, rules, hosts), got a list`,
		}},
		{"unknown top-level key", yml("state: a.db", "sorces:"), nil, []string{
			`t.yaml:2:1: unknown key "sorces" in the config (did you mean "sources"?); ` + topValid,
		}},
		{"unknown source key", yml(
			"sources:",
			"  - name: a",
			"    feed: https://a.example/rss",
			"    url: https://a.example/",
		), nil, []string{
			`t.yaml:4:5: unknown key "url" in source; ` + sourceValid,
		}},
		{"unknown slack and rule keys", yml(
			"slack:",
			"  tokn: x",
			"rules:",
			"  - name: r",
			"    query: x",
			"    chanel: '#a'",
		), nil, []string{
			`t.yaml:2:3: unknown key "tokn" in slack (did you mean "token"?); valid keys: token, webhook_url, channel, api_url, give_up_after`,
			`t.yaml:6:5: unknown key "chanel" in rule (did you mean "channel"?); valid keys: name, query, channel, sources, digest`,
		}},
		{"duplicate key", yml("state: a.db", "listen: ':1'", "state: b.db"), nil, []string{
			`t.yaml:3:1: duplicate key "state" in the config (first at line 1)`,
		}},
		{"duplicate source name, any case", yml(
			"sources:",
			"  - name: bbc",
			"    feed: https://a.example/rss",
			"  - name: BBC",
			"    feed: https://b.example/rss",
		), nil, []string{
			`t.yaml:4:11: duplicate source name "BBC" (first defined at line 2)`,
		}},
		{"duplicate rule name", yml(
			"rules:",
			"  - name: r",
			"    query: a",
			"  - name: r",
			"    query: b",
		), nil, []string{
			`t.yaml:4:11: duplicate rule name "r" (first defined at line 2)`,
		}},
		{"wrong types", yml(
			"sources:",
			"  - name: [a]",
			"    feed: https://a.example/rss",
			"    max_articles: many",
			"    allow_private: maybe",
			"  - name: b",
			"    feed: https://b.example/rss",
			"    max_articles: 0",
			"rules:",
			"  name: r",
			"slack: xoxb",
		), nil, []string{
			`t.yaml:2:11: name: expected a single value, got a list`,
			`t.yaml:4:19: max_articles: expected a whole number, got "many"`,
			`t.yaml:5:20: allow_private: expected true or false, got "maybe"`,
			`t.yaml:8:19: max_articles: must be at least 1, got 0`,
			`t.yaml:10:3: rules: expected a list of rules, got a mapping`,
			`t.yaml:11:8: slack: expected a mapping of keys (token, webhook_url, channel, api_url, give_up_after), got a single value`,
		}},
		{"names", yml(
			"sources:",
			"  - feed: https://a.example/rss",
			`  - name: "bbc world"`,
			"    feed: https://b.example/rss",
			"  -",
			"rules:",
			"  - name: a",
			"  - name: b",
			`    query: "  "`,
		), nil, []string{
			`t.yaml:2:5: source: missing name`,
			`t.yaml:3:11: name: "bbc world" is not a valid source name (use letters, digits, '-', '_' and '.')`,
			`t.yaml:5:4: empty source; expected name: and feed: or page:`,
			`t.yaml:7:5: rule needs query: (for example 'Witkoff AND Kremlin')`,
			`t.yaml:9:12: query: empty query`,
		}},
		{"feed and page", yml(
			"sources:",
			"  - name: both",
			"    feed: https://a.example/rss",
			"    page: https://a.example/",
			"  - name: neither",
			"  - name: nolinks",
			"    page: https://a.example/",
			"  - name: feedsel",
			"    feed: https://a.example/rss",
			"    title: h1",
		), nil, []string{
			`t.yaml:4:5: source has both feed and page; set one of them`,
			`t.yaml:5:5: source needs feed: (an RSS, Atom or JSON feed URL) or page: (a web page whose links lead to articles)`,
			`t.yaml:7:5: page source needs links: (a CSS selector for the article links on the page)`,
			`t.yaml:10:5: title: only page sources take CSS selectors; this source has feed:`,
		}},
		{"urls", yml(
			"sources:",
			"  - name: a",
			"    feed: ftp://a.example/rss",
			"  - name: b",
			"    feed: /rss",
			"  - name: c",
			`    page: "http://"`,
			"    links: a",
			"  - name: d",
			`    feed: "http://[::1"`,
			"  - name: e",
			"    feed: file:///etc/passwd",
		), nil, []string{
			`t.yaml:3:11: feed: URL "ftp://a.example/rss" must start with http:// or https://`,
			`t.yaml:5:11: feed: URL "/rss" must start with http:// or https://`,
			`t.yaml:7:11: page: URL "http://" has no host`,
			`t.yaml:10:11: feed: invalid URL "http://[::1": missing ']' in host`,
			`t.yaml:12:11: feed: URL "file:///etc/passwd" must start with http:// or https://`,
		}},
		{"css selectors", yml(
			"sources:",
			"  - name: a",
			"    page: https://a.example/",
			`    links: "div[class"`,
			`    body: ""`,
		), nil, []string{
			`t.yaml:4:12: links: invalid CSS selector "div[class": unexpected EOF in attribute selector`,
			`t.yaml:5:11: body: empty CSS selector`,
		}},
		{"cron specs", yml(
			`schedule: "every 5 minutes"`,
			"sources:",
			"  - name: a",
			"    feed: https://a.example/rss",
			`    schedule: "61 * * * *"`,
		), nil, []string{
			`t.yaml:1:11: schedule: invalid cron spec "every 5 minutes": expected exactly 5 fields, found 3: [every 5 minutes]` + cronHint,
			`t.yaml:5:15: schedule: invalid cron spec "61 * * * *": end of range (61) above maximum (59): 61` + cronHint,
		}},
		{"durations", yml(
			"max_age: 2 days",
			"story_window: -1h",
		), nil, []string{
			`t.yaml:1:10: max_age: invalid duration "2 days" (write e.g. 48h, 90m or 30d)`,
			`t.yaml:2:15: story_window: must be positive, got "-1h"`,
		}},
		{"retention shorter than the defaults", yml("retention: 1h"), nil, []string{
			`t.yaml:1:12: retention (1h) must be at least max_age (48h) and story_window (72h), or forgotten items would alert again`,
		}},
		{"no comparison with a bad retention", yml("max_age: 40d", "retention: soon"), nil, []string{
			`t.yaml:2:12: retention: invalid duration "soon" (write e.g. 48h, 90m or 30d)`,
		}},
		{"retention shorter than a longer max_age", yml("max_age: 40d"), nil, []string{
			`t.yaml:1:10: retention (720h) must be at least max_age (960h) and story_window (72h), or forgotten items would alert again`,
		}},
		{"listen, state, user agent", yml(
			"listen: localhost",
			`state: ""`,
			`user_agent: "a\nb"`,
		), nil, []string{
			`t.yaml:1:9: listen: expected host:port such as 127.0.0.1:9464 or :9464, or "" to disable, got "localhost"`,
			`t.yaml:2:8: state: must not be empty (a SQLite file such as newswatch.db, or postgres://...)`,
			`t.yaml:3:13: user_agent: must be a non-empty single line`,
		}},
		{"rule sources", yml(
			"sources:",
			"  - name: guardian",
			"    feed: https://a.example/rss",
			"rules:",
			"  - name: r",
			"    query: x",
			"    sources: [gardian, bbc]",
			"  - name: s",
			"    query: y",
			"    sources: []",
			"  - name: u",
			"    query: z",
			"    sources: guardian",
			"  - name: v",
			"    query: z",
			"    sources: [Guardian]",
		), nil, []string{
			`t.yaml:7:15: sources: no source named "gardian" (did you mean "guardian"?); defined: guardian`,
			`t.yaml:7:24: sources: no source named "bbc"; defined: guardian`,
			`t.yaml:10:14: sources: empty list; remove the key to watch every source`,
			`t.yaml:13:14: sources: expected a list of source names, got a single value`,
		}},
		{"merge keys", yml(
			"sources:",
			"  - <<: {feed: https://a.example/rss}",
			"    name: a",
		), nil, []string{
			`t.yaml:2:5: source: merge keys (<<) are not supported; write the keys out`,
			`t.yaml:2:5: source needs feed: (an RSS, Atom or JSON feed URL) or page: (a web page whose links lead to articles)`,
		}},
		{"env unset, bad name, unterminated", yml(
			"slack:",
			"  token: ${SLACK_BOT_TOKEN}",
			"  channel: ${CHANNEL:-#a}",
			"state: ${A}${B}",
			"listen: ${1A}",
			"user_agent: ${UA",
		), nil, []string{
			`t.yaml:2:10: slack.token: environment variable SLACK_BOT_TOKEN is not set (write ${SLACK_BOT_TOKEN:-} to allow it to be unset)`,
			`t.yaml:4:8: state: environment variable A is not set (write ${A:-} to allow it to be unset)`,
			`t.yaml:4:8: state: environment variable B is not set (write ${B:-} to allow it to be unset)`,
			`t.yaml:5:9: listen: invalid variable name "1A" in ${1A}`,
			`t.yaml:6:13: user_agent: unterminated ${ (write $${ for a literal ${)`,
		}},
		{"slack", yml(
			"slack:",
			"  token: xoxb-1",
			"  webhook_url: http://hooks.example.com/x",
			"  api_url: ftp://example.com/api",
			"rules:",
			"  - name: r",
			"    query: x",
			"    channel: news alerts",
			"  - name: s",
			"    query: y",
		), nil, []string{
			`t.yaml:1:1: slack.channel: required with a bot token, since rule "s" (line 9) sets no channel`,
			`t.yaml:3:16: slack.webhook_url: must be an https:// URL (http:// only to localhost)`,
			`t.yaml:4:12: slack.api_url: URL "ftp://example.com/api" must start with http:// or https://`,
			`t.yaml:8:14: channel: expected a channel such as "#news-alerts" or an ID such as C0123ABCD, got "news alerts"`,
		}},
		// The bot token goes to api_url with every call: no plain http
		// across the network.
		{"api_url over plain http", yml(
			"slack:",
			"  token: xoxb-1",
			`  channel: "#a"`,
			"  api_url: http://slack-proxy.example.com/api/",
		), nil, []string{
			`t.yaml:4:12: slack.api_url: must be an https:// URL (http:// only to localhost)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse(t, tt.src, tt.vars)
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want errors:\n%s", c, strings.Join(tt.want, "\n"))
			}
			if c != nil {
				t.Errorf("Parse returned a Config along with errors")
			}
			if got := problems(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestErrorTypes(t *testing.T) {
	_, err := parse(t, yml("state: ''", "listen: x"), nil)
	var one *Error
	if !errors.As(err, &one) || one.File != "t.yaml" || one.Line != 1 || one.Col != 8 {
		t.Errorf("errors.As(*Error) = %+v", one)
	}
	if got, want := err.Error(), "t.yaml:1:8: state: must not be empty (a SQLite file such as newswatch.db, or postgres://...)\n"+
		`t.yaml:2:9: listen: expected host:port such as 127.0.0.1:9464 or :9464, or "" to disable, got "x"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, withWatch(yml("listen: ''")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, withWatch(yml("listen: x")), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(good, Options{LookupEnv: noEnv}); err != nil || c.Path != good || c.Listen != "" {
		t.Errorf("Load(good) = %+v, %v", c, err)
	}
	_, err := Load(bad, Options{LookupEnv: noEnv})
	if es := problems(t, err); len(es) != 1 || !strings.HasPrefix(es[0], bad+":1:9: listen:") {
		t.Errorf("Load(bad) = %v", es)
	}
	_, err = Load(filepath.Join(dir, "missing.yaml"), Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want os.ErrNotExist", err)
	}
}
