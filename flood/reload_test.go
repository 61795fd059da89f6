package flood

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestReschedule(t *testing.T) {
	p := policy(t)
	floodB := Bucket{ID: 1, Channel: "#a", Key: FloodKey, Opened: at(0), Due: at(10 * time.Minute)}
	morningB := Bucket{ID: 2, Channel: "#a", Key: RuleKey("morning"), Opened: at(time.Hour), Due: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)}
	fastB := Bucket{ID: 3, Channel: "#a", Key: RuleKey("fast"), Opened: at(-10 * time.Second), Due: at(20 * time.Second)}
	with := func(mod func(*Policy)) Policy {
		q := Policy{Burst: p.Burst, Window: p.Window, Digests: map[string]Schedule{}}
		for k, v := range p.Digests {
			q.Digests[k] = v
		}
		mod(&q)
		return q
	}
	tests := []struct {
		name    string
		pol     Policy
		b       Bucket
		now     time.Time
		wantDue time.Time
	}{
		{"flood bucket, window unchanged", p, floodB, at(time.Minute), at(10 * time.Minute)},
		{"flood bucket, window lengthened", with(func(q *Policy) { q.Window = time.Hour }), floodB, at(time.Minute), at(time.Hour)},
		{"flood bucket, window shortened into the past: due at once", with(func(q *Policy) { q.Window = 30 * time.Second }), floodB, at(time.Minute), at(30 * time.Second)},
		{"rule bucket, schedule unchanged", p, morningB, at(2 * time.Hour), morningB.Due},
		{"@every bucket, schedule unchanged", p, fastB, at(0), fastB.Due},
		{"rule bucket, schedule changed", with(func(q *Policy) { q.Digests["morning"] = mustCron(t, "30 18 * * *") }), morningB, at(2 * time.Hour),
			time.Date(2026, 12, 1, 18, 30, 0, 0, time.UTC)},
		{"rule bucket, new schedule's first tick already passed: due at once", with(func(q *Policy) { q.Digests["morning"] = mustCron(t, "15 * * * *") }),
			morningB, at(2 * time.Hour), at(time.Hour + 15*time.Minute)},
		{"@every bucket, interval changed", with(func(q *Policy) { q.Digests["fast"] = cron.Every(time.Minute) }), fastB, at(0), at(50 * time.Second)},
		{"digest removed: due now", with(func(q *Policy) { delete(q.Digests, "morning") }), morningB, at(2 * time.Hour), at(2 * time.Hour)},
		{"rule deleted altogether: due now", Policy{Burst: 3, Window: time.Minute}, fastB, at(0), at(0)},
		{"already due stays due", with(func(q *Policy) { q.Window = time.Hour }), floodB, at(11 * time.Minute), at(10 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Reschedule(tt.pol, tt.b, tt.now)
			if !got.Due.Equal(tt.wantDue) {
				t.Errorf("Due = %v, want %v", got.Due, tt.wantDue)
			}
			if got.ID != tt.b.ID || got.Key != tt.b.Key || !got.Opened.Equal(tt.b.Opened) || got.Channel != tt.b.Channel {
				t.Errorf("Reschedule changed more than Due: %+v from %+v", got, tt.b)
			}
		})
	}
}

func TestDue(t *testing.T) {
	bs := []Bucket{
		{ID: 1, Due: at(3 * time.Minute)},
		{ID: 2, Due: at(time.Minute)},
		{ID: 3, Due: at(2 * time.Minute)},
		{ID: 4, Due: at(2*time.Minute + time.Nanosecond)},
	}
	got := Due(bs, at(2*time.Minute))
	if len(got) != 2 || got[0].ID != 2 || got[1].ID != 3 {
		t.Errorf("Due = %+v, want buckets 2 then 3", got)
	}
	if got := Due(bs, at(0)); len(got) != 0 {
		t.Errorf("Due before any = %+v", got)
	}
}
