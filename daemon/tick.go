package daemon

import (
	"time"

	"github.com/robfig/cron/v3"
)

// Replicas must name a tick alike, or each replica's ticks are different
// ticks and every one of them fetches. A cron spec's ticks are wall-clock
// instants, the same in every process (given one time zone, or CRON_TZ in
// the spec). robfig's "@every 10m" counts from when the job was added,
// which differs per process, so with replicas it runs on a grid instead:
// every multiple of the interval since the Unix epoch.

// gridSchedule fires at every multiple of every since the Unix epoch.
type gridSchedule struct{ every time.Duration }

func (g gridSchedule) Next(t time.Time) time.Time {
	p := g.every.Microseconds()
	if p <= 0 {
		p = time.Second.Microseconds()
	}
	return time.UnixMicro((t.UnixMicro()/p + 1) * p).In(t.Location())
}

// onGrid is sched with robfig's @every replaced by its grid.
func onGrid(sched cron.Schedule) cron.Schedule {
	if cd, ok := sched.(cron.ConstantDelaySchedule); ok {
		return gridSchedule{every: cd.Delay}
	}
	return sched
}

// maxLookback bounds prevTick's search: a schedule with no tick in the last
// year (a February 30th) gets now, to the second.
const maxLookback = 400 * 24 * time.Hour

// prevTick is the latest tick of sched at or before now: the scheduled,
// pre-jitter instant of a run that fires at now (cron fires at or just
// after its tick), or of the last run before a poll at start. It looks
// back in doubling steps until a tick falls inside, then walks forward.
func prevTick(sched cron.Schedule, now time.Time) time.Time {
	for back := time.Second; back <= maxLookback; back *= 2 {
		t := sched.Next(now.Add(-back))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			n := sched.Next(t)
			if n.IsZero() || n.After(now) {
				return t
			}
			t = n
		}
	}
	return now.Truncate(time.Second)
}
