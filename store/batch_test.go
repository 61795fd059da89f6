package store

import (
	"context"
	"errors"
	"testing"

	"github.com/newswatch/newswatch/model"
)

func TestRecordBatch(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	story, _ := recordStory(t, s, "first", []int64{1}, newAlert(model.AlertNew, "#news", "first"))
	dup := newAlert(model.AlertNew, "#news", "dup")
	dup.StoryID = story

	res, err := s.RecordBatch(ctx, []Record{
		{Item: Item{Source: "src", Key: "a"}, NewStory: &NewStory{Signature: []byte("a"), Bands: []int64{10}},
			Alerts: []model.Alert{newAlert(model.AlertNew, "#news", "a")}},
		{Item: Item{Source: "src", Key: "dup", StoryID: story}, Alerts: []model.Alert{dup}},
		{Item: Item{Source: "src", Key: "b", StoryID: story}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].Err != nil || res[0].StoryID == 0 || res[2].Err != nil || res[2].StoryID != story {
		t.Fatalf("results = %+v", res)
	}
	if !errors.Is(res[1].Err, ErrDuplicateAlert) {
		t.Errorf("duplicate's error = %v, want ErrDuplicateAlert", res[1].Err)
	}
	for key, want := range map[string]error{"a": nil, "dup": ErrNotFound, "b": nil} {
		if _, err := s.Item(ctx, "src", key); !errors.Is(err, want) {
			t.Errorf("item %s: err = %v, want %v", key, err, want)
		}
	}
	if got, _ := s.StoryCandidates(ctx, []int64{10}, t0); len(got) != 1 || got[0].ID != res[0].StoryID {
		t.Errorf("batch story candidates = %v", got)
	}
	if c, _ := s.AlertCounts(ctx); c.Pending != 2 {
		t.Errorf("pending = %d, want 2 (first and a)", c.Pending)
	}
	if res, err := s.RecordBatch(ctx, nil); err != nil || len(res) != 0 {
		t.Errorf("empty batch = %v, %v", res, err)
	}
}
