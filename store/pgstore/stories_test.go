package pgstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// newStory writes a story through s's pool, created at at.
func newStory(t *testing.T, s *Store, sig string, bands []int64, at time.Time) int64 {
	t.Helper()
	var id int64
	err := inTx(context.Background(), s.Pool(), func(tx pgx.Tx) error {
		var err error
		id, err = insertStory(context.Background(), tx, store.NewStory{Signature: []byte(sig), Bands: bands}, at)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestStoryCandidates mirrors the SQLite store's test of the same name, and
// adds what replicas need: a story written through another pool (another
// replica) is a candidate at once.
func TestStoryCandidates(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	writer, reader := openTest(t, dsn, Options{}), openTest(t, dsn, Options{})
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	old := newStory(t, writer, "sig-old", []int64{1, 2, 3}, t0)
	mid := newStory(t, writer, "sig-mid", []int64{3, 4, -5, 4}, t0.Add(time.Hour))
	many := make([]int64, 100)
	for i := range many {
		many[i] = int64(1000 + i)
	}
	newest := newStory(t, writer, "sig-new", append(many, 4), t0.Add(2*time.Hour))

	for _, tt := range []struct {
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
		{"many bands", append([]int64{4}, many...), t0, []int64{mid, newest}},
		{"repeated bands", []int64{4, 4, 4}, t0, []int64{mid, newest}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reader.StoryCandidates(ctx, tt.bands, tt.since)
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
	got, err := reader.StoryCandidates(ctx, []int64{-5}, t0)
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	if string(got[0].Signature) != "sig-mid" || !got[0].Created.Equal(t0.Add(time.Hour)) {
		t.Errorf("candidate = %+v, want signature sig-mid created %v", got[0], t0.Add(time.Hour))
	}
	var n int
	if err := reader.Pool().QueryRow(ctx, `SELECT count(*) FROM story_bands WHERE story_id = $1`, mid).Scan(&n); err != nil || n != 3 {
		t.Errorf("mid has %d band rows (%v), want 3: repeats dropped", n, err)
	}
}
