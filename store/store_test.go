package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

// t0 is the tests' epoch: microsecond precision, like the stored times.
var t0 = time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)

// clock is a settable now for the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// openTest opens a fresh store in a temporary directory; it is closed when
// the test ends.
func openTest(t testing.TB) (*SQLite, *clock, string) {
	t.Helper()
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := OpenSQLite(context.Background(), path, c.now)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c, path
}

// newAlert is a pending-to-be alert for an article titled title.
func newAlert(kind model.AlertKind, channel, title string) model.Alert {
	return model.Alert{
		Kind:    kind,
		Channel: channel,
		Rules:   []string{"kremlin"},
		Article: model.Article{Source: "src", Title: title, Link: "https://example.com/" + title},
		Spans:   []model.Span{{Field: model.FieldTitle, Start: 0, End: 3}},
	}
}

// mustRecord records r and returns the story id.
func mustRecord(t testing.TB, s *SQLite, r Record) int64 {
	t.Helper()
	id, err := s.Record(context.Background(), r)
	if err != nil {
		t.Fatalf("Record(%s): %v", r.Item.Key, err)
	}
	return id
}

// recordStory records an item with a new story and the given alerts and
// returns the story id and the ids of the alerts it made.
func recordStory(t testing.TB, s *SQLite, key string, bands []int64, alerts ...model.Alert) (int64, []int64) {
	t.Helper()
	ctx := context.Background()
	id := mustRecord(t, s, Record{
		Item:     Item{Source: "src", Key: key, CanonicalLink: "https://example.com/" + key},
		NewStory: &NewStory{Signature: []byte("sig-" + key), Bands: bands},
		Alerts:   alerts,
	})
	var ids []int64
	for _, a := range alerts {
		if a.Kind != model.AlertNew {
			continue
		}
		aid, err := s.StoryAlert(ctx, id, a.Channel)
		if err != nil {
			t.Fatalf("StoryAlert(%d, %s): %v", id, a.Channel, err)
		}
		ids = append(ids, aid)
	}
	return id, ids
}

func TestConcurrentRecord(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	const workers, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("w%d-%d", w, i)
				_, err := s.Record(ctx, Record{
					Item:     Item{Source: "src", Key: key, CanonicalLink: "https://example.com/" + key},
					NewStory: &NewStory{Signature: []byte(key), Bands: []int64{int64(w), -int64(1000*w + i + 1)}},
					Alerts:   []model.Alert{newAlert(model.AlertNew, "#news", key)},
				})
				errs <- err
				// Readers run beside the writers.
				if _, err := s.StoryCandidates(ctx, []int64{int64(w)}, t0); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c, err := s.AlertCounts(ctx); err != nil || c.Pending != workers*each {
		t.Errorf("counts = %+v, %v; want %d pending", c, err, workers*each)
	}
	for w := range workers {
		if got, err := s.StoryCandidates(ctx, []int64{int64(w)}, t0); err != nil || len(got) != each {
			t.Errorf("worker %d stories = %d, %v; want %d", w, len(got), err, each)
		}
	}
}

// TestReopen is the restart case: everything written before Close is there
// after the next OpenSQLite.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	s, c, path := openTest(t)
	fs := FetchState{Source: "g", ETag: "e", LastFetch: t0, LastResult: "ok", Fetched: true}
	if err := s.SaveFetchState(ctx, fs); err != nil {
		t.Fatal(err)
	}
	story, ids := recordStory(t, s, "x", []int64{42}, newAlert(model.AlertNew, "#a", "x"), newAlert(model.AlertNew, "#b", "x"))
	if err := s.MarkSent(ctx, ids[0], "ts"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := OpenSQLite(ctx, path, c.now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.FetchState(ctx, "g"); err != nil || got != fs {
		t.Errorf("fetch state = %+v, %v", got, err)
	}
	if it, err := s.Item(ctx, "src", "x"); err != nil || it.StoryID != story {
		t.Errorf("item = %+v, %v", it, err)
	}
	if got, err := s.StoryCandidates(ctx, []int64{42}, t0); err != nil || len(got) != 1 || got[0].ID != story {
		t.Errorf("candidates = %v, %v", got, err)
	}
	if got, err := s.StoryAlert(ctx, story, "#a"); err != nil || got != ids[0] {
		t.Errorf("StoryAlert = %d, %v", got, err)
	}
	due, err := s.DueAlerts(ctx, t0, 10)
	if err != nil || len(due) != 1 || due[0].ID != ids[1] {
		t.Errorf("due after restart = %+v, %v; want only the unsent alert %d", due, err, ids[1])
	}
	// A restart never repeats an alert: the sent story alert still blocks a new one.
	a := newAlert(model.AlertNew, "#a", "x")
	a.StoryID = story
	if _, err := s.Record(ctx, Record{Item: Item{Source: "src", Key: "y", StoryID: story}, Alerts: []model.Alert{a}}); !errors.Is(err, ErrDuplicateAlert) {
		t.Errorf("second alert for the story after restart: err = %v, want ErrDuplicateAlert", err)
	}
}
