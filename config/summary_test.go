package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name   string
		src    []byte
		vars   map[string]string
		golden string
	}{
		{"token mode", full, map[string]string{"SLACK_BOT_TOKEN": "xoxb-1-SECRET"}, "summary_token.golden"},
		{"stdout mode, listener off", yml(
			`listen: ""`,
			"sources:",
			"  - name: a",
			"    feed: https://a.example/rss",
			"  - name: local",
			"    feed: http://127.0.0.1:8080/rss",
			"    allow_private: false",
			"rules:",
			"  - name: r",
			"    query: x",
		), nil, "summary_stdout.golden"},
		{"webhook mode", yml(
			"state: postgres://nw:SECRET@db.internal/newswatch",
			"slack:",
			"  webhook_url: https://hooks.slack.com/services/T0/B0/SECRET",
			"sources:",
			"  - name: a",
			"    feed: ${FEED_URL}",
			"  - name: b",
			"    feed: https://user:SECRET@b.example/rss?lang=en",
			"    allow_private: true",
			"  - name: c",
			"    feed: https://c.example/rss?client=${CLIENT}&lang=en&tok=x${TOK}",
		), map[string]string{"FEED_URL": "https://a.example/rss?api_key=SECRET&q=SECRET", "CLIENT": "SECRET", "TOK": "SECRET"}, "summary_webhook.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			mustParse(t, tt.src, tt.vars).Summary(&out)
			if strings.Contains(out.String(), "SECRET") {
				t.Errorf("Summary shows a secret:\n%s", out.String())
			}
			golden(t, tt.golden, out.Bytes())
		})
	}
}

// TestSecretsNeverInErrors feeds secrets into every place an error could
// echo a value: the Slack secrets, values from the environment, and a
// PostgreSQL URL with a password.
func TestSecretsNeverInErrors(t *testing.T) {
	const secret = "SECRET"
	vars := map[string]string{
		"TOKEN": "xoxb-" + secret + "\n", "BAD": "not valid " + secret, "FEED": "ftp://x/?key=" + secret,
		"QUERY": "a ) " + secret, "WEBHOOK": "http://hooks.example.com/" + secret,
	}
	tests := []struct {
		name string
		src  []byte
	}{
		{"token with a trailing newline", yml("slack:", "  token: ${TOKEN}")},
		{"webhook over http", yml("slack:", "  webhook_url: ${WEBHOOK}")},
		{"webhook literal with a bad scheme", yml("slack:", "  webhook_url: ftp://hooks.example.com/"+secret)},
		{"webhook literal that does not parse", yml("slack:", `  webhook_url: "https://[`+secret+`"`)},
		// A secret pasted between ${ and } instead of a variable name, and
		// url.Parse reasons that quote a piece of the URL.
		{"token inside ${}", yml("slack:", "  token: ${xoxb-1-"+secret+"}")},
		{"webhook inside ${}", yml("slack:", "  webhook_url: ${https://hooks.slack.com/services/T0/B0/"+secret+"}")},
		{"webhook literal with a bad port", yml("slack:", "  webhook_url: https://hooks.slack.com:"+secret+"/services/T0/B0/x")},
		{"webhook literal with a bad escape", yml("slack:", "  webhook_url: https://hooks.slack.com/services/%"+secret)},
		{"postgres URL that does not parse", yml(`state: "postgres://u:` + secret + `@[::1/db"`)},
		{"duration", yml("max_age: ${BAD}")},
		{"cron", yml("schedule: ${BAD}")},
		{"listen", yml("listen: ${BAD}")},
		{"channel", yml("slack:", "  channel: ${BAD}")},
		{"user agent", yml("user_agent: \"${TOKEN}\"")},
		{"feed URL", yml("sources:", "  - name: a", "    feed: ${FEED}")},
		{"source name", yml("sources:", "  - name: ${BAD}", "    feed: https://a.example/")},
		{"max_articles", yml("sources:", "  - name: a", "    feed: https://a.example/", "    max_articles: ${BAD}")},
		{"rule source", yml("rules:", "  - name: r", "    query: x", "    sources: [\"${BAD}\"]")},
		{"query", yml("rules:", "  - name: r", "    query: ${QUERY}")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.src, vars)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}
