package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestItems(t *testing.T) {
	ctx := context.Background()
	s, c, _ := openTest(t)

	first := Item{Source: "guardian", Key: "guid-1", CanonicalLink: "https://example.com/a",
		ContentHash: "h1", Rules: []string{"kremlin"}, Published: t0.Add(-time.Hour)}
	story := mustRecord(t, s, Record{Item: first, NewStory: &NewStory{Signature: []byte{1}, Bands: []int64{7}}})
	c.set(t0.Add(time.Minute))
	mustRecord(t, s, Record{Item: Item{Source: "bbc", Key: "https://example.com/a", CanonicalLink: "https://example.com/a"}})
	mustRecord(t, s, Record{Item: Item{Source: "bbc", Key: "no-link"}})

	want := first
	want.StoryID, want.FirstSeen = story, t0
	tests := []struct {
		name    string
		get     func() (Item, error)
		want    Item
		wantErr error
	}{
		{"by key", func() (Item, error) { return s.Item(ctx, "guardian", "guid-1") }, want, nil},
		{"by key, other source", func() (Item, error) { return s.Item(ctx, "bbc", "guid-1") }, Item{}, ErrNotFound},
		{"by canonical link: first seen of two sources", func() (Item, error) {
			return s.ItemByCanonicalLink(ctx, "https://example.com/a")
		}, want, nil},
		{"by unknown link", func() (Item, error) { return s.ItemByCanonicalLink(ctx, "https://example.com/b") }, Item{}, ErrNotFound},
		{"empty link is never found", func() (Item, error) { return s.ItemByCanonicalLink(ctx, "") }, Item{}, ErrNotFound},
		{"no link, no rules", func() (Item, error) { return s.Item(ctx, "bbc", "no-link") },
			Item{Source: "bbc", Key: "no-link", FirstSeen: t0.Add(time.Minute)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}

	t.Run("seen link", func(t *testing.T) {
		for link, want := range map[string]bool{"https://example.com/a": true, "https://example.com/b": false, "": false} {
			if got, err := s.SeenLink(ctx, link); err != nil || got != want {
				t.Errorf("SeenLink(%q) = %v, %v; want %v", link, got, err, want)
			}
		}
	})

	t.Run("update keeps first seen and story", func(t *testing.T) {
		c.set(t0.Add(time.Hour))
		upd := Item{Source: "guardian", Key: "guid-1", CanonicalLink: "https://example.com/a",
			ContentHash: "h2", Rules: []string{"kremlin", "donetsk"}, Published: t0}
		if id := mustRecord(t, s, Record{Item: upd}); id != 0 {
			t.Errorf("Record without a story returned %d, want the item's StoryID 0", id)
		}
		got, err := s.Item(ctx, "guardian", "guid-1")
		if err != nil {
			t.Fatal(err)
		}
		want := upd
		want.StoryID, want.FirstSeen = story, t0
		if !reflect.DeepEqual(got, want) {
			t.Errorf("\n got %+v\nwant %+v", got, want)
		}
	})
}
