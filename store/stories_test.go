package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestStoryCandidates(t *testing.T) {
	ctx := context.Background()
	s, c, _ := openTest(t)

	// Stories created an hour apart: old (t0), mid (t0+1h), new (t0+2h).
	c.set(t0)
	old, _ := recordStory(t, s, "old", []int64{1, 2, 3})
	c.set(t0.Add(time.Hour))
	mid, _ := recordStory(t, s, "mid", []int64{3, 4, -5})
	c.set(t0.Add(2 * time.Hour))
	many := make([]int64, 100) // more than one batch
	for i := range many {
		many[i] = int64(1000 + i)
	}
	newest, _ := recordStory(t, s, "new", append(many, 4))

	tests := []struct {
		name  string
		bands []int64
		since time.Time
		want  []int64
	}{
		{"one shared band", []int64{1}, t0, []int64{old}},
		{"shared by two stories, each once", []int64{3, 2, 1}, t0, []int64{old, mid}},
		{"window excludes old stories", []int64{1, 3}, t0.Add(30 * time.Minute), []int64{mid}},
		{"since is inclusive", []int64{3}, t0.Add(time.Hour), []int64{mid}},
		{"negative band key", []int64{-5}, t0, []int64{mid}},
		{"no shared band", []int64{99, 100}, t0, nil},
		{"no bands", nil, t0, nil},
		{"many bands across batches", append([]int64{4}, many...), t0, []int64{mid, newest}},
		{"repeated bands", []int64{4, 4, 4}, t0, []int64{mid, newest}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.StoryCandidates(ctx, tt.bands, tt.since)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("ids = %v, want %v", ids, tt.want)
			}
		})
	}

	t.Run("signature and created", func(t *testing.T) {
		got, err := s.StoryCandidates(ctx, []int64{-5}, t0)
		if err != nil || len(got) != 1 {
			t.Fatalf("got %v, %v", got, err)
		}
		if string(got[0].Signature) != "sig-mid" || !got[0].Created.Equal(t0.Add(time.Hour)) {
			t.Errorf("candidate = %+v, want signature sig-mid created %v", got[0], t0.Add(time.Hour))
		}
	})
}
