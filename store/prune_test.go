package store

import (
	"context"
	"errors"
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
