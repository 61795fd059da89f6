package config

import (
	"fmt"
	"time"

	"github.com/newswatch/newswatch/flood"
)

// Flood-cap defaults, as issue 14 documents them.
const (
	DefaultFloodBurst  = 10
	DefaultFloodWindow = 10 * time.Minute
)

var floodKeys = []string{"burst", "window"}

// Flood caps single alerts per channel: at most Burst alerts are posted
// one by one in a Window (opened by the first alert after the previous
// window closed); the rest are held and posted as one digest when the
// window ends. Stdout and the webhook count as one channel each.
type Flood struct {
	Burst  int
	Window time.Duration
}

// flood decodes the flood section into dst, which holds the defaults; a key
// left out keeps its default.
func (d *decoder) flood(e entry, dst *Flood) {
	m := d.mapping(e.val, "flood", "flood.", floodKeys)
	if e, ok := m["burst"]; ok {
		d.integer(e, &dst.Burst, 1)
	}
	if e, ok := m["window"]; ok {
		d.duration(e, &dst.Window)
	}
}

// digest decodes a rule's digest: schedule, a cron spec or "@every 1h"
// parsed by the parser sources use, so the daemon can schedule it with
// ParseSchedule. An empty value (an unset ${VAR:-}) means no digest: the
// rule alerts as it happens.
func (d *decoder) digest(e entry, dst *string) {
	v, ok := d.scalar(e)
	if !ok || v.s == "" {
		return
	}
	if _, err := cronParser.Parse(v.s); err != nil {
		d.errAt(v.node, "%s: invalid digest schedule %s: %s (want a cron spec like \"0 8 * * *\", or \"@every 1h\", \"@daily\")", e.name, v.show(), cronMsg(err, v))
		return
	}
	*dst = v.s
}

// Delivery says how the rule's alerts go out, as `check` prints it:
// "immediate", or "digest SPEC" for a rule with a digest schedule.
func (r Rule) Delivery() string {
	if r.Digest == "" {
		return "immediate"
	}
	return "digest " + r.Digest
}

// describe says what the flood cap does, for `check`.
func (f Flood) describe() string {
	return fmt.Sprintf("burst %d per %s per channel (the rest go into one digest when the window ends)", f.Burst, shortDuration(f.Window))
}

// FloodPolicy returns the noise control in force for the holding stage:
// the flood cap and every rule's compiled digest schedule. Its error is
// only for a Config built by hand: Load has validated every schedule.
func (c *Config) FloodPolicy() (flood.Policy, error) {
	p := flood.Policy{Burst: c.Flood.Burst, Window: c.Flood.Window, Digests: map[string]flood.Schedule{}}
	for _, r := range c.Rules {
		if r.Digest == "" {
			continue
		}
		s, err := cronParser.Parse(r.Digest)
		if err != nil {
			return flood.Policy{}, fmt.Errorf("config: rule %s: digest: %w", r.Name, err)
		}
		p.Digests[r.Name] = s
	}
	return p, nil
}
