package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// addAlert inserts a pending alert as the store's recorder will, due at
// due, and returns its id.
func addAlert(t *testing.T, s *Store, kind model.AlertKind, parent int64, title string, created, due time.Time) int64 {
	t.Helper()
	a := model.Alert{Kind: kind, Channel: "#news", ParentID: parent, Rules: []string{"r"}, Article: model.Article{Title: title}, Created: created}
	payload, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var parentID *int64
	if parent != 0 {
		parentID = &parent
	}
	var id int64
	err = s.Pool().QueryRow(context.Background(), `INSERT INTO outbox (kind, channel, parent_id, payload, next_attempt, created, updated)
		VALUES ($1, '#news', $2, $3, $4, $5, $5) RETURNING id`,
		kind.String(), parentID, string(payload), micros(due), micros(created)).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func claimedIDs(cs []Claim) []int64 {
	var ids []int64
	for _, c := range cs {
		ids = append(ids, c.Alert.ID)
	}
	return ids
}

// TestClaimDueRace: replicas (two pools, four claimers each) drain one
// outbox; every alert is claimed exactly once. (Each claimer is a replica
// of its own: a replica asking again gets its own claims back, renewed.)
func TestClaimDueRace(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	stores := []*Store{openTest(t, dsn, Options{}), openTest(t, dsn, Options{})}
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const n = 200
	for i := range n {
		addAlert(t, stores[0], model.AlertNew, 0, "a", t0.Add(time.Duration(i)*time.Second), t0)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			mine := map[int64]bool{} // its own claims come back, renewed
			for {
				cs, err := stores[g%2].ClaimDue(ctx, fmt.Sprintf("claimer%d", g), 7+len(mine), time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				fresh := 0
				mu.Lock()
				for _, c := range cs {
					if !mine[c.Alert.ID] {
						mine[c.Alert.ID] = true
						seen[c.Alert.ID]++
						fresh++
					}
				}
				mu.Unlock()
				if fresh == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d alerts claimed, want %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("alert %d claimed %d times", id, k)
		}
	}
}

// TestClaimDueLease: a claim keeps an alert from others until its lease
// ends; then another replica claims it, and the first is told it lost it.
// Alerts not yet due wait, and claims come oldest first with their payload.
func TestClaimDueLease(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := openTest(t, pgtest.NewDatabase(t), Options{Now: c.Now})
	ctx := context.Background()
	t0 := c.Now()
	late := addAlert(t, s, model.AlertNew, 0, "later", t0.Add(-time.Minute), t0.Add(time.Hour))
	b := addAlert(t, s, model.AlertNew, 0, "second", t0.Add(-time.Second), t0)
	a := addAlert(t, s, model.AlertNew, 0, "first", t0.Add(-time.Minute), t0)

	cs, err := s.ClaimDue(ctx, "A", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := claimedIDs(cs); !slices.Equal(got, []int64{a, b}) {
		t.Fatalf("A claims %v, want [%d %d] (oldest first, %d not due)", got, a, b, late)
	}
	if cs[0].Alert.Article.Title != "first" || cs[0].Alert.Kind != model.AlertNew || !cs[0].Expires.Equal(t0.Add(time.Minute)) {
		t.Errorf("claim = %+v", cs[0])
	}
	if cs, _ := s.ClaimDue(ctx, "B", 10, time.Minute); len(cs) != 0 {
		t.Fatalf("B claims %v while A's lease runs", claimedIDs(cs))
	}
	if err := s.ReleaseClaim(ctx, b, "A"); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.ClaimDue(ctx, "B", 10, time.Hour); !slices.Equal(claimedIDs(cs), []int64{b}) {
		t.Fatalf("after A released %d, B claims %v", b, claimedIDs(cs))
	}
	c.Set(t0.Add(time.Minute))
	if cs, _ := s.ClaimDue(ctx, "B", 10, time.Minute); !slices.Equal(claimedIDs(cs), []int64{a, b}) {
		t.Fatalf("after A's lease ended, B claims %v, want [%d %d] (%d, and its own %d renewed)", claimedIDs(cs), a, b, a, b)
	}
	if err := s.ReleaseClaim(ctx, a, "A"); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("A releases a lost claim: %v, want ErrLeaseLost", err)
	}
}

// TestClaimDueThreads: a follow-up waits for its parent, then carries the
// ts of the parent's post whichever replica sent it; under a failed parent
// it goes unthreaded.
func TestClaimDueThreads(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	r1, r2 := openTest(t, dsn, Options{}), openTest(t, dsn, Options{})
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	parent := addAlert(t, r1, model.AlertNew, 0, "p", t0, t0)
	child := addAlert(t, r1, model.AlertFollowUp, parent, "c", t0.Add(time.Second), t0)
	other := addAlert(t, r1, model.AlertNew, 0, "q", t0, t0)
	orphan := addAlert(t, r1, model.AlertFollowUp, other, "o", t0.Add(time.Second), t0)

	cs, err := r1.ClaimDue(ctx, "r1", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := claimedIDs(cs); !slices.Equal(got, []int64{parent, other}) {
		t.Fatalf("claimed %v, want the parents [%d %d] only", got, parent, other)
	}
	// r1 posts the parent; the other fails for good.
	if _, err := r1.Pool().Exec(ctx, `UPDATE outbox SET state = 'sent', ts = '1700000000.000100' WHERE id = $1`, parent); err != nil {
		t.Fatal(err)
	}
	if _, err := r1.Pool().Exec(ctx, `UPDATE outbox SET state = 'failed' WHERE id = $1`, other); err != nil {
		t.Fatal(err)
	}
	cs, err = r2.ClaimDue(ctx, "r2", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := claimedIDs(cs); !slices.Equal(got, []int64{child, orphan}) {
		t.Fatalf("r2 claimed %v, want the follow-ups [%d %d]", got, child, orphan)
	}
	if cs[0].Alert.ThreadTS != "1700000000.000100" || cs[0].Alert.Kind != model.AlertFollowUp || cs[0].Alert.ParentID != parent {
		t.Errorf("follow-up = %+v, want it threaded under the parent's ts", cs[0].Alert)
	}
	if cs[1].Alert.ThreadTS != "" {
		t.Errorf("follow-up of a failed parent has ThreadTS %q", cs[1].Alert.ThreadTS)
	}
}

// TestClaimDueRenewsOwnClaims: a replica asking again gets the alerts it
// holds back with their lease renewed (its Deliverer's queue stays its
// own however long), while another replica still gets none of them.
func TestClaimDueRenewsOwnClaims(t *testing.T) {
	t.Parallel()
	c := newClock()
	s := openTest(t, pgtest.NewDatabase(t), Options{Now: c.Now})
	ctx := context.Background()
	t0 := c.Now()
	a := addAlert(t, s, model.AlertNew, 0, "a", t0, t0)
	if cs, err := s.ClaimDue(ctx, "A", 10, time.Minute); err != nil || !slices.Equal(claimedIDs(cs), []int64{a}) {
		t.Fatalf("A claims %v, %v", claimedIDs(cs), err)
	}
	c.Set(t0.Add(50 * time.Second))
	cs, err := s.ClaimDue(ctx, "A", 10, time.Minute)
	if err != nil || !slices.Equal(claimedIDs(cs), []int64{a}) || !cs[0].Expires.Equal(t0.Add(110*time.Second)) {
		t.Fatalf("A claims again: %+v, %v; want %d renewed to +110s", cs, err, a)
	}
	c.Set(t0.Add(90 * time.Second)) // past the first lease, inside the renewed one
	if cs, _ := s.ClaimDue(ctx, "B", 10, time.Minute); len(cs) != 0 {
		t.Errorf("B claims %v inside A's renewed lease", claimedIDs(cs))
	}
}
