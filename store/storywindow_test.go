package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// The band index holds the stories inside the window StoryCandidates asks
// for, not every story the retention keeps: built for the window at the
// first lookup, shed as the window moves, rebuilt when it widens.
func TestStoryIndexHoldsTheWindow(t *testing.T) {
	ctx := context.Background()
	s, c, path := openTest(t)
	for h := range 48 {
		c.set(t0.Add(time.Duration(h) * time.Hour))
		mustRecord(t, s, Record{Item: Item{Source: "src", Key: fmt.Sprint(h)},
			NewStory: &NewStory{Signature: []byte{byte(h)}, Bands: []int64{int64(h), 1000}}})
	}
	s.Close()
	s, err := OpenSQLite(ctx, path, c.now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := t0.Add(47 * time.Hour)
	window := 12 * time.Hour
	got, err := s.StoryCandidates(ctx, []int64{1000}, now.Add(-window))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 13 || s.stories.len() != 13 {
		t.Errorf("after open: %d candidates, %d stories indexed; want the 13 inside the 12h window", len(got), s.stories.len())
	}
	// The window moves on an hour: the stories it left are shed, and the
	// ones still inside it are all found.
	now = now.Add(time.Hour)
	got, _ = s.StoryCandidates(ctx, []int64{1000}, now.Add(-window))
	if len(got) != 12 || s.stories.len() != 12 {
		t.Errorf("window moved 1h: %d candidates, %d indexed; want 12", len(got), s.stories.len())
	}
	if got, _ := s.StoryCandidates(ctx, []int64{47}, now.Add(-window)); len(got) != 1 {
		t.Errorf("the newest story by its own band: %v", got)
	}
	// A reload widens story_window: the older stories come back.
	got, _ = s.StoryCandidates(ctx, []int64{1000}, now.Add(-24*time.Hour))
	if len(got) != 24 || s.stories.len() != 24 {
		t.Errorf("window widened to 24h: %d candidates, %d indexed; want 24", len(got), s.stories.len())
	}
	// A story recorded now is indexed at once.
	c.set(now)
	id := mustRecord(t, s, Record{Item: Item{Source: "src", Key: "new"}, NewStory: &NewStory{Signature: []byte("n"), Bands: []int64{1000}}})
	got, _ = s.StoryCandidates(ctx, []int64{1000}, now.Add(-24*time.Hour))
	if len(got) != 25 || got[len(got)-1].ID != id {
		t.Errorf("after a new story: %d candidates, last %v; want 25 ending with %d", len(got), got[len(got)-1], id)
	}
}
