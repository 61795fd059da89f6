package pgstore

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestReserveSendAcrossPools: replicas (two pools, many goroutines) that
// all want to post to one channel at the same instant get distinct slots a
// gap apart, none lost or shared; another channel is paced on its own.
func TestReserveSendAcrossPools(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewDatabase(t)
	stores := []*Store{openTest(t, dsn, Options{}), openTest(t, dsn, Options{})}
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const n = 20
	slots := make([]time.Time, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			at, err := stores[i%2].ReserveSend(ctx, "C1", t0, time.Second)
			if err != nil {
				t.Error(err)
			}
			slots[i] = at
		})
	}
	close(start)
	wg.Wait()
	slices.SortFunc(slots, time.Time.Compare)
	for i, at := range slots {
		if want := t0.Add(time.Duration(i) * time.Second); !at.Equal(want) {
			t.Fatalf("slots = %v\nslot %d = %v, want %v (one a second from t0)", slots, i, at, want)
		}
	}
	if at, err := stores[0].ReserveSend(ctx, "C2", t0, time.Second); err != nil || !at.Equal(t0) {
		t.Errorf("other channel: %v, %v; want t0", at, err)
	}
}

// TestReserveSendSequence: a free channel posts now; Retry-After holds it
// for everyone and never moves it back.
func TestReserveSendSequence(t *testing.T) {
	t.Parallel()
	s := openTest(t, pgtest.NewDatabase(t), Options{})
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	type step struct {
		name string
		hold time.Duration // HoldChannel until t0+hold, if set
		now  time.Duration
		want time.Duration
	}
	for _, st := range []step{
		{name: "free channel posts now", now: 0, want: 0},
		{name: "next waits a gap", now: 0, want: time.Second},
		{name: "after the gap, now", now: 5 * time.Second, want: 5 * time.Second},
		{name: "retry-after holds", hold: 60 * time.Second, now: 6 * time.Second, want: 60 * time.Second},
		{name: "a shorter hold does not shorten it", hold: 10 * time.Second, now: 7 * time.Second, want: 61 * time.Second},
	} {
		if st.hold != 0 {
			if err := s.HoldChannel(ctx, "C", t0.Add(st.hold)); err != nil {
				t.Fatal(err)
			}
		}
		at, err := s.ReserveSend(ctx, "C", t0.Add(st.now), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if want := t0.Add(st.want); !at.Equal(want) {
			t.Errorf("%s: at %v, want %v", st.name, at, want)
		}
	}
}
