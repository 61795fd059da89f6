package pgstore

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

func TestNotes(t *testing.T) {
	t.Parallel()
	s := openTest(t, pgtest.NewDatabase(t), Options{})
	ctx := context.Background()
	if _, err := s.Note(ctx, "slack.channel.#news"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing note: %v, want ErrNotFound", err)
	}
	for k, v := range map[string]string{"slack.channel.#news": "C1", "slack.channel.#a_b": "C2", "slackx": "no", "notice": "n"} {
		if err := s.SetNote(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetNote(ctx, "slack.channel.#news", "C9"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Note(ctx, "slack.channel.#news"); err != nil || v != "C9" {
		t.Errorf("replaced note = %q, %v", v, err)
	}
	got, err := s.Notes(ctx, "slack.channel.")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"slack.channel.#news": "C9", "slack.channel.#a_b": "C2"}; !maps.Equal(got, want) {
		t.Errorf("Notes(prefix) = %v, want %v", got, want)
	}
	// A LIKE-style prefix would take "_" and "%" for wildcards.
	if got, _ := s.Notes(ctx, "slack_"); len(got) != 0 {
		t.Errorf("Notes(slack_) = %v, want none", got)
	}
}

// TestStateIDShared: replicas asking for the state id at once all get one
// id, the same afterwards.
func TestStateIDShared(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	stores := []*Store{openTest(t, dsn, Options{}), openTest(t, dsn, Options{})}
	ctx := context.Background()
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var err error
			if ids[i], err = stores[i%2].StateID(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("state ids %v, want one non-empty id", ids)
		}
	}
	if again, err := stores[1].StateID(ctx); err != nil || again != ids[0] {
		t.Errorf("state id later = %q, %v; want %q", again, err, ids[0])
	}
}
