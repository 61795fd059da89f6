package daemon

import (
	"testing"
	"time"
)

func TestPrevTick(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name, spec, now, want string
	}{
		{"cron fired on time", "*/10 * * * *", "2026-12-01T10:20:00.003Z", "2026-12-01T10:20:00Z"},
		{"cron fired late", "*/10 * * * *", "2026-12-01T10:20:07Z", "2026-12-01T10:20:00Z"},
		{"poll at start", "*/10 * * * *", "2026-12-01T10:27:00Z", "2026-12-01T10:20:00Z"},
		{"daily", "0 9 * * *", "2026-12-01T08:00:00Z", "2026-11-30T09:00:00Z"},
		{"every, on the grid", "@every 10m", "2026-12-01T10:27:31Z", "2026-12-01T10:20:00Z"},
		{"every 90s", "@every 90s", "2026-12-01T00:00:01Z", "2026-12-01T00:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := cronParser.Parse("CRON_TZ=UTC " + tc.spec)
			if tc.spec[0] == '@' {
				s, err = cronParser.Parse(tc.spec)
			}
			if err != nil {
				t.Fatal(err)
			}
			got := prevTick(onGrid(s), at(tc.now))
			if !got.Equal(at(tc.want)) {
				t.Errorf("prevTick(%s, %s) = %s, want %s", tc.spec, tc.now, got.UTC().Format(time.RFC3339Nano), tc.want)
			}
		})
	}
	// Two processes that added "@every 10m" at different times agree.
	a, _ := cronParser.Parse("@every 10m")
	now := at("2026-12-01T10:27:31Z")
	if x, y := prevTick(onGrid(a), now), prevTick(onGrid(a), now.Add(time.Minute)); !x.Equal(y) {
		t.Errorf("grid ticks differ within one period: %s, %s", x, y)
	}
}
