package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestFetchState(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)

	if _, err := s.FetchState(ctx, "never"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("FetchState(never) err = %v, want ErrNotFound", err)
	}
	tests := []struct {
		name string
		in   FetchState
	}{
		{"first success", FetchState{Source: "guardian", ETag: `"abc"`, LastModified: "Wed, 25 Nov 2026 10:00:00 GMT",
			LastFetch: t0, LastResult: "ok", Fetched: true}},
		{"failure with backoff overwrites", FetchState{Source: "guardian", ETag: `"abc"`, LastFetch: t0.Add(time.Minute),
			LastResult: "error", LastError: "status 503", ConsecutiveFailures: 3,
			NextAttempt: t0.Add(8 * time.Minute), Fetched: true}},
		{"never fetched, zero times", FetchState{Source: "kremlin", LastResult: "error", LastError: "timeout",
			ConsecutiveFailures: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.SaveFetchState(ctx, tt.in); err != nil {
				t.Fatal(err)
			}
			got, err := s.FetchState(ctx, tt.in.Source)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.in) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tt.in)
			}
		})
	}
	all, err := s.FetchStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Source != "guardian" || all[1].Source != "kremlin" || all[0].ConsecutiveFailures != 3 {
		t.Errorf("FetchStates = %+v, want guardian (3 failures), kremlin", all)
	}
}
