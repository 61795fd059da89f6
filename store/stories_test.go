package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
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

// candidateIDs returns the ids StoryCandidates finds.
func candidateIDs(t *testing.T, s *SQLite, bands []int64, since time.Time) []int64 {
	t.Helper()
	got, err := s.StoryCandidates(context.Background(), bands, since)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	return ids
}

// reopenCandidates opens another store on path, which builds its band
// index from the database, and returns the ids it finds.
func reopenCandidates(t *testing.T, path string, c *clock, bands []int64, since time.Time) []int64 {
	t.Helper()
	s2, err := OpenSQLite(context.Background(), path, c.now)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	return candidateIDs(t, s2, bands, since)
}

func TestStoryIndexFollowsCommits(t *testing.T) {
	ctx := context.Background()

	t.Run("rebuilt after reopen", func(t *testing.T) {
		s, c, path := openTest(t)
		a, _ := recordStory(t, s, "a", []int64{1, 2, -3})
		c.set(t0.Add(time.Hour))
		res, err := s.RecordBatch(ctx, []Record{
			{Item: Item{Source: "src", Key: "b"}, NewStory: &NewStory{Signature: []byte("sig-b"), Bands: []int64{-3, 4, 4}}},
		})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res)
		}
		b := res[0].StoryID
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s2, err := OpenSQLite(ctx, path, c.now)
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		if got := candidateIDs(t, s2, []int64{-3}, t0); !slices.Equal(got, []int64{a, b}) {
			t.Errorf("after reopen: %v, want %v", got, []int64{a, b})
		}
		got, err := s2.StoryCandidates(ctx, []int64{4}, t0)
		if err != nil || len(got) != 1 || string(got[0].Signature) != "sig-b" || !got[0].Created.Equal(t0.Add(time.Hour)) {
			t.Errorf("story b after reopen = %+v, %v", got, err)
		}
		// New stories after the reopen join the rebuilt index.
		d, _ := recordStory(t, s2, "d", []int64{2})
		if got := candidateIDs(t, s2, []int64{2}, t0); !slices.Equal(got, []int64{a, d}) {
			t.Errorf("after reopen and record: %v, want %v", got, []int64{a, d})
		}
	})

	t.Run("rollback leaves no phantom candidates", func(t *testing.T) {
		s, c, path := openTest(t)
		first, _ := recordStory(t, s, "first", []int64{5}, newAlert(model.AlertNew, "#news", "first"))
		dup := newAlert(model.AlertNew, "#news", "dup")
		dup.StoryID = first
		// A new story whose alerts collide: Record rolls back.
		_, err := s.Record(ctx, Record{
			Item:     Item{Source: "src", Key: "x"},
			NewStory: &NewStory{Signature: []byte("x"), Bands: []int64{5, 6}},
			Alerts:   []model.Alert{newAlert(model.AlertNew, "#a", "x"), newAlert(model.AlertNew, "#a", "x")},
		})
		if !errors.Is(err, ErrDuplicateAlert) {
			t.Fatalf("Record err = %v, want ErrDuplicateAlert", err)
		}
		// In a batch, the failed record's story is rolled back alone.
		res, err := s.RecordBatch(ctx, []Record{
			{Item: Item{Source: "src", Key: "y"}, NewStory: &NewStory{Signature: []byte("y"), Bands: []int64{6, 7}},
				Alerts: []model.Alert{newAlert(model.AlertNew, "#b", "y"), newAlert(model.AlertNew, "#b", "y")}},
			{Item: Item{Source: "src", Key: "z"}, NewStory: &NewStory{Signature: []byte("z"), Bands: []int64{7, 8}}},
		})
		if err != nil || !errors.Is(res[0].Err, ErrDuplicateAlert) || res[1].Err != nil {
			t.Fatalf("RecordBatch = %+v, %v", res, err)
		}
		// A cancelled Record never begins.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Record(cctx, Record{Item: Item{Source: "src", Key: "w"},
			NewStory: &NewStory{Signature: []byte("w"), Bands: []int64{9}}}); err == nil {
			t.Fatal("Record with a cancelled context succeeded")
		}
		bands := []int64{5, 6, 7, 8, 9}
		want := []int64{first, res[1].StoryID}
		if got := candidateIDs(t, s, bands, t0); !slices.Equal(got, want) {
			t.Errorf("candidates = %v, want %v (no rolled-back story)", got, want)
		}
		if got := reopenCandidates(t, path, c, bands, t0); !slices.Equal(got, want) {
			t.Errorf("candidates after reopen = %v, want %v", got, want)
		}
	})

	t.Run("prune drops candidates", func(t *testing.T) {
		s, c, _ := openTest(t)
		recordStory(t, s, "old", []int64{1, 2})
		c.set(t0.Add(2 * time.Hour))
		newer, _ := recordStory(t, s, "new", []int64{2, 3})
		if err := s.Prune(ctx, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := candidateIDs(t, s, []int64{1, 2, 3}, time.Time{}); !slices.Equal(got, []int64{newer}) {
			t.Errorf("after prune = %v, want %v", got, []int64{newer})
		}
		// The freed slot is reused by the next story.
		again, _ := recordStory(t, s, "again", []int64{1})
		if got := candidateIDs(t, s, []int64{1, 2}, time.Time{}); !slices.Equal(got, []int64{newer, again}) {
			t.Errorf("after prune and record = %v, want %v", got, []int64{newer, again})
		}
	})

	t.Run("window respected", func(t *testing.T) {
		s, c, path := openTest(t)
		var ids []int64
		for h := range 4 {
			c.set(t0.Add(time.Duration(h) * time.Hour))
			id, _ := recordStory(t, s, fmt.Sprint("h", h), []int64{42})
			ids = append(ids, id)
		}
		for h := range 5 {
			since := t0.Add(time.Duration(h) * time.Hour)
			want := ids[min(h, len(ids)):]
			if len(want) == 0 {
				want = nil
			}
			if got := candidateIDs(t, s, []int64{42}, since); !slices.Equal(got, want) {
				t.Errorf("since +%dh: %v, want %v", h, got, want)
			}
			if got := reopenCandidates(t, path, c, []int64{42}, since); !slices.Equal(got, want) {
				t.Errorf("since +%dh after reopen: %v, want %v", h, got, want)
			}
		}
	})
}

// TestStoryCandidatesConcurrent runs lookups beside writes (for -race).
func TestStoryCandidatesConcurrent(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			key := fmt.Sprint("k", i)
			if _, err := s.Record(ctx, Record{Item: Item{Source: "src", Key: key},
				NewStory: &NewStory{Signature: []byte(key), Bands: []int64{int64(i % 5)}}}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for {
		select {
		case <-done:
			if got := candidateIDs(t, s, []int64{0, 1, 2, 3, 4}, t0); len(got) != 50 {
				t.Errorf("found %d stories, want 50", len(got))
			}
			return
		default:
			if _, err := s.StoryCandidates(ctx, []int64{1, 2}, t0); err != nil {
				t.Fatal(err)
			}
		}
	}
}
