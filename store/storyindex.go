package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"
)

// storyIndex is the in-memory band index of the stories in the database:
// band key -> stories, with each story's id, signature and creation time,
// so StoryCandidates never reads the database. It is built from the stories
// table at open and then follows this process's commits: Record, RecordBatch
// and Prune change it only after their transaction has committed. Stories
// without band keys are not indexed (they can never be a candidate).
type storyIndex struct {
	mu      sync.RWMutex
	bands   *bandTable
	stories []indexedStory  // by slot; a free slot has id 0
	free    []int32         // free slots, reused before stories grows
	slot    map[int64]int32 // story id -> slot
}

type indexedStory struct {
	id      int64
	created int64 // Unix microseconds, as stored
	sig     []byte
}

// storyRow is a story as the stories table holds it.
type storyRow struct {
	id, created int64
	sig         []byte
	bands       []int64
}

// newStoryIndex returns an index of rows.
func newStoryIndex(rows []storyRow) *storyIndex {
	n := 0
	for _, r := range rows {
		n += len(r.bands)
	}
	x := &storyIndex{
		bands:   newBandTable(n),
		stories: make([]indexedStory, 0, len(rows)),
		slot:    make(map[int64]int32, len(rows)),
	}
	x.insert(rows...)
	return x
}

// insert indexes rows. The caller must hold mu, or own x alone.
func (x *storyIndex) insert(rows ...storyRow) {
	for _, r := range rows {
		if len(r.bands) == 0 {
			continue
		}
		st := indexedStory{id: r.id, created: r.created, sig: r.sig}
		var s int32
		if n := len(x.free); n > 0 {
			s, x.free = x.free[n-1], x.free[:n-1]
			x.stories[s] = st
		} else {
			s = int32(len(x.stories))
			x.stories = append(x.stories, st)
		}
		x.slot[r.id] = s
		for _, b := range r.bands {
			x.bands.add(b, s)
		}
	}
}

// add indexes rows that a transaction has just committed.
func (x *storyIndex) add(rows ...storyRow) {
	if len(rows) == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.insert(rows...)
}

// drop forgets rows (their ids and bands) that a transaction has just
// deleted.
func (x *storyIndex) drop(rows []storyRow) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, r := range rows {
		s, ok := x.slot[r.id]
		if !ok {
			continue
		}
		for _, b := range r.bands {
			x.bands.remove(b, s)
		}
		delete(x.slot, r.id)
		x.stories[s] = indexedStory{}
		x.free = append(x.free, s)
	}
}

// candidates returns the indexed stories created at or after since that
// have one of bands, each once, ordered by id. Signatures are copies.
func (x *storyIndex) candidates(bands []int64, since time.Time) []StoryCandidate {
	from := since.UnixMicro()
	var out []StoryCandidate
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, b := range bands {
		x.bands.each(b, func(s int32) {
			if st := x.stories[s]; st.created >= from {
				out = append(out, StoryCandidate{ID: st.id, Signature: st.sig, Created: time.UnixMicro(st.created).UTC()})
			}
		})
	}
	slices.SortFunc(out, func(a, b StoryCandidate) int { return cmp.Compare(a.ID, b.ID) })
	out = slices.CompactFunc(out, func(a, b StoryCandidate) bool { return a.ID == b.ID })
	for i := range out {
		out[i].Signature = slices.Clone(out[i].Signature)
	}
	return out
}

// loadStoryIndex builds the index from every story in db.
func loadStoryIndex(ctx context.Context, db *sql.DB) (*storyIndex, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, signature, created, bands FROM stories`)
	if err != nil {
		return nil, fmt.Errorf("load story index: %w", err)
	}
	defer rows.Close()
	var all []storyRow
	for rows.Next() {
		var r storyRow
		var blob []byte
		if err := rows.Scan(&r.id, &r.sig, &r.created, &blob); err != nil {
			return nil, fmt.Errorf("load story index: %w", err)
		}
		if r.bands, err = decodeBands(blob); err != nil {
			return nil, fmt.Errorf("load story index: story %d: %w", r.id, err)
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load story index: %w", err)
	}
	return newStoryIndex(all), nil
}

// encodeBands is the stored form of a story's band keys: each key as 8
// big-endian bytes (what migration 2's printf('%016X') and unhex produce).
func encodeBands(bands []int64) []byte {
	b := make([]byte, 0, 8*len(bands))
	for _, k := range bands {
		b = binary.BigEndian.AppendUint64(b, uint64(k))
	}
	return b
}

func decodeBands(b []byte) ([]int64, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("bands blob of %d bytes is not a list of 8-byte keys", len(b))
	}
	bands := make([]int64, len(b)/8)
	for i := range bands {
		bands[i] = int64(binary.BigEndian.Uint64(b[8*i:]))
	}
	return bands, nil
}
