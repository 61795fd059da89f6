package config

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

const digestHint = ` (want a cron spec like "0 8 * * *", or "@every 1h", "@daily")`

// TestFlood: flood: keys, their defaults, and a rule's digest: schedule.
func TestFlood(t *testing.T) {
	tests := []struct {
		name      string
		src       []byte
		vars      map[string]string
		want      Flood
		delivery  []string // Rule.Delivery() of each rule
		schedules []string // Rule.Digest of each rule
	}{
		{"defaults", minimal, nil, Flood{10, 10 * time.Minute}, []string{"immediate"}, []string{""}},
		{"null section", append(yml("flood:"), minimal...), nil, Flood{10, 10 * time.Minute}, []string{"immediate"}, []string{""}},
		{"burst only", append(yml("flood:", "  burst: 3"), minimal...), nil, Flood{3, 10 * time.Minute}, []string{"immediate"}, []string{""}},
		{"both", append(yml("flood:", "  burst: 1", "  window: 1h30m"), minimal...), nil, Flood{1, 90 * time.Minute}, []string{"immediate"}, []string{""}},
		{"window in days", append(yml("flood: {window: 1d}"), minimal...), nil, Flood{10, 24 * time.Hour}, []string{"immediate"}, []string{""}},
		{"digest rules", yml(
			"sources: [{name: a, feed: https://a.example/rss}]",
			"rules:",
			"  - {name: broad, query: Ukraine, digest: \"0 8 * * *\"}",
			"  - {name: fast, query: Kremlin, digest: \"@every 30s\"}",
			"  - {name: now, query: Putin}",
			"  - {name: env, query: Donetsk, digest: \"${DIGEST:-}\"}",
		), nil, Flood{10, 10 * time.Minute},
			[]string{"digest 0 8 * * *", "digest @every 30s", "immediate", "immediate"},
			[]string{"0 8 * * *", "@every 30s", "", ""}},
		{"digest from the environment", yml(
			"sources: [{name: a, feed: https://a.example/rss}]",
			"rules: [{name: r, query: x, digest: \"${DIGEST}\"}]",
		), map[string]string{"DIGEST": "@daily"}, Flood{10, 10 * time.Minute}, []string{"digest @daily"}, []string{"@daily"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustParse(t, tt.src, tt.vars)
			if c.Flood != tt.want {
				t.Errorf("Flood = %+v, want %+v", c.Flood, tt.want)
			}
			var delivery, schedules []string
			for _, r := range c.Rules {
				delivery, schedules = append(delivery, r.Delivery()), append(schedules, r.Digest)
				if r.Digest != "" {
					if _, err := ParseSchedule(r.Digest); err != nil {
						t.Errorf("rule %s: Digest %q does not parse: %v", r.Name, r.Digest, err)
					}
				}
			}
			if !reflect.DeepEqual(delivery, tt.delivery) || !reflect.DeepEqual(schedules, tt.schedules) {
				t.Errorf("Delivery() %q, Digest %q; want %q, %q", delivery, schedules, tt.delivery, tt.schedules)
			}
		})
	}
}

// TestFloodErrors: bad flood and digest values are reported at their
// FILE:LINE:COL, all of them at once, like every other key.
func TestFloodErrors(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		vars map[string]string
		want []string
	}{
		{"burst zero, window zero", yml("flood:", "  burst: 0", "  window: 0s"), nil, []string{
			`t.yaml:2:10: flood.burst: must be at least 1, got 0`,
			`t.yaml:3:11: flood.window: must be positive, got "0s"`,
		}},
		{"negative and not numbers", yml("flood:", "  burst: -2", "  window: soon"), nil, []string{
			`t.yaml:2:10: flood.burst: must be at least 1, got -2`,
			`t.yaml:3:11: flood.window: invalid duration "soon" (write e.g. 48h, 90m or 30d)`,
		}},
		{"burst not whole", yml("flood: {burst: 2.5, window: -1m}"), nil, []string{
			`t.yaml:1:16: flood.burst: expected a whole number, got "2.5"`,
			`t.yaml:1:29: flood.window: must be positive, got "-1m"`,
		}},
		{"unknown flood key", yml("flood:", "  brust: 3"), nil, []string{
			`t.yaml:2:3: unknown key "brust" in flood (did you mean "burst"?); valid keys: burst, window`,
		}},
		{"flood not a mapping", yml("flood: 10"), nil, []string{
			`t.yaml:1:8: flood: expected a mapping of keys (burst, window), got a single value`,
		}},
		{"flood values not scalars", yml("flood:", "  burst: [1]", "  window: {a: 1}"), nil, []string{
			`t.yaml:2:10: flood.burst: expected a single value, got a list`,
			`t.yaml:3:11: flood.window: expected a single value, got a mapping`,
		}},
		{"bad digest specs", yml(
			"sources: [{name: a, feed: https://a.example/rss}]",
			"rules:",
			"  - name: a",
			"    query: x",
			`    digest: "every morning"`,
			"  - name: b",
			"    query: y",
			`    digest: "0 25 * * *"`,
			"  - name: c",
			"    query: z",
			"    digest: [daily]",
		), nil, []string{
			`t.yaml:5:13: digest: invalid digest schedule "every morning": expected exactly 5 fields, found 2: [every morning]` + digestHint,
			`t.yaml:8:13: digest: invalid digest schedule "0 25 * * *": end of range (25) above maximum (23): 25` + digestHint,
			`t.yaml:11:13: digest: expected a single value, got a list`,
		}},
		{"digest from the environment is not echoed", yml(
			"sources: [{name: a, feed: https://a.example/rss}]",
			"rules: [{name: r, query: x, digest: \"${DIGEST}\"}]",
		), map[string]string{"DIGEST": "SECRET nope"}, []string{
			`t.yaml:2:37: digest: invalid digest schedule (value from the environment, not shown): expected exactly 5 fields, found 2: […]` + digestHint,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.src, tt.vars)
			if err == nil {
				t.Fatalf("Parse succeeded, want errors:\n%s", strings.Join(tt.want, "\n"))
			}
			if got := problems(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestSummaryNoiseControl: check prints the flood cap in force and each
// rule's delivery.
func TestSummaryNoiseControl(t *testing.T) {
	src := yml(
		"flood: {burst: 3, window: 1h}",
		"sources: [{name: a, feed: https://a.example/rss}]",
		"rules:",
		`  - {name: ukraine-broad, query: 'Ukraine OR Україна', digest: "0 8 * * *"}`,
		`  - {name: fast, query: Kremlin, digest: "@every 30s"}`,
		"  - {name: witkoff, query: Witkoff}",
	)
	var out bytes.Buffer
	mustParse(t, src, nil).Summary(&out)
	golden(t, "summary_noise.golden", out.Bytes())
}

// TestFloodPolicy: the holding stage gets the cap and the rules' digest
// schedules, compiled as the daemon schedules sources.
func TestFloodPolicy(t *testing.T) {
	c := mustParse(t, yml(
		"flood: {burst: 4, window: 30m}",
		"sources: [{name: a, feed: https://a.example/rss}]",
		"rules:",
		`  - {name: daily, query: Ukraine, digest: "0 8 * * *"}`,
		`  - {name: fast, query: Kremlin, digest: "@every 30s"}`,
		"  - {name: now, query: Witkoff}",
	), nil)
	p, err := c.FloodPolicy()
	if err != nil {
		t.Fatal(err)
	}
	if p.Burst != 4 || p.Window != 30*time.Minute || len(p.Digests) != 2 || p.Digests["now"] != nil {
		t.Fatalf("FloodPolicy() = %+v", p)
	}
	from := time.Date(2026, 12, 1, 9, 15, 0, 0, time.UTC)
	if got, want := p.Digests["daily"].Next(from), time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("daily Next = %v, want %v", got, want)
	}
	if got := p.Digests["fast"].Next(from); !got.Equal(from.Add(30 * time.Second)) {
		t.Errorf("fast Next = %v", got)
	}
	c.Rules[0].Digest = "not a schedule"
	if _, err := c.FloodPolicy(); err == nil || !strings.Contains(err.Error(), "rule daily") {
		t.Errorf("a hand-made bad digest: err %v", err)
	}
}
