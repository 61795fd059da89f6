// Package storetest is the contract both state stores keep: one suite of
// store behaviour (recording, dedupe by canonical link, stories and
// follow-ups, the outbox's life, fetch state, prune, and noise control's
// holds and digests) that the SQLite
// store's tests and the PostgreSQL store's tests run against their own
// store. It is for tests only.
package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
)

// Store is the behaviour under contract: what the daemon needs of a
// state store.
type Store interface {
	FetchState(ctx context.Context, source string) (store.FetchState, error)
	SaveFetchState(ctx context.Context, fs store.FetchState) error
	FetchStates(ctx context.Context) ([]store.FetchState, error)
	KnownItems(ctx context.Context, source string, keys, links []string) (store.Known, error)
	RecordFetch(ctx context.Context, f store.Fetch) ([]store.RecordResult, error)
	SeenLink(ctx context.Context, canonicalLink string) (bool, error)
	StoryCandidates(ctx context.Context, bands []int64, since time.Time) ([]store.StoryCandidate, error)
	StoryAlert(ctx context.Context, storyID int64, channel string) (int64, error)
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]model.Alert, error)
	MarkSent(ctx context.Context, id int64, ts string) error
	MarkRetry(ctx context.Context, id int64, next time.Time, errMsg string) error
	MarkFailed(ctx context.Context, id int64, errMsg string) error
	NextDue(ctx context.Context) (time.Time, error)
	AlertCounts(ctx context.Context) (store.AlertCounts, error)
	FailedAlerts(ctx context.Context, limit int) ([]store.FailedAlert, error)
	Prune(ctx context.Context, before time.Time) error
	Postpone(ctx context.Context, id int64, next time.Time, errMsg string) error
	MarkAttempt(ctx context.Context, id int64, at time.Time) error
	PendingAlerts(ctx context.Context, limit int) ([]store.PendingAlert, error)
	TouchLinks(ctx context.Context, links []string) error
	TouchSource(ctx context.Context, source string) error
	FloodStore
}

// Open makes a fresh, empty store for t whose clock is now, closed when t
// ends.
type Open func(t *testing.T, now func() time.Time) Store

// T0 is the contract's starting time, with microseconds (the stored
// precision) to catch a store that rounds.
var T0 = time.Date(2026, 11, 25, 10, 0, 0, 123456000, time.UTC)

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// Run runs every contract test against stores made by open.
func Run(t *testing.T, open Open) {
	for _, tc := range []struct {
		name string
		f    func(t *testing.T, s Store, c *clock)
	}{
		{"FetchState", testFetchState},
		{"FencedFetchState", testFence},
		{"Recording", testRecording},
		{"DedupeAcrossSources", testDedupeAcrossSources},
		{"StoriesAndFollowUps", testStories},
		{"DuplicateAlert", testDuplicateAlert},
		{"OutboxLifecycle", testOutbox},
		{"Prune", testPrune},
		{"AttemptMarkAndPostpone", testAttempt},
		{"TouchKeepsFromPrune", testTouch},
		{"HoldsWrittenWithTheirFetch", testHolds},
		{"PostDigestOnce", testPostDigest},
		{"ReleaseHeldCopies", testRelease},
		{"RescheduleAndPruneDigests", testRescheduleAndPrune},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &clock{t: T0}
			tc.f(t, open(t, c.now), c)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func record(t *testing.T, s Store, f store.Fetch) []store.RecordResult {
	t.Helper()
	res, err := s.RecordFetch(context.Background(), f)
	must(t, err)
	if len(res) != len(f.Records) {
		t.Fatalf("RecordFetch gave %d results for %d records", len(res), len(f.Records))
	}
	return res
}

func alert(kind model.AlertKind, channel, title string) model.Alert {
	return model.Alert{Kind: kind, Channel: channel, Rules: []string{"r"}, Article: model.Article{Title: title}}
}

func testFetchState(t *testing.T, s Store, _ *clock) {
	ctx := context.Background()
	if _, err := s.FetchState(ctx, "never"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FetchState(never) err = %v, want store.ErrNotFound", err)
	}
	for _, in := range []store.FetchState{
		{Source: "guardian", ETag: `"abc"`, LastModified: "Wed, 25 Nov 2026 10:00:00 GMT",
			LastFetch: T0, LastResult: "ok", Fetched: true},
		{Source: "guardian", ETag: `"abc"`, LastFetch: T0.Add(time.Minute),
			LastResult: "error", LastError: "status 503", ConsecutiveFailures: 3,
			NextAttempt: T0.Add(8 * time.Minute), Fetched: true},
		{Source: "kremlin", LastResult: "error", LastError: "timeout", ConsecutiveFailures: 1},
	} {
		must(t, s.SaveFetchState(ctx, in))
		got, err := s.FetchState(ctx, in.Source)
		must(t, err)
		if !reflect.DeepEqual(got, in) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, in)
		}
	}
	all, err := s.FetchStates(ctx)
	must(t, err)
	if len(all) != 2 || all[0].Source != "guardian" || all[1].Source != "kremlin" || all[0].ConsecutiveFailures != 3 {
		t.Errorf("FetchStates = %+v, want guardian (3 failures), kremlin", all)
	}
	// A fetch's state is saved with its records, and only if all succeed.
	st := store.FetchState{Source: "feed", ETag: `"v1"`, LastResult: "ok", Fetched: true, LastFetch: T0}
	record(t, s, store.Fetch{Source: "feed", Records: []store.Record{{Item: store.Item{Source: "feed", Key: "a"}}}, State: &st})
	if got, err := s.FetchState(ctx, "feed"); err != nil || got.ETag != `"v1"` {
		t.Errorf("state saved with the fetch = %+v, %v; want ETag v1", got, err)
	}
}

func testRecording(t *testing.T, s Store, c *clock) {
	ctx := context.Background()
	pub := T0.Add(-time.Hour)
	res := record(t, s, store.Fetch{Source: "feed", Records: []store.Record{
		{Item: store.Item{Source: "feed", Key: "g1", CanonicalLink: "https://example.com/1", ContentHash: "h1",
			Rules: []string{"ukraine"}, Published: pub}},
		{Item: store.Item{Source: "feed", Key: "g2", ContentHash: "h2"}},
	}, Seen: []string{"g1", "g2"}})
	for i, r := range res {
		if r.Err != nil || r.StoryID != 0 {
			t.Errorf("result %d = %+v, want no error and no story", i, r)
		}
	}
	k, err := s.KnownItems(ctx, "feed", []string{"g1", "g2", "g3", ""}, []string{"https://example.com/1", "", "https://example.com/none", ""})
	must(t, err)
	want := store.Item{Source: "feed", Key: "g1", CanonicalLink: "https://example.com/1", ContentHash: "h1",
		Rules: []string{"ukraine"}, Published: pub, FirstSeen: T0}
	if got := k.ByKey["g1"]; !reflect.DeepEqual(got, want) {
		t.Errorf("ByKey[g1]:\n got %+v\nwant %+v", got, want)
	}
	if _, ok := k.ByKey["g3"]; ok || len(k.ByKey) != 2 {
		t.Errorf("ByKey = %v, want g1 and g2", k.ByKey)
	}
	if _, ok := k.ByLink["https://example.com/none"]; ok {
		t.Error("ByLink has an unknown link")
	}
	// A changed item keeps its first sighting and its story.
	c.t = T0.Add(time.Minute)
	record(t, s, store.Fetch{Source: "feed", Records: []store.Record{
		{Item: store.Item{Source: "feed", Key: "g1", CanonicalLink: "https://example.com/1", ContentHash: "h1b",
			Rules: []string{"ukraine", "nato"}, FirstSeen: T0}},
	}})
	k, err = s.KnownItems(ctx, "feed", []string{"g1"}, nil)
	must(t, err)
	if got := k.ByKey["g1"]; got.ContentHash != "h1b" || !got.FirstSeen.Equal(T0) || len(got.Rules) != 2 {
		t.Errorf("updated item = %+v, want hash h1b, first seen T0, two rules", got)
	}
	if seen, err := s.SeenLink(ctx, "https://example.com/1"); err != nil || !seen {
		t.Errorf("SeenLink = %v, %v; want true", seen, err)
	}
	if seen, err := s.SeenLink(ctx, "https://example.com/2"); err != nil || seen {
		t.Errorf("SeenLink(unknown) = %v, %v; want false", seen, err)
	}
}

func testDedupeAcrossSources(t *testing.T, s Store, c *clock) {
	ctx := context.Background()
	const link = "https://example.com/story"
	record(t, s, store.Fetch{Source: "a", Records: []store.Record{
		{Item: store.Item{Source: "a", Key: "a1", CanonicalLink: link, Rules: []string{"r"}}},
	}})
	c.t = T0.Add(time.Second)
	record(t, s, store.Fetch{Source: "c", Records: []store.Record{
		{Item: store.Item{Source: "c", Key: "c1", CanonicalLink: link}},
	}})
	// Another source reading the same link finds the first seen item.
	k, err := s.KnownItems(ctx, "b", []string{"b1"}, []string{link})
	must(t, err)
	if got := k.ByLink[link]; got.Source != "a" || got.Key != "a1" || !reflect.DeepEqual(got.Rules, []string{"r"}) {
		t.Errorf("ByLink[%s] = %+v, want a/a1 with its rules", link, got)
	}
	if len(k.ByKey) != 0 {
		t.Errorf("ByKey = %v, want none (b has no items)", k.ByKey)
	}
}

func testStories(t *testing.T, s Store, c *clock) {
	ctx := context.Background()
	sig, bands := []byte("signature-1"), []int64{3, 1, 2, 3}
	res := record(t, s, store.Fetch{Source: "a", Records: []store.Record{
		{Item: store.Item{Source: "a", Key: "1", CanonicalLink: "https://a/1"},
			NewStory: &store.NewStory{Signature: sig, Bands: bands},
			Alerts:   []model.Alert{alert(model.AlertNew, "#news", "one")}},
		// A copy in the same fetch joins the new story by StoryOf; its
		// follow-up threads under the AlertNew written just before.
		{Item: store.Item{Source: "a", Key: "2"}, StoryOf: 1,
			Alerts: []model.Alert{alert(model.AlertFollowUp, "#news", "two")}},
	}})
	story := res[0].StoryID
	if res[0].Err != nil || res[1].Err != nil || story == 0 || res[1].StoryID != story {
		t.Fatalf("results = %+v, want one story for both", res)
	}
	cands, err := s.StoryCandidates(ctx, []int64{2, 99}, T0.Add(-time.Hour))
	must(t, err)
	if len(cands) != 1 || cands[0].ID != story || string(cands[0].Signature) != string(sig) || !cands[0].Created.Equal(T0) {
		t.Errorf("candidates = %+v, want story %d", cands, story)
	}
	if cands, _ := s.StoryCandidates(ctx, []int64{2}, T0.Add(time.Second)); len(cands) != 0 {
		t.Errorf("candidates after the window = %+v, want none", cands)
	}
	if cands, _ := s.StoryCandidates(ctx, []int64{98}, T0.Add(-time.Hour)); len(cands) != 0 {
		t.Errorf("candidates of other bands = %+v, want none", cands)
	}
	parent, err := s.StoryAlert(ctx, story, "#news")
	must(t, err)
	if _, err := s.StoryAlert(ctx, story, "#other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StoryAlert(#other) err = %v, want ErrNotFound", err)
	}
	// A later fetch's copy, with its story known: a follow-up.
	c.t = T0.Add(time.Minute)
	res = record(t, s, store.Fetch{Source: "b", Records: []store.Record{
		{Item: store.Item{Source: "b", Key: "3", StoryID: story},
			Alerts: []model.Alert{func() model.Alert {
				a := alert(model.AlertFollowUp, "#news", "three")
				a.StoryID = story
				return a
			}()}},
	}})
	if res[0].Err != nil || res[0].StoryID != story {
		t.Fatalf("follow-up result = %+v", res[0])
	}
	// Only the parent is due until it is sent; then the follow-ups, with
	// its ts.
	due, err := s.DueAlerts(ctx, c.t, 10)
	must(t, err)
	if len(due) != 1 || due[0].ID != parent || due[0].Kind != model.AlertNew {
		t.Fatalf("due = %+v, want only the parent %d", due, parent)
	}
	must(t, s.MarkSent(ctx, parent, "1700000000.000100"))
	due, err = s.DueAlerts(ctx, c.t, 10)
	must(t, err)
	if len(due) != 2 {
		t.Fatalf("due after the parent = %+v, want two follow-ups", due)
	}
	for _, a := range due {
		if a.Kind != model.AlertFollowUp || a.ParentID != parent || a.ThreadTS != "1700000000.000100" || a.StoryID != story {
			t.Errorf("follow-up = %+v, want parent %d with its ts", a, parent)
		}
	}
}

func testDuplicateAlert(t *testing.T, s Store, _ *clock) {
	ctx := context.Background()
	res := record(t, s, store.Fetch{Source: "a", Records: []store.Record{
		{Item: store.Item{Source: "a", Key: "1"}, NewStory: &store.NewStory{Signature: []byte("s"), Bands: []int64{7}},
			Alerts: []model.Alert{alert(model.AlertNew, "#news", "one")}},
	}})
	story := res[0].StoryID
	dup := alert(model.AlertNew, "#news", "dup")
	dup.StoryID = story
	st := store.FetchState{Source: "b", ETag: `"new"`}
	res = record(t, s, store.Fetch{Source: "b", Records: []store.Record{
		{Item: store.Item{Source: "b", Key: "fine"}},
		{Item: store.Item{Source: "b", Key: "dup", StoryID: story}, Alerts: []model.Alert{dup}},
	}, State: &st})
	if res[0].Err != nil || !errors.Is(res[1].Err, store.ErrDuplicateAlert) {
		t.Fatalf("results = %+v, want the second to fail with ErrDuplicateAlert", res)
	}
	k, err := s.KnownItems(ctx, "b", []string{"fine", "dup"}, nil)
	must(t, err)
	if _, ok := k.ByKey["dup"]; ok || len(k.ByKey) != 1 {
		t.Errorf("items = %v, want only the one that succeeded", k.ByKey)
	}
	if _, err := s.FetchState(ctx, "b"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("fetch state saved although a record failed: err = %v", err)
	}
	if c, _ := s.AlertCounts(ctx); c != (store.AlertCounts{Pending: 1}) {
		t.Errorf("counts = %+v, want the first alert only", c)
	}
}

func testOutbox(t *testing.T, s Store, c *clock) {
	ctx := context.Background()
	if _, err := s.NextDue(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("NextDue of an empty outbox err = %v, want ErrNotFound", err)
	}
	var recs []store.Record
	for i, title := range []string{"sent", "retried", "failed"} {
		recs = append(recs, store.Record{Item: store.Item{Source: "a", Key: title},
			NewStory: &store.NewStory{Signature: []byte(title), Bands: []int64{int64(i)}},
			Alerts:   []model.Alert{alert(model.AlertNew, "#news", title)}})
	}
	record(t, s, store.Fetch{Source: "a", Records: recs})
	due, err := s.DueAlerts(ctx, c.t, 10)
	must(t, err)
	if len(due) != 3 || due[0].Article.Title != "sent" || due[2].Article.Title != "failed" {
		t.Fatalf("due = %+v, want three oldest first", due)
	}
	ids := map[string]int64{}
	for _, a := range due {
		ids[a.Article.Title] = a.ID
	}
	must(t, s.MarkSent(ctx, ids["sent"], "ts"))
	next := T0.Add(2 * time.Minute)
	must(t, s.MarkRetry(ctx, ids["retried"], next, "status 500"))
	must(t, s.MarkFailed(ctx, ids["failed"], "channel_not_found"))
	if err := s.MarkSent(ctx, ids["sent"], "ts"); !errors.Is(err, store.ErrNotPending) {
		t.Errorf("MarkSent twice err = %v, want ErrNotPending", err)
	}
	if err := s.MarkSent(ctx, 999999, "ts"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkSent(unknown) err = %v, want ErrNotFound", err)
	}
	if got, err := s.NextDue(ctx); err != nil || !got.Equal(next) {
		t.Errorf("NextDue = %v, %v; want %v", got, err, next)
	}
	if due, _ := s.DueAlerts(ctx, c.t, 10); len(due) != 0 {
		t.Errorf("due before the retry = %+v, want none", due)
	}
	counts, err := s.AlertCounts(ctx)
	must(t, err)
	if counts != (store.AlertCounts{Pending: 1, Sent: 1, Failed: 1}) {
		t.Errorf("counts = %+v", counts)
	}
	failed, err := s.FailedAlerts(ctx, 10)
	must(t, err)
	if len(failed) != 1 || failed[0].Title != "failed" || failed[0].Error != "channel_not_found" || failed[0].Channel != "#news" {
		t.Errorf("failed = %+v", failed)
	}
	c.t = next
	due, err = s.DueAlerts(ctx, c.t, 10)
	must(t, err)
	if len(due) != 1 || due[0].ID != ids["retried"] || due[0].Attempts != 1 {
		t.Errorf("due at the retry = %+v, want the retried alert with one attempt", due)
	}
}

func testPrune(t *testing.T, s Store, c *clock) {
	ctx := context.Background()
	record(t, s, store.Fetch{Source: "a", Records: []store.Record{
		{Item: store.Item{Source: "a", Key: "old-sent"}, NewStory: &store.NewStory{Signature: []byte("1"), Bands: []int64{1}},
			Alerts: []model.Alert{alert(model.AlertNew, "#n", "old-sent")}},
		{Item: store.Item{Source: "a", Key: "old-pending"}, NewStory: &store.NewStory{Signature: []byte("2"), Bands: []int64{2}},
			Alerts: []model.Alert{alert(model.AlertNew, "#n", "old-pending")}},
		{Item: store.Item{Source: "a", Key: "still-carried"}},
	}})
	due, err := s.DueAlerts(ctx, c.t, 10)
	must(t, err)
	for _, a := range due {
		if a.Article.Title == "old-sent" {
			must(t, s.MarkSent(ctx, a.ID, "ts"))
		} else {
			must(t, s.MarkRetry(ctx, a.ID, T0.Add(48*time.Hour), "later"))
		}
	}
	c.t = T0.Add(24 * time.Hour)
	record(t, s, store.Fetch{Source: "a", Seen: []string{"still-carried"}})
	must(t, s.Prune(ctx, T0.Add(time.Hour)))
	k, err := s.KnownItems(ctx, "a", []string{"old-sent", "old-pending", "still-carried"}, nil)
	must(t, err)
	if _, ok := k.ByKey["still-carried"]; !ok || len(k.ByKey) != 1 {
		t.Errorf("items after prune = %v, want only the one still carried", k.ByKey)
	}
	if got, _ := s.AlertCounts(ctx); got != (store.AlertCounts{Pending: 1}) {
		t.Errorf("alerts after prune = %+v, want the pending one only", got)
	}
	if cands, _ := s.StoryCandidates(ctx, []int64{1, 2}, T0.Add(-time.Hour)); len(cands) != 1 || string(cands[0].Signature) != "2" {
		t.Errorf("stories after prune = %+v, want only the pending alert's", cands)
	}
}

func testAttempt(t *testing.T, s Store, c *clock) {
	ctx := context.Background()
	record(t, s, store.Fetch{Source: "a", Records: []store.Record{
		{Item: store.Item{Source: "a", Key: "1"}, NewStory: &store.NewStory{Signature: []byte("1"), Bands: []int64{1}},
			Alerts: []model.Alert{alert(model.AlertNew, "#n", "one")}},
	}})
	due, err := s.DueAlerts(ctx, c.t, 10)
	must(t, err)
	if len(due) != 1 || !due[0].AttemptStarted.IsZero() {
		t.Fatalf("due = %+v, want one alert without an attempt mark", due)
	}
	id := due[0].ID
	started := T0.Add(time.Second)
	must(t, s.MarkAttempt(ctx, id, started))
	next := T0.Add(time.Minute)
	must(t, s.MarkRetry(ctx, id, next, "timeout"))
	c.t = next
	due, err = s.DueAlerts(ctx, c.t, 10)
	must(t, err)
	if len(due) != 1 || !due[0].AttemptStarted.Equal(started) || due[0].Attempts != 1 {
		t.Fatalf("due after a retry = %+v, want the attempt mark %v kept and one attempt", due, started)
	}
	// Slack said to wait: no attempt counted, and the mark goes.
	later := next.Add(time.Minute)
	must(t, s.Postpone(ctx, id, later, "rate limited"))
	pending, err := s.PendingAlerts(ctx, 10)
	must(t, err)
	if len(pending) != 1 || pending[0].ID != id || pending[0].Attempts != 1 || pending[0].Error != "rate limited" ||
		!pending[0].NextAttempt.Equal(later) || pending[0].Title != "one" || !pending[0].Created.Equal(T0) {
		t.Errorf("pending = %+v", pending)
	}
	c.t = later
	due, err = s.DueAlerts(ctx, c.t, 10)
	must(t, err)
	if len(due) != 1 || !due[0].AttemptStarted.IsZero() {
		t.Errorf("due after postponing = %+v, want the mark cleared", due)
	}
}

func testTouch(t *testing.T, s Store, c *clock) {
	ctx := context.Background()
	record(t, s, store.Fetch{Source: "feed", Records: []store.Record{
		{Item: store.Item{Source: "feed", Key: "1"}},
		{Item: store.Item{Source: "page", Key: "p", CanonicalLink: "https://x/p"}},
		{Item: store.Item{Source: "other", Key: "o"}},
	}})
	c.t = T0.Add(48 * time.Hour)
	must(t, s.TouchSource(ctx, "feed"))
	must(t, s.TouchLinks(ctx, []string{"https://x/p"}))
	must(t, s.Prune(ctx, T0.Add(time.Hour)))
	for _, tc := range []struct {
		source, key string
		kept        bool
	}{{"feed", "1", true}, {"page", "p", true}, {"other", "o", false}} {
		k, err := s.KnownItems(ctx, tc.source, []string{tc.key}, nil)
		must(t, err)
		if _, ok := k.ByKey[tc.key]; ok != tc.kept {
			t.Errorf("%s/%s kept = %v, want %v", tc.source, tc.key, ok, tc.kept)
		}
	}
}
