package daemon

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/notifier"
	"github.com/newswatch/newswatch/store/pgstore"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// timedSender records when each post was made; it is rate limited once.
type timedSender struct {
	mu      sync.Mutex
	at      []time.Time
	limitAt int // the post (1-based) that Slack rate-limits, 0: none
}

func (s *timedSender) Send(ctx context.Context, a model.Alert) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	if len(s.at) == s.limitAt {
		return "", true, &notifier.RateLimitError{RetryAfter: 2 * time.Second}
	}
	return "ts", false, nil
}

func (s *timedSender) Threads() bool { return true }

// TestPacingHoldsAcrossReplicas: two replicas posting to one channel at
// once post at least sendGap apart, and a Retry-After one of them gets
// holds the channel for the other too.
func TestPacingHoldsAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	slack := &timedSender{limitAt: 2}
	var senders []notifier.Sender
	for range 2 {
		pg, err := pgstore.Open(ctx, dsn, pgstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pg.Close() })
		senders = append(senders, pacedAcrossReplicas(slack, pg))
	}
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Go(func() {
			for range 2 {
				s.Send(ctx, model.Alert{Channel: "C1"})
			}
		})
	}
	wg.Wait()
	at := slices.Clone(slack.at)
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	if len(at) != 4 {
		t.Fatalf("%d posts, want 4", len(at))
	}
	for i := 1; i < len(at); i++ {
		gap := at[i].Sub(at[i-1])
		want := sendGap - 20*time.Millisecond // timer slack
		if i == 2 {
			want = 2*time.Second - 20*time.Millisecond // the Retry-After after the second post
		}
		if gap < want {
			t.Errorf("posts %d and %d %s apart, want at least %s", i, i+1, gap, want)
		}
	}
}
