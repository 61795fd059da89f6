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

// storyIndex is the in-memory band index of the stories inside the story
// window: band key -> stories, with each story's id, signature and creation
// time, so StoryCandidates never reads the database. It holds the stories
// created at or after from (the oldest "since" asked for): built from the
// stories table at the first lookup, then following this process's commits
// (Record, RecordFetch and Prune change it only after their transaction has
// committed), and shedding stories as the window moves past them. Its
// memory and its build time so grow with story_window, not with retention.
// Stories without band keys are not indexed (they can never be a
// candidate).
type storyIndex struct {
	mu      sync.RWMutex
	loaded  bool
	from    int64 // Unix µs: every story created since is indexed
	bands   *bandTable
	stories []indexedStory  // by slot; a free slot has id 0
	free    []int32         // free slots, reused before stories grows
	slot    map[int64]int32 // story id -> slot
}

// evictStep is how far the window moves before the stories it left behind
// are shed: each shedding rebuilds the band table (tens of ms for 100,000
// stories), so it runs at most that often.
const evictStep = 10 * time.Minute

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
		if _, dup := x.slot[r.id]; dup || len(r.bands) == 0 {
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

// add indexes rows that a transaction has just committed. Before the first
// lookup there is nothing to add to: the load will read them.
func (x *storyIndex) add(rows ...storyRow) {
	if len(rows) == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.loaded {
		x.insert(rows...)
	}
}

// ensure makes the index hold every story created at or after since:
// loaded at the first call, reloaded when since is before what it holds
// (a reload widened story_window), shed of older stories once the window
// has moved evictStep past them. The caller holds the store's storyWrites,
// so no write commits between reading the table and indexing it.
func (x *storyIndex) ensure(ctx context.Context, db *sql.DB, since time.Time) error {
	from := since.UnixMicro()
	x.mu.RLock()
	loaded, have := x.loaded, x.from
	x.mu.RUnlock()
	switch {
	case !loaded || from < have:
		fresh, err := loadStoryIndex(ctx, db, from)
		if err != nil {
			return err
		}
		x.mu.Lock()
		defer x.mu.Unlock()
		fresh.loaded, fresh.from = true, from
		x.bands, x.stories, x.free, x.slot = fresh.bands, fresh.stories, fresh.free, fresh.slot
		x.loaded, x.from = true, from
	case from-have >= evictStep.Microseconds():
		x.mu.Lock()
		defer x.mu.Unlock()
		x.evictBefore(from)
	}
	return nil
}

// current reports whether the index needs no ensure for since: loaded,
// holding since, and not yet a step behind it.
func (x *storyIndex) current(since time.Time) bool {
	from := since.UnixMicro()
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.loaded && from >= x.from && from-x.from < evictStep.Microseconds()
}

// evictBefore forgets the stories created before from. x.mu must be held.
func (x *storyIndex) evictBefore(from int64) {
	gone := 0
	for s, st := range x.stories {
		if st.id != 0 && st.created < from {
			delete(x.slot, st.id)
			x.stories[s] = indexedStory{}
			x.free = append(x.free, int32(s))
			gone++
		}
	}
	if gone > 0 {
		x.bands.retain(func(s int32) bool { return x.stories[s].id != 0 })
	}
	x.from = from
}

// len is the number of stories indexed.
func (x *storyIndex) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.slot)
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

// loadStoryIndex builds the index of the stories in db created at or
// after from (Unix µs); stories_created makes that a range scan.
func loadStoryIndex(ctx context.Context, db *sql.DB, from int64) (*storyIndex, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, signature, created, bands FROM stories WHERE created >= ?`, from)
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
