package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/newswatch/newswatch/config"
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

// recordArticle runs one article through match → dedupe/story → outbox.
// Callers hold d.recordMu: the story decision reads then writes, and two
// copies of a wire story recorded at once must see each other.
func (d *Daemon) recordArticle(ctx context.Context, cfg *config.Config, fs store.FetchState, a *model.Article) (outcome, error) {
	var out outcome
	key := a.Key()
	if key == "" {
		return out, fmt.Errorf("%w: it has neither GUID nor link", errBadItem)
	}
	prev, found, err := d.previous(ctx, a)
	if err != nil {
		return out, err
	}
	hash := a.ContentHash()
	if found && prev.Source == a.Source && prev.Key == key && prev.ContentHash == hash {
		return out, nil // known and unchanged
	}
	out.isNew = !found
	matches := cfg.Matcher.Match(a)
	fresh := newMatches(matches, prev.Rules)
	item := store.Item{
		Source: a.Source, Key: key, CanonicalLink: a.CanonicalLink, ContentHash: hash,
		Rules: mergeRules(prev.Rules, fresh), StoryID: prev.StoryID,
		Published: a.Published, FirstSeen: prev.FirstSeen,
	}
	if item.FirstSeen.IsZero() {
		item.FirstSeen = d.now()
	}
	rec := store.Record{Item: item}
	for _, m := range fresh {
		out.matched = append(out.matched, m.Rule)
	}
	if len(fresh) > 0 {
		out.suppressed = d.suppression(cfg, fs, a, found)
		if out.suppressed == "" {
			if err := d.planAlerts(ctx, cfg, a, fresh, &rec); err != nil {
				return out, err
			}
		}
	}
	if _, err := d.state.Record(ctx, rec); err != nil {
		return out, err
	}
	out.alerts = rec.Alerts
	return out, nil
}

// previous finds what we already know of the article: under its own key,
// else under its canonical link from any source (the same article carried
// by another feed, or re-published under a new GUID).
func (d *Daemon) previous(ctx context.Context, a *model.Article) (store.Item, bool, error) {
	it, err := d.state.Item(ctx, a.Source, a.Key())
	if err == nil {
		return it, true, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return it, false, fmt.Errorf("look up item: %w", err)
	}
	if a.CanonicalLink == "" {
		return store.Item{}, false, nil
	}
	it, err = d.state.ItemByCanonicalLink(ctx, a.CanonicalLink)
	if errors.Is(err, store.ErrNotFound) {
		return store.Item{}, false, nil
	}
	if err != nil {
		return it, false, fmt.Errorf("look up link: %w", err)
	}
	// Known under another key: inherit its rules and story, but it is a new
	// row, first seen now.
	it.FirstSeen = time.Time{}
	return it, true, nil
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

// planAlerts finds or founds the article's story and adds one alert per
// channel: a new alert where the story has none yet, else a follow-up in
// the existing alert's thread (or nothing when the notifier has no threads).
func (d *Daemon) planAlerts(ctx context.Context, cfg *config.Config, a *model.Article, fresh []model.Match, rec *store.Record) error {
	if rec.Item.StoryID == 0 {
		id, ns, err := d.findStory(ctx, cfg, a)
		if err != nil {
			return err
		}
		rec.Item.StoryID, rec.NewStory = id, ns
	}
	shown := *a
	if shown.Published.IsZero() {
		shown.Published = rec.Item.FirstSeen // undated or a bad date: when we first saw it
	}
	for _, g := range d.byChannel(cfg, fresh) {
		alert := model.Alert{Kind: model.AlertNew, Channel: g.channel, StoryID: rec.Item.StoryID,
			Rules: g.rules, Article: shown, Spans: g.spans, Created: d.now()}
		if rec.Item.StoryID != 0 {
			parent, err := d.state.StoryAlert(ctx, rec.Item.StoryID, g.channel)
			switch {
			case err == nil:
				if !d.sender.Threads() {
					continue
				}
				alert.Kind, alert.ParentID = model.AlertFollowUp, parent
			case !errors.Is(err, store.ErrNotFound):
				return fmt.Errorf("look up story alert: %w", err)
			}
		}
		rec.Alerts = append(rec.Alerts, alert)
	}
	return nil
}

// findStory returns the open story this article is a near-copy of, or the
// signature of a new one.
func (d *Daemon) findStory(ctx context.Context, cfg *config.Config, a *model.Article) (int64, *store.NewStory, error) {
	sig := story.Sign(a.Title, a.Summary+"\n"+a.Body)
	bands := story.Bands(sig)
	cands, err := d.state.StoryCandidates(ctx, bands, d.now().Add(-cfg.StoryWindow))
	if err != nil {
		return 0, nil, fmt.Errorf("story candidates: %w", err)
	}
	for _, c := range cands {
		if story.Similar(sig, c.Signature) {
			return c.ID, nil, nil
		}
	}
	return 0, &store.NewStory{Signature: sig, Bands: bands}, nil
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
