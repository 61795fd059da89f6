package flood

import (
	"slices"
	"strings"
	"time"
)

// Schedule is a digest schedule; robfig/cron's cron.Schedule (what
// config.ParseSchedule returns) satisfies it.
type Schedule interface {
	Next(time.Time) time.Time
}

// Policy is the noise control in force: config's flood: and the rules'
// digest: schedules. Config validates Burst >= 1 and Window > 0.
type Policy struct {
	Burst  int
	Window time.Duration
	// Digests maps the name of each rule with a digest: to its schedule;
	// a rule not in it is immediate.
	Digests map[string]Schedule
}

// FloodKey is the digest key of a channel's flood digests; a rule's
// scheduled digests have RuleKey(name).
const FloodKey = "flood"

const rulePrefix = "rule:"

// RuleKey is the digest key of a rule's scheduled digests. Rule names
// cannot contain ':' (config.validName), so keys never collide.
func RuleKey(rule string) string { return rulePrefix + rule }

// KeyRule returns the rule of a scheduled digest's key; false for FloodKey.
func KeyRule(key string) (string, bool) { return strings.CutPrefix(key, rulePrefix) }

// Window is a channel's flood window, persisted per channel. The zero
// Window is a channel that never had one.
type Window struct {
	// Start is when the window opened: at the first single alert after the
	// previous window closed.
	Start time.Time
	// Singles counts the alerts posted one by one in the window.
	Singles int
}

// open reports whether w is still open at now under p. A window ends
// Window after its Start; changing flood.window moves its end.
func (w Window) open(p Policy, now time.Time) bool {
	return !w.Start.IsZero() && now.Before(w.Start.Add(p.Window))
}

// Bucket is one digest being collected: held articles of one channel and
// digest key, posted together at Due. The store keeps one row per bucket;
// ID is its id there (0 for a bucket Decide has just opened).
type Bucket struct {
	ID      int64
	Channel string
	Key     string
	Opened  time.Time // the flood window's start, or the first hold for a rule
	Due     time.Time
}

// StoryState is how the article's story has gone out in the channel so far.
type StoryState uint8

const (
	// StoryNew: the story has nothing in the channel yet.
	StoryNew StoryState = iota
	// StorySingle: the story was alerted on its own; copies are replies in
	// that alert's thread.
	StorySingle
	// StoryHeld: the story is held in a bucket not yet posted; copies join
	// its line in that digest ("… and 4 other outlets").
	StoryHeld
	// StoryDigested: the story went out in a digest; copies are not posted.
	StoryDigested
)

// Plan is one planned alert: an article's fresh matches that route to one
// channel, and what the channel already has of its story.
type Plan struct {
	Channel string
	// Rules are the rules that matched, in rule order, immediate and digest
	// rules alike.
	Rules []string
	Story StoryState
	// HeldIn is the bucket holding the story when Story is StoryHeld.
	HeldIn Bucket
}

// Action is what to do with a planned alert.
type Action uint8

const (
	// PostSingle: write the alert to the outbox now, naming every rule.
	PostSingle Action = iota
	// PostReply: write a follow-up in the story's thread (nothing in
	// webhook mode, as before).
	PostReply
	// Hold: keep the article in Decision.Bucket for its digest.
	Hold
	// Drop: record the article, post nothing (its story went out in a digest).
	Drop
)

func (a Action) String() string {
	return [...]string{"single", "reply", "hold", "drop"}[a]
}

// Decision is what Decide says about one planned alert.
type Decision struct {
	Action Action
	// Bucket is where a held article goes: an open bucket (its ID set) or a
	// new one (ID 0) that the caller creates.
	Bucket Bucket
	// Window is the channel's flood window after the decision; persist it
	// with the article (it changes only on PostSingle).
	Window Window
	// Release is set when the article's story was held for a rule's
	// scheduled digest and this copy matches an immediate rule: the story
	// is decided afresh (PostSingle, or Hold in the flood bucket), and the
	// caller moves the story's copies held in Plan.HeldIn along with it:
	// they become replies in the new alert's thread (PostSingle) or join
	// Decision.Bucket (Hold). So an immediate rule never waits for a
	// schedule, and each copy still appears once.
	Release bool
}

// Decide is the holding stage: given the policy, the channel's window,
// the channel's buckets not yet posted, a planned alert and the clock, it
// says whether the alert is posted on its own, as a reply, held for a
// digest, or dropped. It is pure: the caller persists Decision.Window and
// the held article in the transaction that records the article.
//
// In order: a story already in the channel keeps its way out (a reply, its
// digest, or nothing; but see Decision.Release); an article matching an
// immediate rule is an alert naming all its rules, posted while the window
// has room and held for the window's flood digest beyond Burst; an article
// matching only digest rules is held for the rule digest due first.
func Decide(p Policy, w Window, open []Bucket, plan Plan, now time.Time) Decision {
	d := Decision{Window: w}
	switch plan.Story {
	case StorySingle:
		d.Action = PostReply
		return d
	case StoryHeld:
		if _, scheduled := KeyRule(plan.HeldIn.Key); !scheduled || onlyDigestRules(p, plan.Rules) {
			d.Action, d.Bucket = Hold, plan.HeldIn
			return d
		}
		// A copy matching an immediate rule must not wait for a rule's
		// schedule: the story is alerted now and its held copies follow.
		d = decideNew(p, w, open, plan, now)
		d.Release = true
		return d
	case StoryDigested:
		d.Action = Drop
		return d
	}
	return decideNew(p, w, open, plan, now)
}

// decideNew decides about the first article of a story in the channel.
func decideNew(p Policy, w Window, open []Bucket, plan Plan, now time.Time) Decision {
	d := Decision{Window: w}
	if onlyDigestRules(p, plan.Rules) {
		d.Action, d.Bucket = Hold, ruleBucket(p, open, plan, now)
		return d
	}
	if !w.open(p, now) {
		d.Window = Window{Start: now}
	}
	if d.Window.Singles < p.Burst {
		d.Window.Singles++
		d.Action = PostSingle
		return d
	}
	d.Action, d.Bucket = Hold, floodBucket(p, open, plan.Channel, d.Window)
	return d
}

// onlyDigestRules reports whether every rule (at least one) has a digest.
func onlyDigestRules(p Policy, rules []string) bool {
	return len(rules) > 0 && !slices.ContainsFunc(rules, func(r string) bool { return p.Digests[r] == nil })
}

// floodBucket is the channel's flood bucket for window w: the open one of
// that window, else a new one due when the window ends.
func floodBucket(p Policy, open []Bucket, channel string, w Window) Bucket {
	for _, b := range open {
		if b.Channel == channel && b.Key == FloodKey && b.Opened.Equal(w.Start) {
			return b
		}
	}
	return Bucket{Channel: channel, Key: FloodKey, Opened: w.Start, Due: w.Start.Add(p.Window)}
}

// ruleBucket is the bucket of the digest rule (among plan.Rules) whose
// digest is due first: its open bucket, else a new one due at the rule's
// next tick. Ties go to the rule listed first. One article is held once,
// so it appears in exactly one digest.
func ruleBucket(p Policy, open []Bucket, plan Plan, now time.Time) Bucket {
	var best Bucket
	for _, r := range plan.Rules {
		b, ok := openBucket(open, plan.Channel, RuleKey(r))
		if !ok {
			b = Bucket{Channel: plan.Channel, Key: RuleKey(r), Opened: now, Due: p.Digests[r].Next(now)}
		}
		if best.Key == "" || b.Due.Before(best.Due) {
			best = b
		}
	}
	return best
}

func openBucket(open []Bucket, channel, key string) (Bucket, bool) {
	for _, b := range open {
		if b.Channel == channel && b.Key == key {
			return b, true
		}
	}
	return Bucket{}, false
}
