package flood

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func mustCron(t *testing.T, spec string) Schedule {
	t.Helper()
	s, err := cron.ParseStandard(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// policy is burst 3 per 10 minutes, "morning" a daily 08:00 digest rule,
// "fast" an @every 30s one, "hourly" a digest at minute 0.
func policy(t *testing.T) Policy {
	return Policy{Burst: 3, Window: 10 * time.Minute, Digests: map[string]Schedule{
		"morning": mustCron(t, "0 8 * * *"),
		"fast":    cron.Every(30 * time.Second),
		"hourly":  mustCron(t, "0 * * * *"),
	}}
}

func TestDecide(t *testing.T) {
	p := policy(t)
	openWin := Window{Start: at(0), Singles: 1}
	fullWin := Window{Start: at(0), Singles: 3}
	floodB := Bucket{ID: 7, Channel: "#a", Key: FloodKey, Opened: at(0), Due: at(10 * time.Minute)}
	oldFloodB := Bucket{ID: 6, Channel: "#a", Key: FloodKey, Opened: at(-time.Hour), Due: at(-50 * time.Minute)}
	otherChan := Bucket{ID: 5, Channel: "#b", Key: FloodKey, Opened: at(0), Due: at(10 * time.Minute)}
	fastB := Bucket{ID: 8, Channel: "#a", Key: RuleKey("fast"), Opened: at(-10 * time.Second), Due: at(20 * time.Second)}
	tests := []struct {
		name   string
		pol    Policy
		win    Window
		open   []Bucket
		plan   Plan
		now    time.Time
		want   Action
		bucket Bucket
		window Window
	}{
		{"first alert ever opens a window", p, Window{}, nil, Plan{Channel: "#a", Rules: []string{"r"}}, at(0),
			PostSingle, Bucket{}, Window{Start: at(0), Singles: 1}},
		{"room in the window", p, openWin, nil, Plan{Channel: "#a", Rules: []string{"r"}}, at(5 * time.Minute),
			PostSingle, Bucket{}, Window{Start: at(0), Singles: 2}},
		{"burst reached: held in a new flood bucket due at the window's end", p, fullWin, nil,
			Plan{Channel: "#a", Rules: []string{"r"}}, at(time.Minute),
			Hold, Bucket{Channel: "#a", Key: FloodKey, Opened: at(0), Due: at(10 * time.Minute)}, fullWin},
		{"burst reached: joins the window's open flood bucket", p, fullWin, []Bucket{otherChan, oldFloodB, floodB},
			Plan{Channel: "#a", Rules: []string{"r"}}, at(9*time.Minute + 59*time.Second), Hold, floodB, fullWin},
		{"the window ends exactly Window after it opened", p, fullWin, []Bucket{floodB},
			Plan{Channel: "#a", Rules: []string{"r"}}, at(10 * time.Minute),
			PostSingle, Bucket{}, Window{Start: at(10 * time.Minute), Singles: 1}},
		{"a new window long after", p, fullWin, nil, Plan{Channel: "#a", Rules: []string{"r"}}, at(3 * time.Hour),
			PostSingle, Bucket{}, Window{Start: at(3 * time.Hour), Singles: 1}},
		{"a copy of a story alerted singly is a reply, even beyond the burst", p, fullWin, nil,
			Plan{Channel: "#a", Rules: []string{"r"}, Story: StorySingle}, at(time.Minute), PostReply, Bucket{}, fullWin},
		{"a copy of a story alerted singly is a reply, even for a digest rule", p, openWin, nil,
			Plan{Channel: "#a", Rules: []string{"morning"}, Story: StorySingle}, at(time.Minute), PostReply, Bucket{}, openWin},
		{"a copy of a story in a flood digest joins it, even with room for singles", p, Window{}, nil,
			Plan{Channel: "#a", Rules: []string{"r"}, Story: StoryHeld, HeldIn: floodB}, at(0), Hold, floodB, Window{}},
		{"a copy of a story in a rule digest matching digest rules joins it", p, openWin, nil,
			Plan{Channel: "#a", Rules: []string{"hourly", "morning"}, Story: StoryHeld, HeldIn: fastB}, at(0), Hold, fastB, openWin},
		{"a copy of a digested story is dropped", p, openWin, nil,
			Plan{Channel: "#a", Rules: []string{"r"}, Story: StoryDigested}, at(time.Minute), Drop, Bucket{}, openWin},
		{"a digest rule holds until its next tick, leaving the window alone", p, Window{}, nil,
			Plan{Channel: "#a", Rules: []string{"morning"}}, at(0),
			Hold, Bucket{Channel: "#a", Key: RuleKey("morning"), Opened: at(0), Due: time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)}, Window{}},
		{"a digest rule joins its open bucket", p, openWin, []Bucket{floodB, fastB},
			Plan{Channel: "#a", Rules: []string{"fast"}}, at(0), Hold, fastB, openWin},
		{"a digest rule's bucket in another channel is not joined", p, Window{}, []Bucket{fastB},
			Plan{Channel: "#b", Rules: []string{"fast"}}, at(0),
			Hold, Bucket{Channel: "#b", Key: RuleKey("fast"), Opened: at(0), Due: at(30 * time.Second)}, Window{}},
		{"two digest rules: the one due first", p, Window{}, nil,
			Plan{Channel: "#a", Rules: []string{"morning", "hourly"}}, at(0),
			Hold, Bucket{Channel: "#a", Key: RuleKey("hourly"), Opened: at(0), Due: at(time.Hour)}, Window{}},
		{"two digest rules: an open bucket due first wins", p, Window{}, []Bucket{fastB},
			Plan{Channel: "#a", Rules: []string{"hourly", "fast"}}, at(0), Hold, fastB, Window{}},
		{"two digest rules due at once: the first listed", Policy{Burst: 1, Window: time.Minute, Digests: map[string]Schedule{
			"a": mustCron(t, "0 * * * *"), "b": mustCron(t, "0 */2 * * *")}}, Window{}, nil,
			Plan{Channel: "#a", Rules: []string{"a", "b"}}, at(30 * time.Minute),
			Hold, Bucket{Channel: "#a", Key: RuleKey("a"), Opened: at(30 * time.Minute), Due: at(time.Hour)}, Window{}},
		{"digest and immediate rule: one single alert", p, openWin, []Bucket{fastB},
			Plan{Channel: "#a", Rules: []string{"fast", "r"}}, at(time.Minute),
			PostSingle, Bucket{}, Window{Start: at(0), Singles: 2}},
		{"digest and immediate rule beyond the burst: the flood digest", p, fullWin, []Bucket{fastB},
			Plan{Channel: "#a", Rules: []string{"r", "fast"}}, at(time.Minute),
			Hold, Bucket{Channel: "#a", Key: FloodKey, Opened: at(0), Due: at(10 * time.Minute)}, fullWin},
		{"burst lowered on reload below the singles posted: held", Policy{Burst: 2, Window: 10 * time.Minute}, Window{Start: at(0), Singles: 2}, nil,
			Plan{Channel: "#a", Rules: []string{"r"}}, at(time.Minute),
			Hold, Bucket{Channel: "#a", Key: FloodKey, Opened: at(0), Due: at(10 * time.Minute)}, Window{Start: at(0), Singles: 2}},
		{"window shortened on reload: the old window has ended", Policy{Burst: 3, Window: time.Minute}, fullWin, nil,
			Plan{Channel: "#a", Rules: []string{"r"}}, at(2 * time.Minute),
			PostSingle, Bucket{}, Window{Start: at(2 * time.Minute), Singles: 1}},
		{"window lengthened on reload: the old window goes on", Policy{Burst: 3, Window: time.Hour}, fullWin, nil,
			Plan{Channel: "#a", Rules: []string{"r"}}, at(30 * time.Minute),
			Hold, Bucket{Channel: "#a", Key: FloodKey, Opened: at(0), Due: at(time.Hour)}, fullWin},
		{"a rule whose digest was removed is immediate", Policy{Burst: 3, Window: time.Minute}, Window{}, []Bucket{fastB},
			Plan{Channel: "#a", Rules: []string{"fast"}}, at(0), PostSingle, Bucket{}, Window{Start: at(0), Singles: 1}},
		{"no rules at all counts as immediate", p, Window{}, nil, Plan{Channel: "#a"}, at(0),
			PostSingle, Bucket{}, Window{Start: at(0), Singles: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.pol, tt.win, tt.open, tt.plan, tt.now)
			if d.Release {
				t.Error("Release set")
			}
			if d.Action != tt.want {
				t.Errorf("Action = %v, want %v", d.Action, tt.want)
			}
			if !sameBucket(d.Bucket, tt.bucket) {
				t.Errorf("Bucket = %+v, want %+v", d.Bucket, tt.bucket)
			}
			if !d.Window.Start.Equal(tt.window.Start) || d.Window.Singles != tt.window.Singles {
				t.Errorf("Window = %+v, want %+v", d.Window, tt.window)
			}
		})
	}
}

// TestDecideRelease: a copy matching an immediate rule of a story held for
// a rule's schedule is decided afresh, and releases the held copies.
func TestDecideRelease(t *testing.T) {
	p := policy(t)
	morningB := Bucket{ID: 9, Channel: "#a", Key: RuleKey("morning"), Opened: at(-time.Hour), Due: at(23 * time.Hour)}
	plan := Plan{Channel: "#a", Rules: []string{"morning", "witkoff"}, Story: StoryHeld, HeldIn: morningB}
	d := Decide(p, Window{}, []Bucket{morningB}, plan, at(0))
	if d.Action != PostSingle || !d.Release || d.Window.Singles != 1 {
		t.Errorf("with room: %+v, want a released single", d)
	}
	full := Window{Start: at(-time.Minute), Singles: 3}
	d = Decide(p, full, []Bucket{morningB}, plan, at(0))
	want := Bucket{Channel: "#a", Key: FloodKey, Opened: at(-time.Minute), Due: at(9 * time.Minute)}
	if d.Action != Hold || !d.Release || !sameBucket(d.Bucket, want) {
		t.Errorf("beyond the burst: %+v, want released into %+v", d, want)
	}
}

func sameBucket(a, b Bucket) bool {
	return a.ID == b.ID && a.Channel == b.Channel && a.Key == b.Key && a.Opened.Equal(b.Opened) && a.Due.Equal(b.Due)
}

func TestKeys(t *testing.T) {
	if r, ok := KeyRule(RuleKey("ukraine-broad")); !ok || r != "ukraine-broad" {
		t.Errorf("KeyRule(RuleKey) = %q, %v", r, ok)
	}
	if _, ok := KeyRule(FloodKey); ok {
		t.Error("KeyRule(FloodKey) reports a rule")
	}
	for a, want := range map[Action]string{PostSingle: "single", PostReply: "reply", Hold: "hold", Drop: "drop"} {
		if a.String() != want {
			t.Errorf("%d.String() = %q, want %q", a, a, want)
		}
	}
}
