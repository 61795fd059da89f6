package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/flood"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/story"
)

// outcome is what recording one article did, for logs and metrics.
type outcome struct {
	isNew      bool
	matched    []string // rules matched for the first time
	suppressed string   // why the new matches made no alert, if they did not
	alerts     []model.Alert
}

// fetchBatch is one fetch's articles on their way through match →
// dedupe/story → outbox, decided one by one and then written together by
// one RecordFetch. It starts from what the store knows of the fetch's items
// (one batched look-up) and folds in each decision, so that two copies of
// an item or of a story inside one fetch see each other exactly as they
// would across fetches. Callers hold d.recordMu from newBatch to the write:
// the story decision reads then writes.
type fetchBatch struct {
	d      *Daemon
	cfg    *config.Config
	fs     store.FetchState
	known  store.Known      // what the store knew before this fetch
	keyRec map[string]int32 // key -> index in recs of its latest record
	// canonical link -> index in recs of the first record with it (the
	// store's item with the link, if any, comes first)
	linkRec map[string]int32
	recs    []store.Record
	outs    []outcome
	arts    []*model.Article
	// stories founded by this fetch's records (not yet in the store) and
	// the channels where a story already has its AlertNew in this fetch.
	stories []batchStory
	alerted map[storyChannel]bool
	// The holding stage (issue 14): the policy in force, each channel's
	// flood window and the digests not yet posted, as the store had them
	// and as this fetch's decisions changed them (read at the fetch's
	// first alert: most fetches have none, and on PostgreSQL the read is
	// two statements), and the stories this fetch held per channel.
	policy      flood.Policy
	floodLoaded bool
	windows     map[string]flood.Window
	buckets     []flood.Bucket
	held        map[storyChannel]flood.Bucket
}

// knownItem is an item known to the store or decided earlier in the batch;
// ref is 1 + the index of the record that founds its story, when that
// story is new in this batch.
type knownItem struct {
	item store.Item
	ref  int
}

type batchStory struct {
	ref int
	sig story.Signature
}

// storyChannel names a story (by id, or by ref while new in the batch) in
// one channel.
type storyChannel struct {
	id      int64
	ref     int
	channel string
}

// newBatch looks up what the store knows of arts.
func (d *Daemon) newBatch(ctx context.Context, cfg *config.Config, fs store.FetchState, arts []*model.Article) (*fetchBatch, error) {
	keys := make([]string, 0, len(arts))
	links := make([]string, 0, len(arts))
	for _, a := range arts {
		keys, links = append(keys, a.Key()), append(links, a.CanonicalLink)
	}
	known, err := d.state.KnownItems(ctx, fs.Source, keys, links)
	if err != nil {
		return nil, fmt.Errorf("look up items: %w", err)
	}
	policy, err := cfg.FloodPolicy()
	if err != nil {
		return nil, err
	}
	// Sized for the whole fetch: growing these by doubling was most of a
	// 100,000-item feed's garbage.
	n := len(arts)
	// Records are found by index, not copied into the maps: at 100,000
	// items copies were a third of the batch's memory.
	b := &fetchBatch{d: d, cfg: cfg, fs: fs, known: known, alerted: map[storyChannel]bool{},
		policy: policy, held: map[storyChannel]flood.Bucket{},
		keyRec: make(map[string]int32, n), linkRec: make(map[string]int32, n),
		recs: make([]store.Record, 0, n), outs: make([]outcome, 0, n), arts: make([]*model.Article, 0, n)}
	return b, nil
}

// add decides one article: nothing when it is known and unchanged, else a
// record with its matches, story and alerts.
func (b *fetchBatch) add(ctx context.Context, a *model.Article) error {
	key := a.Key()
	if key == "" {
		return fmt.Errorf("%w: it has neither GUID nor link", errBadItem)
	}
	prev, found := b.previous(a)
	hash := a.ContentHash()
	if found && prev.item.Source == a.Source && prev.item.Key == key && prev.item.ContentHash == hash {
		return nil // known and unchanged
	}
	var out outcome
	out.isNew = !found
	fresh := newMatches(b.cfg.Matcher.Match(a), prev.item.Rules)
	item := store.Item{
		Source: a.Source, Key: key, CanonicalLink: a.CanonicalLink, ContentHash: hash,
		Rules: mergeRules(prev.item.Rules, fresh), StoryID: prev.item.StoryID,
		Published: a.Published, FirstSeen: prev.item.FirstSeen,
	}
	if item.FirstSeen.IsZero() {
		item.FirstSeen = b.d.now()
	}
	rec := store.Record{Item: item, StoryOf: prev.ref}
	for _, m := range fresh {
		out.matched = append(out.matched, m.Rule)
	}
	if len(fresh) > 0 {
		out.suppressed = b.d.suppression(b.cfg, b.fs, a, found)
		if out.suppressed == "" {
			if err := b.planAlerts(ctx, a, fresh, &rec); err != nil {
				return err
			}
		}
	}
	b.push(a, rec, out)
	return nil
}

// push appends a decided record and makes it known to the rest of the batch.
func (b *fetchBatch) push(a *model.Article, rec store.Record, out outcome) {
	out.alerts = rec.Alerts
	b.recs, b.outs, b.arts = append(b.recs, rec), append(b.outs, out), append(b.arts, a)
	i := int32(len(b.recs) - 1)
	b.keyRec[rec.Item.Key] = i
	if l := rec.Item.CanonicalLink; l != "" {
		if _, ok := b.linkRec[l]; !ok {
			b.linkRec[l] = i
		}
	}
}

// recItem is record i as the rest of the batch knows it.
func (b *fetchBatch) recItem(i int32) knownItem {
	r := &b.recs[i]
	k := knownItem{item: r.Item, ref: r.StoryOf}
	if r.NewStory != nil {
		k.ref = int(i) + 1
	}
	return k
}

// previous finds what we already know of the article: under its own key,
// else under its canonical link from any source (the same article carried
// by another feed, or re-published under a new GUID).
func (b *fetchBatch) previous(a *model.Article) (knownItem, bool) {
	if i, ok := b.keyRec[a.Key()]; ok {
		return b.recItem(i), true
	}
	if it, ok := b.known.ByKey[a.Key()]; ok {
		return knownItem{item: it}, true
	}
	if a.CanonicalLink == "" {
		return knownItem{}, false
	}
	var k knownItem
	if it, ok := b.known.ByLink[a.CanonicalLink]; ok {
		k = knownItem{item: it}
	} else if i, ok := b.linkRec[a.CanonicalLink]; ok {
		k = b.recItem(i)
	} else {
		return knownItem{}, false
	}
	// Known under another key: inherit its rules and story, but it is a new
	// row, first seen now.
	k.item.FirstSeen = time.Time{}
	return k, true
}

// suppression says why matches on this article must not alert, or "".
func (d *Daemon) suppression(cfg *config.Config, fs store.FetchState, a *model.Article, known bool) string {
	if !a.Published.IsZero() && d.now().Sub(a.Published) > cfg.MaxAge {
		return "max_age"
	}
	if a.Published.IsZero() && !fs.Fetched && !known {
		return "first_fetch_undated"
	}
	return ""
}

// planAlerts finds or founds the article's story and decides, per channel,
// how it goes out (flood.Decide): a new alert, a follow-up in the story's
// thread (nothing when the notifier has no threads), held for a digest
// (written with the record), or nothing (its story went out in a digest).
func (b *fetchBatch) planAlerts(ctx context.Context, a *model.Article, fresh []model.Match, rec *store.Record) error {
	if rec.Item.StoryID == 0 && rec.StoryOf == 0 {
		if err := b.findStory(ctx, a, rec); err != nil {
			return err
		}
	}
	if err := b.loadFlood(ctx); err != nil {
		return err
	}
	shown := *a
	if shown.Published.IsZero() {
		shown.Published = rec.Item.FirstSeen // undated or a bad date: when we first saw it
	}
	now := b.d.now()
	for _, g := range b.d.byChannel(b.cfg, fresh) {
		alert := model.Alert{Kind: model.AlertNew, Channel: g.channel, StoryID: rec.Item.StoryID,
			Rules: g.rules, Article: shown, Spans: g.spans, Created: now}
		sc := b.storyKey(rec, g.channel)
		plan := flood.Plan{Channel: g.channel, Rules: g.rules}
		var err error
		if plan.Story, plan.HeldIn, err = b.storyState(ctx, sc, &alert); err != nil {
			return err
		}
		prev := b.windows[g.channel]
		dec := flood.Decide(b.policy, prev, b.buckets, plan, now)
		if dec.Release {
			// The story's copies held for a rule's schedule go with it:
			// into its flood digest, or into the new alert's thread (kept
			// held where there are no threads, so none is lost).
			switch {
			case dec.Action == flood.Hold:
				to := dec.Bucket
				rec.Releases = append(rec.Releases, store.Release{Channel: g.channel, To: &to})
			case dec.Action == flood.PostSingle && b.d.sender.Threads():
				rec.Releases = append(rec.Releases, store.Release{Channel: g.channel})
				delete(b.held, sc)
			}
		}
		switch dec.Action {
		case flood.PostSingle:
			b.alerted[sc] = true
			b.windows[g.channel] = dec.Window
			rec.Windows = append(rec.Windows, store.WindowState{Channel: g.channel, Window: dec.Window, Prev: prev})
			alert.Kind, alert.ParentID = model.AlertNew, 0
			rec.Alerts = append(rec.Alerts, alert)
		case flood.PostReply:
			if !b.d.sender.Threads() {
				continue
			}
			alert.Kind = model.AlertFollowUp
			rec.Alerts = append(rec.Alerts, alert)
		case flood.Hold:
			if dec.Bucket.ID == 0 && !slices.ContainsFunc(b.buckets, func(o flood.Bucket) bool { return sameBucket(o, dec.Bucket) }) {
				b.buckets = append(b.buckets, dec.Bucket)
			}
			b.held[sc] = dec.Bucket
			rec.Holds = append(rec.Holds, store.Hold{Bucket: dec.Bucket, Rules: g.rules, Article: shown})
		case flood.Drop:
		}
	}
	return nil
}

// loadFlood reads the flood windows and open digests, once per fetch.
func (b *fetchBatch) loadFlood(ctx context.Context) error {
	if b.floodLoaded {
		return nil
	}
	windows, buckets, err := b.d.state.FloodState(ctx)
	if err != nil {
		return fmt.Errorf("look up flood state: %w", err)
	}
	b.windows, b.buckets, b.floodLoaded = windows, buckets, true
	return nil
}

// sameBucket reports whether a and b name one digest (by channel, key and
// opening: a bucket new in this fetch has no id yet).
func sameBucket(a, b flood.Bucket) bool {
	return a.Channel == b.Channel && a.Key == b.Key && a.Opened.Equal(b.Opened)
}

// storyKey names the record's story in channel, by id or, while it is new
// in this fetch, by the record that founds it.
func (b *fetchBatch) storyKey(rec *store.Record, channel string) storyChannel {
	if rec.NewStory != nil {
		return storyChannel{ref: len(b.recs) + 1, channel: channel} // this record will be at len(b.recs)
	}
	return storyChannel{id: rec.Item.StoryID, ref: rec.StoryOf, channel: channel}
}

// storyState says what the channel already has of the story: its AlertNew
// (from the store, then named in alert.ParentID, or from this fetch, found
// by the store when it writes the follow-up, see store.Record), a digest
// holding it (open or posted), or nothing.
func (b *fetchBatch) storyState(ctx context.Context, sc storyChannel, alert *model.Alert) (flood.StoryState, flood.Bucket, error) {
	if b.alerted[sc] {
		return flood.StorySingle, flood.Bucket{}, nil
	}
	if bk, ok := b.held[sc]; ok {
		return flood.StoryHeld, bk, nil
	}
	if sc.id == 0 {
		return flood.StoryNew, flood.Bucket{}, nil
	}
	parent, err := b.d.state.StoryAlert(ctx, sc.id, sc.channel)
	switch {
	case err == nil:
		alert.ParentID = parent
		return flood.StorySingle, flood.Bucket{}, nil
	case !errors.Is(err, store.ErrNotFound):
		return 0, flood.Bucket{}, fmt.Errorf("look up story alert: %w", err)
	}
	bk, posted, err := b.d.state.StoryHeld(ctx, sc.id, sc.channel)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return flood.StoryNew, flood.Bucket{}, nil
	case err != nil:
		return 0, flood.Bucket{}, fmt.Errorf("look up held story: %w", err)
	case posted:
		return flood.StoryDigested, bk, nil
	}
	return flood.StoryHeld, bk, nil
}

// findStory joins the article to the open story it is a near-copy of,
// in the store or founded earlier in this batch, else founds one.
func (b *fetchBatch) findStory(ctx context.Context, a *model.Article, rec *store.Record) error {
	sig := story.Sign(a.Title, a.Summary+"\n"+a.Body)
	bands := story.Bands(sig)
	cands, err := b.d.state.StoryCandidates(ctx, bands, b.d.now().Add(-b.cfg.StoryWindow))
	if err != nil {
		return fmt.Errorf("story candidates: %w", err)
	}
	for _, c := range cands {
		if story.Similar(sig, c.Signature) {
			rec.Item.StoryID = c.ID
			return nil
		}
	}
	for _, s := range b.stories {
		if story.Similar(sig, s.sig) {
			rec.StoryOf = s.ref
			return nil
		}
	}
	rec.NewStory = &store.NewStory{Signature: sig, Bands: bands}
	b.stories = append(b.stories, batchStory{ref: len(b.recs) + 1, sig: sig})
	return nil
}

type channelGroup struct {
	channel string
	rules   []string
	spans   []model.Span
}

// byChannel groups matches by the channel their rule posts to, in rule
// order, so one story makes one message per channel naming every rule.
func (d *Daemon) byChannel(cfg *config.Config, ms []model.Match) []channelGroup {
	var groups []channelGroup
	for _, m := range ms {
		ch := d.channelFor(cfg, m.Rule)
		i := slices.IndexFunc(groups, func(g channelGroup) bool { return g.channel == ch })
		if i < 0 {
			groups = append(groups, channelGroup{channel: ch})
			i = len(groups) - 1
		}
		groups[i].rules = append(groups[i].rules, m.Rule)
		groups[i].spans = append(groups[i].spans, m.Spans...)
	}
	return groups
}

// channelFor routes a rule. Webhooks post to one fixed channel, so every
// rule shares it there.
func (d *Daemon) channelFor(cfg *config.Config, rule string) string {
	if cfg.Slack.Token == "" && cfg.Slack.WebhookURL != "" {
		return "webhook"
	}
	if ch := cfg.ChannelFor(rule); ch != "" {
		return ch
	}
	return "stdout"
}

// newMatches keeps the matches of rules the item had not matched before.
func newMatches(ms []model.Match, before []string) []model.Match {
	var out []model.Match
	for _, m := range ms {
		if !slices.Contains(before, m.Rule) {
			out = append(out, m)
		}
	}
	return out
}

func mergeRules(before []string, fresh []model.Match) []string {
	out := slices.Clone(before)
	for _, m := range fresh {
		out = append(out, m.Rule)
	}
	return out
}
