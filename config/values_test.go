package config

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"48h", 48 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"30d", 720 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"0.5d", 12 * time.Hour, true},
		{"7d30m", 7*24*time.Hour + 30*time.Minute, true},
		{"d", 0, false},
		{"30 d", 0, false},
		{"1d-1h", 0, false},
		{"1dx", 0, false},
		{"-1d", 0, false},
		{"1000000d", 0, false},
		{"48", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseSchedule(t *testing.T) {
	for spec, ok := range map[string]bool{
		"*/5 * * * *": true, "@every 10m": true, "@hourly": true, "0 9 * * MON-FRI": true,
		"* * * * * *": false, "@every": false, "@sometimes": false, "": false,
	} {
		if _, err := ParseSchedule(spec); (err == nil) != ok {
			t.Errorf("ParseSchedule(%q) error %v, want ok %v", spec, err, ok)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		48 * time.Hour:   "48h (2d)",
		90 * time.Minute: "1h30m",
		90 * time.Second: "1m30s",
		10 * time.Minute: "10m",
		36 * time.Hour:   "36h",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
