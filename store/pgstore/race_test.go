package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
	"github.com/newswatch/newswatch/story"
)

func similar(a, b []byte) bool { return story.Similar(a, b) }

// TestRaceCopiesFoldIntoOneStory: two replicas (two stores, two pools)
// read copies of one story from two feeds, both find no story (each looked
// before the other wrote) and record at the same instant. The band locks
// make the second wait for the first and fold into its story: one story,
// one AlertNew, the other record refused with ErrDuplicateAlert (its feed
// is read again and threads it). Without folding (no Similar) the same
// race makes two stories and two alerts, which is what the test guards.
func TestRaceCopiesFoldIntoOneStory(t *testing.T) {
	for _, tc := range []struct {
		name            string
		similar         func(a, b []byte) bool
		sameLink        bool // one link, different text (no shared band)
		stories, alerts int
	}{
		{"folded", similar, false, 1, 1},
		{"one link, other words", similar, true, 1, 1},
		{"without folding", nil, false, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := pgtest.NewDatabase(t)
			replicas := []*Store{
				openTest(t, dsn, Options{Similar: tc.similar}),
				openTest(t, dsn, Options{Similar: tc.similar}),
			}
			for round := range 10 {
				stories, alerts, errs := raceCopies(t, replicas, round, tc.sameLink)
				if stories != tc.stories || alerts != tc.alerts {
					t.Fatalf("round %d: %d stories and %d AlertNew, want %d and %d (record errors %v)",
						round, stories, alerts, tc.stories, tc.alerts, errs)
				}
				if tc.similar != nil && (errs[0] == nil) == (errs[1] == nil) {
					t.Fatalf("round %d: record errors %v, want exactly one ErrDuplicateAlert", round, errs)
				}
				for _, err := range errs {
					if err != nil && !errors.Is(err, store.ErrDuplicateAlert) {
						t.Fatalf("round %d: record error %v, want ErrDuplicateAlert", round, err)
					}
				}
			}
		})
	}
}

// recordAtOnce has each store record its fetch at the same instant and
// returns each one's error: the fetch's, or its first record's.
func recordAtOnce(ctx context.Context, stores []*Store, fetches []store.Fetch) []error {
	errs := make([]error, len(stores))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := s.RecordFetch(ctx, fetches[i])
			if err == nil {
				err = res[0].Err
			}
			errs[i] = err
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// raceCopies has each replica record its copy of round's story at once
// and counts the round's stories and AlertNew rows.
func raceCopies(t *testing.T, replicas []*Store, round int, sameLink bool) (stories, alerts int, errs []error) {
	ctx := context.Background()
	title := fmt.Sprintf("Round %d: ceasefire talks resume in Geneva as envoys meet", round)
	// Words of the round's own, so that rounds are different stories.
	var words []string
	for i := range 40 {
		words = append(words, fmt.Sprintf("w%dx%d", round, i))
	}
	body := strings.Join(words, " ")
	fetches := make([]store.Fetch, len(replicas))
	for i, s := range replicas {
		src := fmt.Sprintf("feed%d", i)
		link := fmt.Sprintf("https://%s.example/%d", src, round)
		text := body
		if sameLink {
			link = fmt.Sprintf("https://example.com/%d", round)
			text = strings.ReplaceAll(body, "x", fmt.Sprintf("y%d", i)) // no shared band
		}
		sig := story.Sign(title, text)
		bands := story.Bands(sig)
		// Both look first, and find nothing: the other has not written.
		cands, err := s.StoryCandidates(ctx, bands, writeNowMinusHour(s))
		if err != nil || len(cands) != 0 {
			t.Fatalf("candidates before the race = %v, %v", cands, err)
		}
		a := model.Alert{Kind: model.AlertNew, Channel: "#news", Rules: []string{"r"}, Article: model.Article{Title: title}}
		fetches[i] = store.Fetch{Source: src, Records: []store.Record{{
			Item:     store.Item{Source: src, Key: fmt.Sprintf("r%d", round), CanonicalLink: link},
			NewStory: &store.NewStory{Signature: sig, Bands: bands},
			Alerts:   []model.Alert{a},
		}}}
	}
	errs = recordAtOnce(ctx, replicas, fetches)
	pool := replicas[0].Pool()
	if err := pool.QueryRow(ctx, `SELECT COUNT(DISTINCT story_id) FROM items WHERE key = $1`, fmt.Sprintf("r%d", round)).Scan(&stories); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE kind = 'new' AND payload::jsonb->'article'->>'title' = $1`, title).Scan(&alerts); err != nil {
		t.Fatal(err)
	}
	return stories, alerts, errs
}

func writeNowMinusHour(s *Store) (t time.Time) { return s.writeNow().Add(-time.Hour) }
