package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

// KnownItems answers for a whole fetch at once, in chunks of lookupChunk,
// as Item and ItemByCanonicalLink would for each item.
func TestKnownItems(t *testing.T) {
	ctx := context.Background()
	s, c, _ := openTest(t)
	var keys, links []string
	for i := range 3*lookupChunk + 5 {
		k := fmt.Sprintf("k%d", i)
		keys, links = append(keys, k), append(links, "https://example.com/"+k)
		if i%2 == 0 {
			mustRecord(t, s, Record{Item: Item{Source: "src", Key: k, CanonicalLink: "https://example.com/" + k, Rules: []string{"r"}}})
		}
	}
	// The same link from two other sources: the first seen wins.
	c.set(t0.Add(time.Hour))
	mustRecord(t, s, Record{Item: Item{Source: "b", Key: "late", CanonicalLink: "https://example.com/shared"}})
	c.set(t0.Add(-time.Hour))
	mustRecord(t, s, Record{Item: Item{Source: "a", Key: "early", CanonicalLink: "https://example.com/shared"}})
	links = append(links, "https://example.com/shared", "")
	keys = append(keys, "")

	k, err := s.KnownItems(ctx, "src", keys, links)
	if err != nil {
		t.Fatal(err)
	}
	if want := (3*lookupChunk + 5 + 1) / 2; len(k.ByKey) != want {
		t.Errorf("ByKey has %d items, want %d", len(k.ByKey), want)
	}
	for _, key := range []string{"k0", fmt.Sprintf("k%d", 3*lookupChunk+4)} {
		it, ok := k.ByKey[key]
		want, err := s.Item(ctx, "src", key)
		if !ok || err != nil || fmt.Sprint(it) != fmt.Sprint(want) {
			t.Errorf("ByKey[%s] = %+v, %v; Item = %+v, %v", key, it, ok, want, err)
		}
	}
	if _, ok := k.ByKey["k1"]; ok {
		t.Error("an unknown key is known")
	}
	if it := k.ByLink["https://example.com/shared"]; it.Key != "early" {
		t.Errorf("ByLink[shared] = %+v, want the first seen (a/early)", it)
	}
	// The links of unknown keys are looked up; those of known keys need not be.
	if it, ok := k.ByLink["https://example.com/k1"]; ok {
		t.Errorf("ByLink[k1] = %+v, but k1 has no item", it)
	}
	other, err := s.KnownItems(ctx, "elsewhere", keys[:3], links[:3])
	if err != nil || len(other.ByKey) != 0 || other.ByLink["https://example.com/k0"].Key != "k0" || other.ByLink["https://example.com/k2"].Key != "k2" {
		t.Errorf("another source, same links: %+v, %v; want k0 and k2 by link", other, err)
	}
	other, err = s.KnownItems(ctx, "other", keys, nil)
	if err != nil || len(other.ByKey) != 0 {
		t.Errorf("another source's keys: %v, %v", other.ByKey, err)
	}
}

// RecordFetch writes a fetch in one transaction; a record can join a story
// founded earlier in the same fetch (StoryOf), and a follow-up without a
// parent is threaded under the AlertNew written before it in the fetch.
func TestRecordFetch(t *testing.T) {
	ctx := context.Background()
	s, c, _ := openTest(t)
	mustRecord(t, s, Record{Item: Item{Source: "src", Key: "old"}})
	c.set(t0.Add(time.Hour))
	follow := newAlert(model.AlertFollowUp, "#news", "copy")
	res, err := s.RecordFetch(ctx, Fetch{
		Source: "src",
		Records: []Record{
			{Item: Item{Source: "src", Key: "first"}, NewStory: &NewStory{Signature: []byte("s"), Bands: []int64{42}},
				Alerts: []model.Alert{newAlert(model.AlertNew, "#news", "first")}},
			{Item: Item{Source: "src", Key: "copy"}, StoryOf: 1, Alerts: []model.Alert{follow}},
			{Item: Item{Source: "src", Key: "quiet"}, StoryOf: 1},
		},
		Seen:  []string{"old", "first", "copy", "quiet", "unknown"},
		State: &FetchState{Source: "src", ETag: `"v2"`, Fetched: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	story := res[0].StoryID
	if story == 0 || res[1].StoryID != story || res[2].StoryID != story || res[1].Err != nil {
		t.Fatalf("results = %+v", res)
	}
	k, err := s.KnownItems(ctx, "src", []string{"first", "copy", "quiet"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for key, it := range k.ByKey {
		if it.StoryID != story {
			t.Errorf("%s: story %d, want %d", key, it.StoryID, story)
		}
	}
	due, err := s.DueAlerts(ctx, t0.Add(time.Hour), 10)
	if err != nil || len(due) != 1 || due[0].Kind != model.AlertNew || due[0].StoryID != story {
		t.Fatalf("due = %+v, %v; want the AlertNew only (the follow-up waits for it)", due, err)
	}
	if err := s.MarkSent(ctx, due[0].ID, "ts-1"); err != nil {
		t.Fatal(err)
	}
	due, err = s.DueAlerts(ctx, t0.Add(time.Hour), 10)
	if err != nil || len(due) != 1 || due[0].Kind != model.AlertFollowUp || due[0].ThreadTS != "ts-1" || due[0].StoryID != story {
		t.Fatalf("due = %+v, %v; want the follow-up threaded under ts-1", due, err)
	}
	if fs, err := s.FetchState(ctx, "src"); err != nil || fs.ETag != `"v2"` {
		t.Errorf("fetch state = %+v, %v; want it saved with the fetch", fs, err)
	}
	// Retention: the unchanged "old" was touched by the fetch.
	if err := s.Prune(ctx, t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Item(ctx, "src", "old"); err != nil {
		t.Errorf("an item the fetch carried was pruned: %v", err)
	}
	if got, _ := s.StoryCandidates(ctx, []int64{42}, t0); len(got) != 1 || got[0].ID != story {
		t.Errorf("candidates = %+v, want the fetch's story", got)
	}
}

// A follow-up with no AlertNew to join becomes the AlertNew; a record whose
// story's record failed fails too, and the rest of the fetch is kept.
func TestRecordFetchFailures(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	alerted, _ := recordStory(t, s, "alerted", []int64{1}, newAlert(model.AlertNew, "#news", "alerted"))
	dup := newAlert(model.AlertNew, "#news", "dup")
	dup.StoryID = alerted
	lone := newAlert(model.AlertFollowUp, "#other", "lone")
	lone.StoryID = alerted
	res, err := s.RecordFetch(ctx, Fetch{Source: "src", Records: []Record{
		{Item: Item{Source: "src", Key: "dup", StoryID: alerted}, NewStory: &NewStory{Signature: []byte("x"), Bands: []int64{9}}, Alerts: []model.Alert{dup, dup}},
		{Item: Item{Source: "src", Key: "joins-dup"}, StoryOf: 1},
		{Item: Item{Source: "src", Key: "lone", StoryID: alerted}, Alerts: []model.Alert{lone}},
	}, State: &FetchState{Source: "src", ETag: `"v2"`}})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, ErrDuplicateAlert) || !errors.Is(res[1].Err, ErrDuplicateAlert) || res[2].Err != nil {
		t.Fatalf("results = %+v", res)
	}
	for key, want := range map[string]error{"dup": ErrNotFound, "joins-dup": ErrNotFound, "lone": nil} {
		if _, err := s.Item(ctx, "src", key); !errors.Is(err, want) {
			t.Errorf("item %s: err = %v, want %v", key, err, want)
		}
	}
	if _, err := s.FetchState(ctx, "src"); !errors.Is(err, ErrNotFound) {
		t.Errorf("fetch state saved although a record failed: %v", err)
	}
	if id, err := s.StoryAlert(ctx, alerted, "#other"); err != nil || id == 0 {
		t.Errorf("the parentless follow-up did not become the story's AlertNew in #other: %d, %v", id, err)
	}
	if got, _ := s.StoryCandidates(ctx, []int64{9}, t0); len(got) != 0 {
		t.Errorf("the failed record's story is indexed: %v", got)
	}
}

// Plain records go upsertChunk to a statement; order still holds: a key
// written twice keeps its last version, and a record that joins a story
// founded between plain ones gets its id.
func TestRecordFetchChunks(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	var rs []Record
	for i := range 2*upsertChunk + 7 {
		rs = append(rs, Record{Item: Item{Source: "src", Key: fmt.Sprint(i), ContentHash: "v1", CanonicalLink: fmt.Sprintf("https://example.com/%d", i)}})
		if i == upsertChunk/2 {
			rs = append(rs, Record{Item: Item{Source: "src", Key: "story"}, NewStory: &NewStory{Signature: []byte("s"), Bands: []int64{3}}})
		}
	}
	storyAt := upsertChunk/2 + 2 // the story record is at upsertChunk/2 + 1
	rs = append(rs,
		Record{Item: Item{Source: "src", Key: "3", ContentHash: "v2", Rules: []string{"r"}}},
		Record{Item: Item{Source: "src", Key: "joins"}, StoryOf: storyAt})
	res, err := s.RecordFetch(ctx, Fetch{Source: "src", Records: rs})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"story", "joins", "3", "0", fmt.Sprint(2*upsertChunk + 6)}
	k, err := s.KnownItems(ctx, "src", keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := countItems(s); err != nil || n != 2*upsertChunk+7+2 {
		t.Errorf("items = %d, %v; want %d", n, err, 2*upsertChunk+9)
	}
	story := res[storyAt-1].StoryID
	if story == 0 || k.ByKey["story"].StoryID != story || k.ByKey["joins"].StoryID != story || res[len(res)-1].StoryID != story {
		t.Errorf("story %d; items %+v", story, k.ByKey)
	}
	if it := k.ByKey["3"]; it.ContentHash != "v2" || len(it.Rules) != 1 || it.CanonicalLink != "" {
		t.Errorf("item written twice = %+v, want its last version", it)
	}
	if it := k.ByKey[fmt.Sprint(2*upsertChunk+6)]; it.ContentHash != "v1" || it.FirstSeen.IsZero() {
		t.Errorf("last plain item = %+v", it)
	}
}

func countItems(s *SQLite) (int, error) {
	var n int
	err := s.r.QueryRow(`SELECT COUNT(*) FROM items`).Scan(&n)
	return n, err
}

// Touching is chunked too: every key a fetch carried counts, well past one chunk.
func TestRecordFetchTouchesEveryKey(t *testing.T) {
	ctx := context.Background()
	s, c, _ := openTest(t)
	var rs []Record
	var keys []string
	for i := range 3*lookupChunk + 1 {
		k := fmt.Sprint(i)
		rs, keys = append(rs, Record{Item: Item{Source: "src", Key: k}}), append(keys, k)
	}
	if _, err := s.RecordFetch(ctx, Fetch{Source: "src", Records: rs}); err != nil {
		t.Fatal(err)
	}
	c.set(t0.Add(2 * time.Hour))
	if _, err := s.RecordFetch(ctx, Fetch{Source: "src", Seen: keys[1:]}); err != nil {
		t.Fatal(err)
	}
	if err := s.Prune(ctx, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := countItems(s); err != nil || n != len(keys)-1 {
		t.Errorf("items after prune = %d, %v; want %d (all but the one not seen)", n, err, len(keys)-1)
	}
	if _, err := s.Item(ctx, "src", "0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the item the fetch did not carry: %v, want pruned", err)
	}
}

func TestNonEmptyPairs(t *testing.T) {
	ks, ls := nonEmptyPairs([]string{"a", "", "c", "d"}, []string{"la", "lb", "", "ld", "extra", ""})
	if fmt.Sprint(ks) != "[a c d]" || fmt.Sprint(ls) != "[la  ld lb extra]" {
		t.Errorf("nonEmptyPairs = %q, %q", ks, ls)
	}
}

func TestMayConflict(t *testing.T) {
	alert := func(kind model.AlertKind, ch string, parent int64) model.Alert {
		return model.Alert{Kind: kind, Channel: ch, ParentID: parent}
	}
	tests := []struct {
		name string
		r    Record
		want bool
	}{
		{"no alerts", Record{Item: Item{StoryID: 5}}, false},
		{"new alert on an old story", Record{Item: Item{StoryID: 5}, Alerts: []model.Alert{alert(model.AlertNew, "#a", 0)}}, true},
		{"parentless follow-up on an old story", Record{Item: Item{StoryID: 5}, Alerts: []model.Alert{alert(model.AlertFollowUp, "#a", 0)}}, true},
		{"follow-up with its parent", Record{Item: Item{StoryID: 5}, Alerts: []model.Alert{alert(model.AlertFollowUp, "#a", 9)}}, false},
		{"new story, one alert a channel", Record{NewStory: &NewStory{}, Alerts: []model.Alert{alert(model.AlertNew, "#a", 0), alert(model.AlertNew, "#b", 0)}}, false},
		{"new story, two in one channel", Record{NewStory: &NewStory{}, Alerts: []model.Alert{alert(model.AlertNew, "#a", 0), alert(model.AlertNew, "#a", 0)}}, true},
		{"a story founded in the fetch", Record{StoryOf: 1, Alerts: []model.Alert{alert(model.AlertNew, "#b", 0)}}, false},
	}
	for _, tt := range tests {
		if got := mayConflict(tt.r); got != tt.want {
			t.Errorf("%s: mayConflict = %v, want %v", tt.name, got, tt.want)
		}
	}
}
