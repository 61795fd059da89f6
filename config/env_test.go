package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"SET": "value", "EMPTY": "", "TOKEN": "xoxb-secret"}
	tests := []struct {
		name    string
		in      string
		want    string
		fromEnv bool
		errs    []string
	}{
		{"no variables", "plain $HOME text", "plain $HOME text", false, nil},
		{"set", "${SET}", "value", true, nil},
		{"embedded", "a-${SET}-b", "a-value-b", true, nil},
		{"set empty", "x${EMPTY}y", "xy", true, nil},
		{"default when unset", "${UNSET:-fallback}", "fallback", false, nil},
		{"default when empty", "${EMPTY:-fallback}", "fallback", false, nil},
		{"value wins over default", "${SET:-fallback}", "value", true, nil},
		{"empty default", "${UNSET:-}", "", false, nil},
		{"default with colon and slashes", "${UNSET:-http://a:1/x}", "http://a:1/x", false, nil},
		{"escaped", "$${SET} and ${SET}", "${SET} and value", true, nil},
		{"two variables", "${SET}${TOKEN}", "valuexoxb-secret", true, nil},
		{"unset", "${UNSET}", "", false, []string{"environment variable UNSET is not set (write ${UNSET:-} to allow it to be unset)"}},
		{"every unset one", "${U1}/${U2}", "/", false, []string{
			"environment variable U1 is not set (write ${U1:-} to allow it to be unset)",
			"environment variable U2 is not set (write ${U2:-} to allow it to be unset)",
		}},
		{"bad name", "${A-B}", "", false, []string{`invalid variable name "A-B" in ${A-B}`}},
		{"empty name", "${}", "", false, []string{`invalid variable name "" in ${}`}},
		{"unterminated", "x${SET", "", false, []string{"unterminated ${ (write $${ for a literal ${)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, fromEnv, errs := expand(tt.in, env(vars), false)
			if len(tt.errs) == 0 && (got != tt.want || fromEnv != tt.fromEnv) {
				t.Errorf("expand(%q) = %q, %v; want %q, %v", tt.in, got, fromEnv, tt.want, tt.fromEnv)
			}
			if !reflect.DeepEqual(errs, tt.errs) {
				t.Errorf("errors %q, want %q", errs, tt.errs)
			}
		})
	}
}

// TestEnvInConfig checks expansion where it matters: per scalar, in every
// kind of value, with the types checked after expansion.
func TestEnvInConfig(t *testing.T) {
	src := yml(
		"state: ${STATE:-newswatch.db}",
		"listen: ${LISTEN:-127.0.0.1:9464}",
		"max_age: ${MAX_AGE:-48h}",
		"slack:",
		"  token: ${SLACK_BOT_TOKEN:-}",
		"  channel: ${CHANNEL:-#news}",
		"sources:",
		"  - name: ${NAME:-a}",
		"    feed: https://${HOST}/rss",
		"    max_articles: ${MAX}",
		"    allow_private: ${PRIVATE:-false}",
	)
	tests := []struct {
		name  string
		vars  map[string]string
		check func(*Config) bool
	}{
		{"defaults", map[string]string{"HOST": "a.example", "MAX": "5"}, func(c *Config) bool {
			s := c.Sources[0]
			return c.State == "newswatch.db" && c.Listen == "127.0.0.1:9464" && c.Slack.Mode() == "stdout" &&
				c.Slack.Channel == "#news" && s.Name == "a" && s.Feed == "https://a.example/rss" && s.MaxArticles == 5 && !s.AllowPrivate && s.PrivateSet
		}},
		{"overrides", map[string]string{
			"STATE": "/data/nw.db", "LISTEN": "", "MAX_AGE": "3d", "SLACK_BOT_TOKEN": "xoxb-1", "CHANNEL": "C123",
			"NAME": "b", "HOST": "b.example:8080", "MAX": "9", "PRIVATE": "true",
		}, func(c *Config) bool {
			s := c.Sources[0]
			return c.State == "/data/nw.db" && c.Listen == "127.0.0.1:9464" && c.MaxAge == 72*time.Hour && c.Slack.Token == "xoxb-1" &&
				c.Slack.Channel == "C123" && s.Name == "b" && s.Feed == "https://b.example:8080/rss" && s.MaxArticles == 9 && s.AllowPrivate
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c := mustParse(t, src, tt.vars); !tt.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
	// LISTEN="" set: ${LISTEN:-default} takes the default, as in the shell;
	// ${LISTEN} keeps the empty value and so disables the listener.
	if c := mustParse(t, yml("listen: ${LISTEN}"), map[string]string{"LISTEN": ""}); c.Listen != "" {
		t.Errorf("listen: ${LISTEN} with LISTEN empty = %q, want \"\"", c.Listen)
	}
}

// TestNilLookupEnvUsesProcessEnvironment checks the documented default.
func TestNilLookupEnvUsesProcessEnvironment(t *testing.T) {
	t.Setenv("NEWSWATCH_TEST_STATE", "from-env.db")
	c, err := Parse("t.yaml", withWatch(yml("state: ${NEWSWATCH_TEST_STATE}")), Options{})
	if err != nil || c.State != "from-env.db" {
		t.Errorf("State = %v, %v; want from-env.db", c, err)
	}
}

// TestEnvParams: the query parameters whose name or value came from
// ${VAR} are the source's secret parameters, whatever they are called.
func TestEnvParams(t *testing.T) {
	vars := map[string]string{"KEY": "k1", "ID": "id", "Q": "?a=1&b=2", "URL": "https://h/x?c=3", "EMPTY": ""}
	tests := []struct {
		feed string
		want []string
	}{
		{"https://h/rss?apikey=${KEY}&lang=en", []string{"apikey"}},
		{"https://h/rss?client=${ID}&lang=en", []string{"client"}},
		{"https://h/rss?client=pre-${ID}-post", []string{"client"}},
		{"https://h/rss${Q}", []string{"a", "b"}},
		{"${URL}", []string{"c"}},
		{"https://h/${ID}/rss?lang=en", nil},
		{"https://h/rss?x=${EMPTY}", nil},
		{"https://h/rss?lang=en#frag=${ID}", nil},
		{"https://h/rss?c%6Cient=${ID}", []string{"client"}},
		{"https://h/rss?${ID}=1", []string{"id"}},
	}
	for _, tt := range tests {
		t.Run(tt.feed, func(t *testing.T) {
			c := mustParse(t, yml("sources:", "  - name: a", "    feed: "+tt.feed), vars)
			if got := c.Sources[0].SecretParams; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SecretParams = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestURLErrorsRedact: a bad URL typed into the file with a password or a
// token in it is quoted redacted.
func TestURLErrorsRedact(t *testing.T) {
	_, err := parse(t, yml("sources:", "  - name: a", `    feed: "ftp://reader:pw-typed-1@h.example/rss?token=tok-typed-2"`), nil)
	got := strings.Join(problems(t, err), "\n")
	want := `t.yaml:3:11: feed: URL "ftp://REDACTED@h.example/rss?token=REDACTED" must start with http:// or https://`
	if got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
}
