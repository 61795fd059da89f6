package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

func TestPrune(t *testing.T) {
	ctx := context.Background()
	s, c, path := openTest(t)

	// At t0: four old stories. "sent" and "failed" alerted and done;
	// "pending" alerted and still pending; "parent" sent, with a pending
	// follow-up recorded a day later.
	_, sent := recordStory(t, s, "sent", []int64{1}, newAlert(model.AlertNew, "#a", "sent"))
	_, failed := recordStory(t, s, "failed", []int64{2}, newAlert(model.AlertNew, "#a", "failed"))
	pendStory, pending := recordStory(t, s, "pending", []int64{3}, newAlert(model.AlertNew, "#a", "pending"))
	parentStory, parent := recordStory(t, s, "parent", []int64{4}, newAlert(model.AlertNew, "#a", "parent"))
	for id, mark := range map[int64]func(int64) error{
		sent[0]:   func(id int64) error { return s.MarkSent(ctx, id, "ts1") },
		failed[0]: func(id int64) error { return s.MarkFailed(ctx, id, "invalid_auth") },
		parent[0]: func(id int64) error { return s.MarkSent(ctx, id, "ts2") },
	} {
		if err := mark(id); err != nil {
			t.Fatal(err)
		}
	}
	day := 24 * time.Hour
	c.set(t0.Add(day))
	mustRecord(t, s, Record{Item: Item{Source: "o", Key: "copy", StoryID: parentStory},
		Alerts: []model.Alert{followUp(parentStory, parent[0], "#a", "copy")}})
	c.set(t0.Add(2 * day))
	fresh, _ := recordStory(t, s, "fresh", []int64{5})

	if err := s.Prune(ctx, t0.Add(day+time.Hour)); err != nil {
		t.Fatal(err)
	}

	items := []struct {
		source, key string
		kept        bool
	}{
		{"src", "sent", false}, {"src", "pending", false}, {"o", "copy", false}, {"src", "fresh", true},
	}
	for _, it := range items {
		_, err := s.Item(ctx, it.source, it.key)
		if kept := err == nil; kept != it.kept || (err != nil && !errors.Is(err, ErrNotFound)) {
			t.Errorf("item %s/%s: err %v, want kept=%v", it.source, it.key, err, it.kept)
		}
	}
	if got, _ := s.AlertCounts(ctx); got != (AlertCounts{Pending: 2, Sent: 1}) {
		t.Errorf("counts = %+v, want the two pending alerts and the parent of one", got)
	}
	cands, err := s.StoryCandidates(ctx, []int64{1, 2, 3, 4, 5}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, c := range cands {
		ids = append(ids, c.ID)
	}
	if want := []int64{pendStory, parentStory, fresh}; !equalInt64s(ids, want) {
		t.Errorf("stories after prune = %v, want %v (those with pending alerts, and the fresh one)", ids, want)
	}
	// The index was changed after the commit as the table was: a reopened
	// store, which builds it from the table, finds the same stories.
	if got := reopenCandidates(t, path, c, []int64{1, 2, 3, 4, 5}, time.Time{}); !equalInt64s(got, ids) {
		t.Errorf("stories after prune and reopen = %v, want %v", got, ids)
	}
	due, err := s.DueAlerts(ctx, t0.Add(3*day), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("DueAlerts after prune = %v, %v", due, err)
	}
	for _, a := range due {
		if a.Kind == model.AlertFollowUp && a.ThreadTS != "ts2" {
			t.Errorf("pending follow-up lost its thread: %+v", a)
		}
		if a.ID == pending[0] && a.StoryID != pendStory {
			t.Errorf("pending alert lost its story: %+v", a)
		}
	}
}

func equalInt64s(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPruneCountsFromLastSeen: an item its source still carries is kept
// however long ago it was first seen, so an undated item is never forgotten
// and then taken for new.
func TestPruneCountsFromLastSeen(t *testing.T) {
	ctx := context.Background()
	s, c, _ := openTest(t)
	mustRecord(t, s, Record{Item: Item{Source: "src", Key: "still-listed"}})
	mustRecord(t, s, Record{Item: Item{Source: "src", Key: "gone"}})
	day := 24 * time.Hour
	c.set(t0.Add(40 * day))
	if err := s.TouchItems(ctx, "src", []string{"still-listed", "unknown"}); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchItems(ctx, "other", []string{"gone"}); err != nil { // another source's key: no effect
		t.Fatal(err)
	}
	if err := s.Prune(ctx, t0.Add(30*day)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Item(ctx, "src", "still-listed"); err != nil {
		t.Errorf("touched item pruned: %v", err)
	}
	if _, err := s.Item(ctx, "src", "gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("untouched item kept: %v", err)
	}
}

func TestTouchItemsManyKeys(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	keys := make([]string, 1234) // more than one chunk
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	if err := s.TouchItems(ctx, "src", keys); err != nil {
		t.Fatal(err)
	}
}
