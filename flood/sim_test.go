package flood

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/notifier"
	"github.com/robfig/cron/v3"
)

// sim is the store and daemon around Decide, as the package doc proposes
// them, in memory: it records what each article became, and flushes
// buckets at their due time.
type sim struct {
	pol     Policy
	windows map[string]Window
	open    []Bucket
	held    []Held
	nextID  int64
	stories map[string]storyRef // channel + story id

	singles  []event
	replies  []event
	dropped  []event
	digests  []model.Digest
	digestAt []time.Time
	released int
}

type storyRef struct {
	state  StoryState
	bucket Bucket
}

type event struct {
	at      time.Time
	channel string
	story   int64
	rules   []string
	article model.Article
}

func newSim(p Policy) *sim {
	return &sim{pol: p, windows: map[string]Window{}, stories: map[string]storyRef{}}
}

func storyKey(ch string, id int64) string { return fmt.Sprintf("%s/%d", ch, id) }

// add flushes what is due at e.at, then decides about e.
func (s *sim) add(e event) Action {
	s.flush(e.at)
	ref := s.stories[storyKey(e.channel, e.story)]
	d := Decide(s.pol, s.windows[e.channel], s.open, Plan{Channel: e.channel, Rules: e.rules, Story: ref.state, HeldIn: ref.bucket}, e.at)
	s.windows[e.channel] = d.Window
	if d.Release {
		s.release(e, ref.bucket, d)
	}
	switch d.Action {
	case PostSingle:
		s.singles = append(s.singles, e)
		s.stories[storyKey(e.channel, e.story)] = storyRef{state: StorySingle}
	case PostReply:
		s.replies = append(s.replies, e)
	case Drop:
		s.dropped = append(s.dropped, e)
	case Hold:
		b := d.Bucket
		if b.ID == 0 {
			s.nextID++
			b.ID = s.nextID
			s.open = append(s.open, b)
		}
		for i := range s.held {
			if s.held[i].BucketID == -1 {
				s.held[i].BucketID = b.ID
			}
		}
		s.held = append(s.held, Held{BucketID: b.ID, Channel: e.channel, StoryID: e.story, Rules: e.rules, Article: e.article, Created: e.at})
		s.stories[storyKey(e.channel, e.story)] = storyRef{state: StoryHeld, bucket: b}
	}
	return d.Action
}

// release takes the story's copies out of bucket from: into the new
// alert's thread, or into the bucket the new copy is held in.
func (s *sim) release(e event, from Bucket, d Decision) {
	var keep []Held
	for _, h := range s.held {
		if h.BucketID != from.ID || h.Channel != e.channel || h.StoryID != e.story {
			keep = append(keep, h)
			continue
		}
		if d.Action == PostSingle {
			s.replies = append(s.replies, event{at: e.at, channel: h.Channel, story: h.StoryID, rules: h.Rules, article: h.Article})
			continue
		}
		h.BucketID = -1 // rewritten to the bucket's id in add
		keep = append(keep, h)
	}
	s.held = keep
	s.released++
}

func (s *sim) flush(now time.Time) {
	for _, b := range Due(s.open, now) {
		s.digests = append(s.digests, Assemble(b, s.held))
		s.digestAt = append(s.digestAt, now)
		s.open = slices.DeleteFunc(s.open, func(o Bucket) bool { return o.ID == b.ID })
		for k, ref := range s.stories {
			if ref.state == StoryHeld && ref.bucket.ID == b.ID {
				s.stories[k] = storyRef{state: StoryDigested}
			}
		}
	}
}

func (s *sim) reload(p Policy, now time.Time) {
	s.pol = p
	for i, b := range s.open {
		s.open[i] = Reschedule(p, b, now)
	}
	for k, ref := range s.stories { // the held rows' bucket is looked up by id in the store
		if ref.state == StoryHeld {
			i := slices.IndexFunc(s.open, func(o Bucket) bool { return o.ID == ref.bucket.ID })
			ref.bucket = s.open[i]
			s.stories[k] = ref
		}
	}
}

// digested lists every article linked in the digests, with its channel.
func (s *sim) digested() []string {
	var out []string
	for _, d := range s.digests {
		for _, e := range d.Entries {
			out = append(out, d.Channel+" "+e.Article.Link)
			for _, o := range e.Others {
				out = append(out, d.Channel+" "+o.Link)
			}
		}
	}
	return out
}

func distinct(i int) model.Article {
	return model.Article{Source: "wire", Title: fmt.Sprintf("Article %d", i), Link: fmt.Sprintf("https://wire.example/%d", i)}
}

// TestFloodOfDistinctArticles is the end-to-end scenario on the
// holding stage alone: 200 distinct matching articles in one pass against a
// channel with burst 10 make 10 single alerts and one digest that links the
// other 190, each once; a second pass of the same items is recorded as
// known before it reaches this stage, so nothing more is posted.
func TestFloodOfDistinctArticles(t *testing.T) {
	s := newSim(Policy{Burst: 10, Window: 10 * time.Minute})
	for i := range 200 {
		s.add(event{at: at(time.Duration(i) * 10 * time.Millisecond), channel: "#news", story: int64(i + 1), rules: []string{"broad"}, article: distinct(i)})
	}
	if len(s.digests) != 0 {
		t.Fatalf("a digest went out before the window ended: %+v", s.digests)
	}
	s.flush(at(10*time.Minute - time.Nanosecond))
	if len(s.digests) != 0 {
		t.Fatal("digest posted before the window's end")
	}
	s.flush(at(10 * time.Minute))
	if len(s.singles) != 10 || len(s.digests) != 1 {
		t.Fatalf("%d singles and %d digests, want 10 and 1", len(s.singles), len(s.digests))
	}
	d := s.digests[0]
	if d.Articles() != 190 || len(d.Entries) != 190 || d.Until.Sub(d.Since) != 10*time.Minute || d.Rule != "" {
		t.Errorf("digest: %d articles, %d entries, %v long, rule %q", d.Articles(), len(d.Entries), d.Until.Sub(d.Since), d.Rule)
	}
	seen := map[string]int{}
	for _, e := range s.singles {
		seen["#news "+e.article.Link]++
	}
	for _, l := range s.digested() {
		seen[l]++
	}
	for i := range 200 {
		if n := seen["#news "+distinct(i).Link]; n != 1 {
			t.Errorf("article %d appears %d times", i, n)
		}
	}
	// The next alert after the window opens a new one and is posted.
	if a := s.add(event{at: at(11 * time.Minute), channel: "#news", story: 999, rules: []string{"broad"}, article: distinct(999)}); a != PostSingle {
		t.Errorf("first alert of the next window: %v", a)
	}
}

// TestScheduledDigest: an @every 30s rule posts nothing until its tick,
// then one digest; nothing is posted at a tick with nothing held.
func TestScheduledDigest(t *testing.T) {
	s := newSim(Policy{Burst: 10, Window: 10 * time.Minute, Digests: map[string]Schedule{"slow": cron.Every(30 * time.Second)}})
	for i := range 5 {
		if a := s.add(event{at: at(time.Duration(i) * time.Second), channel: "#d", story: int64(i + 1), rules: []string{"slow"}, article: distinct(i)}); a != Hold {
			t.Fatalf("article %d: %v, want hold", i, a)
		}
	}
	s.flush(at(29 * time.Second))
	if len(s.digests) != 0 {
		t.Fatal("digest before the tick")
	}
	s.flush(at(30 * time.Second))
	if len(s.digests) != 1 || s.digests[0].Articles() != 5 || s.digests[0].Rule != "slow" {
		t.Fatalf("digests %+v", s.digests)
	}
	s.flush(at(10 * time.Minute))
	if len(s.digests) != 1 || len(s.singles) != 0 {
		t.Errorf("%d digests, %d singles after idle ticks", len(s.digests), len(s.singles))
	}
}

// TestReloadRemovesDigest: removing a rule's digest: posts what it held as
// one digest at once; held articles of a changed flood window stay held.
func TestReloadRemovesDigest(t *testing.T) {
	daily := mustCron(t, "0 8 * * *")
	s := newSim(Policy{Burst: 1, Window: 10 * time.Minute, Digests: map[string]Schedule{"broad": daily}})
	s.add(event{at: at(0), channel: "#a", story: 1, rules: []string{"broad"}, article: distinct(1)})
	s.add(event{at: at(time.Second), channel: "#a", story: 2, rules: []string{"broad"}, article: distinct(2)})
	s.add(event{at: at(2 * time.Second), channel: "#a", story: 3, rules: []string{"now"}, article: distinct(3)})
	s.add(event{at: at(3 * time.Second), channel: "#a", story: 4, rules: []string{"now"}, article: distinct(4)}) // flood-held
	s.reload(Policy{Burst: 1, Window: time.Hour}, at(time.Minute))
	s.flush(at(time.Minute))
	if len(s.digests) != 1 || s.digests[0].Rule != "broad" || s.digests[0].Articles() != 2 {
		t.Fatalf("after removing digest: digests %+v", s.digests)
	}
	s.flush(at(time.Hour + time.Second)) // the window opened at 2s
	if len(s.digests) != 1 {
		t.Fatal("the flood digest went out before its lengthened window ended")
	}
	s.flush(at(time.Hour + 2*time.Second))
	if len(s.digests) != 2 || s.digests[1].Articles() != 1 || s.digests[1].Entries[0].Article.Link != distinct(4).Link {
		t.Errorf("flood digest after the reload: %+v", s.digests)
	}
	// A copy of story 1, digested, is not posted; a copy of story 3, alerted
	// singly, is a reply.
	if a := s.add(event{at: at(2 * time.Hour), channel: "#a", story: 1, rules: []string{"broad"}, article: distinct(11)}); a != Drop {
		t.Errorf("copy of a digested story: %v", a)
	}
	if a := s.add(event{at: at(2 * time.Hour), channel: "#a", story: 3, rules: []string{"broad"}, article: distinct(13)}); a != PostReply {
		t.Errorf("copy of a single: %v", a)
	}
}

// TestRandomStreams checks the invariants over random streams of
// articles, stories and rules in three channels, with reloads: every
// article is posted once (single, reply or in one digest) unless its story
// had already gone out in a digest; a story is one single or one digest
// line per channel; no window has more than burst singles; a digest never
// goes out before it is due; nothing stays held.
func TestRandomStreams(t *testing.T) {
	released, drops := 0, 0
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			s := randomStream(t, seed)
			released, drops = released+s.released, drops+len(s.dropped)
		})
	}
	if released == 0 || drops == 0 {
		t.Errorf("the streams never released (%d) or dropped (%d) a story: make them harder", released, drops)
	}
}

func randomStream(t *testing.T, seed uint64) *sim {
	r := rand.New(rand.NewPCG(seed, 14))
	policies := []Policy{
		{Burst: 3, Window: 10 * time.Minute, Digests: map[string]Schedule{"d1": cron.Every(7 * time.Minute), "d2": mustCron(t, "*/15 * * * *")}},
		{Burst: 1, Window: 2 * time.Minute, Digests: map[string]Schedule{"d1": cron.Every(3 * time.Minute)}},
		{Burst: 5, Window: 30 * time.Minute, Digests: map[string]Schedule{"d2": mustCron(t, "*/5 * * * *"), "i1": cron.Every(time.Minute)}},
	}
	s := newSim(policies[0])
	rules := []string{"i1", "i2", "d1", "d2"}
	channels := []string{"#a", "#b", "stdout"}
	now := t0
	var all []event
	for i := range 400 {
		now = now.Add(time.Duration(r.IntN(20_000)) * time.Millisecond)
		if r.IntN(100) == 0 {
			s.reload(policies[r.IntN(len(policies))], now)
		}
		var rs []string
		for _, name := range rules {
			if r.IntN(3) == 0 {
				rs = append(rs, name)
			}
		}
		if len(rs) == 0 {
			rs = []string{rules[r.IntN(len(rules))]}
		}
		e := event{at: now, channel: channels[r.IntN(len(channels))], story: int64(r.IntN(120) + 1), rules: rs, article: distinct(i)}
		all = append(all, e)
		s.add(e)
	}
	s.reload(Policy{Burst: 1, Window: time.Minute}, now) // every digest removed: all due
	s.flush(now.Add(time.Hour))
	if len(s.open) != 0 {
		t.Fatalf("%d buckets still open", len(s.open))
	}
	count := map[string]int{}
	for _, e := range append(slices.Clone(s.singles), s.replies...) {
		count[e.channel+" "+e.article.Link]++
	}
	for _, l := range s.digested() {
		count[l]++
	}
	dropped := map[string]bool{}
	for _, e := range s.dropped {
		dropped[e.channel+" "+e.article.Link] = true
	}
	for _, e := range all {
		k := e.channel + " " + e.article.Link
		want := 1
		if dropped[k] {
			want = 0
		}
		if count[k] != want {
			t.Errorf("article %s appears %d times, want %d", k, count[k], want)
		}
	}
	lines := map[string]int{}
	for _, e := range s.singles {
		lines[storyKey(e.channel, e.story)]++
	}
	for _, d := range s.digests {
		for _, e := range d.Entries {
			lines[storyKey(d.Channel, e.StoryID)]++
		}
	}
	for k, n := range lines {
		if n != 1 {
			t.Errorf("story %s has %d alerts or digest lines, want 1", k, n)
		}
	}
	for _, e := range s.dropped {
		if lines[storyKey(e.channel, e.story)] != 1 {
			t.Errorf("dropped copy %s of a story that went out nowhere", e.article.Link)
		}
	}
	for i, d := range s.digests {
		if s.digestAt[i].Before(d.Until) {
			t.Errorf("digest due %v posted at %v", d.Until, s.digestAt[i])
		}
	}
	checkBurst(t, s.singles)
	return s
}

// checkBurst: within any span shorter than the smallest window used, a
// channel gets at most the largest burst used... stated exactly: no
// channel has more than 5 singles (the largest burst) within 2 minutes
// (the smallest window).
func checkBurst(t *testing.T, singles []event) {
	t.Helper()
	by := map[string][]time.Time{}
	for _, e := range singles {
		by[e.channel] = append(by[e.channel], e.at)
	}
	for ch, ts := range by {
		for i := range ts {
			n := 0
			for j := i; j < len(ts) && ts[j].Sub(ts[i]) < 2*time.Minute; j++ {
				n++
			}
			if n > 5 {
				t.Errorf("%s: %d singles within 2 minutes from %v", ch, n, ts[i])
			}
		}
	}
}

// TestFloodToSlack runs the scenario through the holding stage and
// the digest formatting: 200 distinct articles, burst 10, then every part
// of the digest rendered for Slack; the other 190 are linked exactly once
// across the parts, and the 10 singles not at all.
func TestFloodToSlack(t *testing.T) {
	s := newSim(Policy{Burst: 10, Window: 10 * time.Minute})
	for i := range 200 {
		a := distinct(i)
		a.Title = fmt.Sprintf("Article %d: a long enough headline about the talks in Geneva and what they mean for the front line", i)
		s.add(event{at: at(time.Duration(i) * time.Second), channel: "#news", story: int64(i + 1), rules: []string{"broad", "geneva"}, article: a})
	}
	s.flush(at(time.Hour))
	if len(s.digests) != 1 {
		t.Fatalf("%d digests", len(s.digests))
	}
	links := map[string]int{}
	for _, p := range notifier.DigestPages(s.digests[0]) {
		var raw strings.Builder
		enc := json.NewEncoder(&raw)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(notifier.FormatDigest(p)); err != nil {
			t.Fatal(err)
		}
		for _, l := range linkRe.FindAllStringSubmatch(raw.String(), -1) {
			links[l[1]]++
		}
	}
	for i := range 200 {
		want := 1
		if i < 10 {
			want = 0
		}
		if n := links[distinct(i).Link]; n != want {
			t.Errorf("article %d linked %d times in the digest, want %d", i, n, want)
		}
	}
}

var linkRe = regexp.MustCompile(`<(https://wire\.example/[0-9]+)\|`)
