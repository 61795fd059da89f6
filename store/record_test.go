package store

import (
	"context"
	"errors"
	"testing"

	"github.com/newswatch/newswatch/model"
)

func TestRecord(t *testing.T) {
	ctx := context.Background()

	t.Run("new story sets item and alert story ids", func(t *testing.T) {
		s, _, _ := openTest(t)
		a := newAlert(model.AlertNew, "#news", "one")
		a.StoryID = 12345 // overwritten by the new story's id
		id, _ := recordStory(t, s, "one", []int64{1, 2}, a, newAlert(model.AlertNew, "#other", "one"))
		it, err := s.Item(ctx, "src", "one")
		if err != nil || it.StoryID != id || id == 0 {
			t.Fatalf("item story = %d (err %v), want %d", it.StoryID, err, id)
		}
		due, err := s.DueAlerts(ctx, t0, 10)
		if err != nil || len(due) != 2 {
			t.Fatalf("DueAlerts = %v, %v", due, err)
		}
		for _, d := range due {
			if d.StoryID != id {
				t.Errorf("alert %d story = %d, want %d", d.ID, d.StoryID, id)
			}
		}
	})

	// A Record that fails part-way writes nothing.
	tests := []struct {
		name   string
		record func(story int64) Record
	}{
		{"two new alerts in one channel", func(int64) Record {
			return Record{
				Item:     Item{Source: "src", Key: "dup", CanonicalLink: "https://example.com/dup"},
				NewStory: &NewStory{Signature: []byte("x"), Bands: []int64{77}},
				Alerts:   []model.Alert{newAlert(model.AlertNew, "#a", "dup"), newAlert(model.AlertNew, "#a", "dup")},
			}
		}},
		{"second new alert for an alerted story", func(story int64) Record {
			a := newAlert(model.AlertNew, "#news", "dup")
			a.StoryID = story
			return Record{
				Item:   Item{Source: "src", Key: "dup", CanonicalLink: "https://example.com/dup", StoryID: story},
				Alerts: []model.Alert{newAlert(model.AlertNew, "#fine", "dup"), a},
			}
		}},
	}
	for _, tt := range tests {
		t.Run("atomic: "+tt.name, func(t *testing.T) {
			s, _, _ := openTest(t)
			story, _ := recordStory(t, s, "first", []int64{5}, newAlert(model.AlertNew, "#news", "first"))
			_, err := s.Record(ctx, tt.record(story))
			if !errors.Is(err, ErrDuplicateAlert) {
				t.Fatalf("Record err = %v, want ErrDuplicateAlert", err)
			}
			if _, err := s.Item(ctx, "src", "dup"); !errors.Is(err, ErrNotFound) {
				t.Errorf("item of the failed record: err = %v, want ErrNotFound", err)
			}
			if seen, _ := s.SeenLink(ctx, "https://example.com/dup"); seen {
				t.Error("link of the failed record is seen")
			}
			if got, _ := s.StoryCandidates(ctx, []int64{77}, t0); len(got) != 0 {
				t.Errorf("story of the failed record exists: %v", got)
			}
			if c, _ := s.AlertCounts(ctx); c != (AlertCounts{Pending: 1}) {
				t.Errorf("counts = %+v, want only the first alert", c)
			}
			// The store still works after the rollback.
			if _, err := s.Record(ctx, Record{Item: Item{Source: "src", Key: "after"}}); err != nil {
				t.Errorf("Record after rollback: %v", err)
			}
		})
	}
}
