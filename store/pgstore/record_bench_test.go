package pgstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/story"
)

// BenchmarkRecordFetch: one fetch of 50 new articles, 5 of them founding a
// story with an alert (band locks, the fold look-up, savepoints), 45 plain
// (batched upserts), on the local server. Per-article cost is ns/op / 50.
func BenchmarkRecordFetch(b *testing.B) {
	s := openBench(b)
	s.similar = func(a, b []byte) bool { return story.Similar(a, b) }
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		f := store.Fetch{Source: "bench"}
		for j := range 50 {
			key := fmt.Sprintf("%d-%d", i, j)
			r := store.Record{Item: store.Item{Source: "bench", Key: key, CanonicalLink: "https://example.com/" + key}}
			if j%10 == 0 {
				sig := story.Sign("Report "+key, "words of "+key+" alone "+key)
				r.NewStory = &store.NewStory{Signature: sig, Bands: story.Bands(sig)}
				r.Alerts = []model.Alert{{Kind: model.AlertNew, Channel: "#c", Article: model.Article{Title: key}}}
			}
			f.Records = append(f.Records, r)
			f.Seen = append(f.Seen, key)
		}
		res, err := s.RecordFetch(ctx, f)
		if err != nil || res[0].Err != nil {
			b.Fatal(err, res[0].Err)
		}
	}
}

// BenchmarkKnownItems: the look-up of a fetch of 50 items, all known.
func BenchmarkKnownItems(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	f := store.Fetch{Source: "bench"}
	var keys, links []string
	for j := range 50 {
		key := fmt.Sprint(j)
		f.Records = append(f.Records, store.Record{Item: store.Item{Source: "bench", Key: key, CanonicalLink: "https://example.com/" + key}})
		keys, links = append(keys, key), append(links, "https://example.com/"+key)
	}
	if _, err := s.RecordFetch(ctx, f); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		k, err := s.KnownItems(ctx, "bench", keys, links)
		if err != nil || len(k.ByKey) != 50 {
			b.Fatal(err, len(k.ByKey))
		}
	}
}
