package config

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// hostsBase is a valid config that hosts: lines are appended to (line 6 on).
var hostsBase = []string{
	"sources:",
	"  - name: a",
	"    feed: https://a.example/rss",
	"rules:",
	"  - {name: r, query: kremlin}",
}

func hostsYAML(lines ...string) []byte {
	return yml(append(append([]string{}, hostsBase...), lines...)...)
}

func TestHosts(t *testing.T) {
	c := mustParse(t, hostsYAML(
		"hosts:",
		`  - match: "News.Google.com"`,
		"    rate: 1/s",
		"    burst: 4",
		"    connections: 2",
		`  - match: "*.internal.example"`,
		"    rate: unlimited",
		"    connections: 16",
		"  - match: slow.example",
		"    rate: 30/m",
		"  - match: 10.0.0.7",
		"    rate: 0.5/h",
		"  - match: '[2001:DB8::1]'",
		"    connections: 3",
	), nil)
	want := []Host{
		{Match: "news.google.com", Rate: 1, Burst: 4, Connections: 2},
		{Match: "*.internal.example", Rate: math.Inf(1), Connections: 16},
		{Match: "slow.example", Rate: 0.5},
		{Match: "10.0.0.7", Rate: 0.5 / 3600},
		{Match: "2001:db8::1", Connections: 3},
	}
	if !reflect.DeepEqual(c.Hosts, want) {
		t.Errorf("hosts = %+v\nwant %+v", c.Hosts, want)
	}
	var b strings.Builder
	c.Summary(&b)
	for _, line := range []string{"hosts (5):", "news.google.com  ", "rate 1/s", "rate unlimited", "rate 30/m", "burst default", "connections 16", "rate 0.5/h"} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("summary lacks %q:\n%s", line, b.String())
		}
	}
	c = mustParse(t, hostsYAML(), nil)
	b.Reset()
	c.Summary(&b)
	if !strings.Contains(b.String(), "hosts:  default pacing for every host") && !strings.Contains(b.String(), "default pacing for every host") {
		t.Errorf("summary without hosts:\n%s", b.String())
	}
}

func TestHostsErrors(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []string
	}{
		{"bad values", []string{
			"hosts:",
			"  - match: https://news.example/feed",
			"    rate: fast",
			"    burst: 0",
			"    connections: many",
			"  - match: a.example",
			"    rate: 5/d",
			"  - match: b.example",
			"    rate: -1/s",
		}, []string{
			`t.yaml:7:12: hosts[0].match: "https://news.example/feed" is not a host name or *.domain (no scheme, port or path)`,
			`t.yaml:8:11: hosts[0].rate: expected a rate such as 1/s, 30/m, 100/h or unlimited, got "fast"`,
			`t.yaml:9:12: hosts[0].burst: must be at least 1, got 0`,
			`t.yaml:10:18: hosts[0].connections: expected a whole number, got "many"`,
			`t.yaml:12:11: hosts[1].rate: expected a rate such as 1/s, 30/m, 100/h or unlimited, got "5/d"`,
			`t.yaml:14:11: hosts[2].rate: expected a rate such as 1/s, 30/m, 100/h or unlimited, got "-1/s"`,
		}},
		{"structure", []string{
			"hosts:",
			"  - rate: 1/s",
			"  - match: a.example",
			"    rat: 1/s",
			"  - match: '*.b.example'",
			"  - match: '*.B.example.'",
			"  - match: '*'",
		}, []string{
			`t.yaml:7:5: hosts[0]: missing match (a host such as news.example.com, or *.example.com)`,
			`t.yaml:9:5: unknown key "rat" in hosts[1] (did you mean "rate"?); valid keys: match, rate, burst, connections`,
			`t.yaml:11:5: hosts[3]: duplicate match "*.b.example" (first at line 10)`,
			`t.yaml:12:12: hosts[4].match: "*" is not a host name or *.domain (no scheme, port or path)`,
		}},
		{"not a list", []string{"hosts: news.example"}, []string{
			`t.yaml:6:8: hosts: expected a list of host entries, got a single value`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, hostsYAML(tt.lines...), nil)
			if err == nil {
				t.Fatal("no error")
			}
			if got := problems(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestFormatRate(t *testing.T) {
	for r, want := range map[float64]string{math.Inf(1): "unlimited", 5: "5/s", 0.5: "30/m", 1.0 / 3600: "1/h"} {
		if got := FormatRate(r); got != want {
			t.Errorf("FormatRate(%g) = %q, want %q", r, got, want)
		}
	}
}
