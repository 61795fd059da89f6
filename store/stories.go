package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// StoryCandidate is a story that shares at least one band key with a new
// article: a possible near-duplicate, for the caller to confirm.
type StoryCandidate struct {
	ID        int64
	Signature []byte
	Created   time.Time
}

// NewStory is a story to create with an article: its signature and its LSH
// band keys.
type NewStory struct {
	Signature []byte
	Bands     []int64
}

const insertStorySQL = `INSERT INTO stories (signature, created, bands) VALUES (?, ?, ?)`

// StoryCandidates returns the stories created at or after since that share
// a band key with bands, each once, ordered by id. It reads the in-memory
// band index (see storyIndex), which holds the stories since the oldest
// since asked for (the story window): the first call builds it from the
// database, later ones only when since moves back. A story is found once
// the Record or RecordFetch that created it has returned.
func (s *SQLite) StoryCandidates(ctx context.Context, bands []int64, since time.Time) ([]StoryCandidate, error) {
	if err := s.ensureIndex(ctx, since); err != nil {
		return nil, fmt.Errorf("store: story candidates: %w", err)
	}
	return s.stories.candidates(bands, since), nil
}

func (s *SQLite) ensureIndex(ctx context.Context, since time.Time) error {
	if s.stories.current(since) {
		return nil
	}
	s.storyWrites.Lock()
	defer s.storyWrites.Unlock()
	return s.stories.ensure(ctx, s.r, since)
}

// insertStory creates a story in tx, its band keys kept in its row, and
// returns it for the index to add once tx has committed.
func (s *SQLite) insertStory(ctx context.Context, tx *sql.Tx, ns *NewStory, now time.Time) (storyRow, error) {
	r := storyRow{created: now.UnixMicro(), sig: slices.Clone(nonNilBytes(ns.Signature)), bands: uniqueBands(ns.Bands)}
	res, err := tx.StmtContext(ctx, s.stmt.insertStory).ExecContext(ctx, r.sig, r.created, encodeBands(r.bands))
	if err != nil {
		return storyRow{}, err
	}
	if r.id, err = res.LastInsertId(); err != nil {
		return storyRow{}, err
	}
	return r, nil
}

// uniqueBands returns bands sorted and without repeats (a copy).
func uniqueBands(bands []int64) []int64 {
	u := slices.Clone(bands)
	slices.Sort(u)
	return slices.Compact(u)
}

func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
