package store

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

// followUp is a follow-up of parent in story, in channel.
func followUp(story, parent int64, channel, title string) model.Alert {
	a := newAlert(model.AlertFollowUp, channel, title)
	a.StoryID, a.ParentID = story, parent
	return a
}

func dueIDs(t *testing.T, s *SQLite, now time.Time, limit int) ([]int64, map[int64]model.Alert) {
	t.Helper()
	due, err := s.DueAlerts(context.Background(), now, limit)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{}
	byID := map[int64]model.Alert{}
	for _, a := range due {
		ids = append(ids, a.ID)
		byID[a.ID] = a
	}
	return ids, byID
}

func TestDueAlerts(t *testing.T) {
	ctx := context.Background()
	s, c, _ := openTest(t)

	// Three stories alerted a minute apart, then a follow-up of each.
	var stories, parents []int64
	for i, title := range []string{"a", "b", "c"} {
		c.set(t0.Add(time.Duration(i) * time.Minute))
		st, ids := recordStory(t, s, title, []int64{int64(i)}, newAlert(model.AlertNew, "#news", title))
		stories, parents = append(stories, st), append(parents, ids[0])
	}
	c.set(t0.Add(10 * time.Minute))
	var follow []int64
	for i := range stories {
		key := "copy-" + string(rune('a'+i))
		mustRecord(t, s, Record{
			Item:   Item{Source: "other", Key: key, StoryID: stories[i]},
			Alerts: []model.Alert{followUp(stories[i], parents[i], "#news", key)},
		})
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM outbox WHERE kind = 'follow_up' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		follow = append(follow, id)
	}
	rows.Close()
	if len(follow) != 3 {
		t.Fatalf("follow-ups = %v", follow)
	}

	t.Run("follow-ups wait for a pending parent", func(t *testing.T) {
		if got, _ := dueIDs(t, s, t0.Add(time.Hour), 10); !slices.Equal(got, parents) {
			t.Errorf("due = %v, want only the parents %v", got, parents)
		}
	})

	t.Run("payload decoded", func(t *testing.T) {
		_, byID := dueIDs(t, s, t0, 10)
		got := byID[parents[0]]
		want := newAlert(model.AlertNew, "#news", "a")
		want.ID, want.StoryID, want.Created = parents[0], stories[0], t0
		if !reflect.DeepEqual(got, want) {
			t.Errorf("\n got %+v\nwant %+v", got, want)
		}
	})

	// Parent a sent, parent b failed, parent c pending and backing off.
	if err := s.MarkSent(ctx, parents[0], "1700000000.000100"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(ctx, parents[1], "channel_not_found"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRetry(ctx, parents[2], t0.Add(30*time.Minute), "timeout"); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []int64
	}{
		{"nothing due before creation", t0.Add(-time.Second), 10, []int64{}},
		{"retry not yet due, follow-ups of done parents due", t0.Add(20 * time.Minute), 10, []int64{follow[0], follow[1]}},
		{"oldest first once the retry is due", t0.Add(30 * time.Minute), 10, []int64{parents[2], follow[0], follow[1]}},
		{"limit", t0.Add(30 * time.Minute), 2, []int64{parents[2], follow[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := dueIDs(t, s, tt.now, tt.limit); !slices.Equal(got, tt.want) {
				t.Errorf("due = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("thread ts", func(t *testing.T) {
		_, byID := dueIDs(t, s, t0.Add(30*time.Minute), 10)
		if got := byID[follow[0]]; got.ThreadTS != "1700000000.000100" || got.ParentID != parents[0] ||
			got.Kind != model.AlertFollowUp {
			t.Errorf("follow-up of sent parent = %+v, want ThreadTS of the parent", got)
		}
		if got := byID[follow[1]].ThreadTS; got != "" {
			t.Errorf("follow-up of failed parent ThreadTS = %q, want \"\"", got)
		}
		if got := byID[parents[2]].Attempts; got != 1 {
			t.Errorf("retried alert attempts = %d, want 1", got)
		}
	})

	t.Run("follow-up released when its parent is sent", func(t *testing.T) {
		if err := s.MarkSent(ctx, parents[2], "ts-c"); err != nil {
			t.Fatal(err)
		}
		_, byID := dueIDs(t, s, t0.Add(30*time.Minute), 10)
		if got := byID[follow[2]].ThreadTS; got != "ts-c" {
			t.Errorf("ThreadTS = %q, want ts-c", got)
		}
	})
}

func TestTransitions(t *testing.T) {
	ctx := context.Background()
	s, c, _ := openTest(t)
	_, ids := recordStory(t, s, "x", []int64{1}, newAlert(model.AlertNew, "#a", "Kremlin says"),
		newAlert(model.AlertNew, "#b", "Kremlin says"), newAlert(model.AlertNew, "#c", "Kremlin says"))
	a, b, cc := ids[0], ids[1], ids[2]

	steps := []struct {
		name    string
		do      func() error
		wantErr error
		counts  AlertCounts
	}{
		{"start", func() error { return nil }, nil, AlertCounts{Pending: 3}},
		{"retry a", func() error { return s.MarkRetry(ctx, a, t0.Add(time.Minute), "503") }, nil, AlertCounts{Pending: 3}},
		{"retry a again", func() error { return s.MarkRetry(ctx, a, t0.Add(3*time.Minute), "timeout") }, nil, AlertCounts{Pending: 3}},
		{"send a", func() error { return s.MarkSent(ctx, a, "111.222") }, nil, AlertCounts{Pending: 2, Sent: 1}},
		{"send a twice", func() error { return s.MarkSent(ctx, a, "333") }, ErrNotPending, AlertCounts{Pending: 2, Sent: 1}},
		{"fail b", func() error { c.set(t0.Add(time.Hour)); return s.MarkFailed(ctx, b, "channel_not_found") }, nil,
			AlertCounts{Pending: 1, Sent: 1, Failed: 1}},
		{"retry failed b", func() error { return s.MarkRetry(ctx, b, t0, "x") }, ErrNotPending, AlertCounts{Pending: 1, Sent: 1, Failed: 1}},
		{"fail c", func() error { c.set(t0.Add(2 * time.Hour)); return s.MarkFailed(ctx, cc, "not_in_channel") }, nil,
			AlertCounts{Sent: 1, Failed: 2}},
		{"unknown id", func() error { return s.MarkSent(ctx, 9999, "") }, ErrNotFound, AlertCounts{Sent: 1, Failed: 2}},
	}
	for _, st := range steps {
		if err := st.do(); !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
		if got, err := s.AlertCounts(ctx); err != nil || got != st.counts {
			t.Fatalf("%s: counts = %+v (%v), want %+v", st.name, got, err, st.counts)
		}
	}

	var attempts int
	var ts, lastErr string
	if err := s.r.QueryRowContext(ctx, `SELECT attempts, ts, last_error FROM outbox WHERE id = ?`, a).
		Scan(&attempts, &ts, &lastErr); err != nil {
		t.Fatal(err)
	}
	if attempts != 2 || ts != "111.222" || lastErr != "timeout" {
		t.Errorf("sent alert: attempts %d ts %q last_error %q; want 2, 111.222, timeout", attempts, ts, lastErr)
	}

	failed, err := s.FailedAlerts(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []FailedAlert{
		{ID: cc, Channel: "#c", Title: "Kremlin says", Error: "not_in_channel", At: t0.Add(2 * time.Hour)},
		{ID: b, Channel: "#b", Title: "Kremlin says", Error: "channel_not_found", At: t0.Add(time.Hour)},
	}
	if !reflect.DeepEqual(failed, want) {
		t.Errorf("FailedAlerts:\n got %+v\nwant %+v", failed, want)
	}
	if failed, _ := s.FailedAlerts(ctx, 1); len(failed) != 1 || failed[0].ID != cc {
		t.Errorf("FailedAlerts(limit 1) = %+v", failed)
	}
}

func TestNextDue(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	if _, err := s.NextDue(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("NextDue on empty outbox: err = %v, want ErrNotFound", err)
	}
	story, ids := recordStory(t, s, "x", []int64{1}, newAlert(model.AlertNew, "#a", "x"))
	mustRecord(t, s, Record{Item: Item{Source: "o", Key: "y", StoryID: story},
		Alerts: []model.Alert{followUp(story, ids[0], "#a", "y")}})

	// The parent backs off; its waiting follow-up must not make NextDue
	// report "now" (the deliverer would spin).
	if err := s.MarkRetry(ctx, ids[0], t0.Add(5*time.Minute), "503"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.NextDue(ctx); err != nil || !got.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("NextDue = %v, %v; want the parent's retry %v", got, err, t0.Add(5*time.Minute))
	}
	if err := s.MarkSent(ctx, ids[0], "ts"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.NextDue(ctx); err != nil || !got.Equal(t0) {
		t.Errorf("NextDue = %v, %v; want the follow-up's %v", got, err, t0)
	}
}

func TestStoryAlert(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	story, ids := recordStory(t, s, "x", []int64{1}, newAlert(model.AlertNew, "#a", "x"))
	mustRecord(t, s, Record{Item: Item{Source: "o", Key: "y", StoryID: story},
		Alerts: []model.Alert{followUp(story, ids[0], "#b", "y")}})
	if err := s.MarkFailed(ctx, ids[0], "invalid_auth"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		story   int64
		channel string
		want    int64
		wantErr error
	}{
		{"failed alert still counts", story, "#a", ids[0], nil},
		{"follow-ups are not the story's alert", story, "#b", 0, ErrNotFound},
		{"other story", story + 1, "#a", 0, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.StoryAlert(ctx, tt.story, tt.channel)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("StoryAlert = %d, %v; want %d, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
