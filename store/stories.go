package store

import (
	"cmp"
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

const insertStorySQL = `INSERT INTO stories (signature, created) VALUES (?, ?)`

// StoryCandidates returns the stories created at or after since that share
// a band key with bands, each once, ordered by id. It is an index range per
// band (story_bands is clustered by band and created), never a scan.
func (s *SQLite) StoryCandidates(ctx context.Context, bands []int64, since time.Time) ([]StoryCandidate, error) {
	var out []StoryCandidate
	for chunk := range slices.Chunk(uniqueBands(bands), maxBatch) {
		var err error
		if out, err = s.storyCandidates(ctx, chunk, since, out); err != nil {
			return nil, fmt.Errorf("store: story candidates: %w", err)
		}
	}
	if len(bands) > maxBatch { // chunks may have found the same story
		slices.SortFunc(out, func(a, b StoryCandidate) int { return cmp.Compare(a.ID, b.ID) })
		out = slices.CompactFunc(out, func(a, b StoryCandidate) bool { return a.ID == b.ID })
	}
	return out, nil
}

func (s *SQLite) storyCandidates(ctx context.Context, bands []int64, since time.Time, out []StoryCandidate) ([]StoryCandidate, error) {
	st, err := s.stmt.cached(ctx, s.r, s.stmt.candidates, len(bands), candidatesSQL)
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, len(bands)+1)
	for _, b := range bands {
		args = append(args, b)
	}
	args = append(args, since.UnixMicro())
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c StoryCandidate
		var created sql.NullInt64
		if err := rows.Scan(&c.ID, &c.Signature, &created); err != nil {
			return nil, err
		}
		c.Created = goTime(created)
		out = append(out, c)
	}
	return out, rows.Err()
}

// candidatesSQL looks up n band keys. (PostgreSQL: band = ANY($1).)
func candidatesSQL(n int) string {
	return `SELECT s.id, s.signature, s.created FROM stories s
		WHERE s.id IN (SELECT b.story_id FROM story_bands b
			WHERE b.band IN (` + placeholders(n, 1) + `) AND b.created >= ?)
		ORDER BY s.id`
}

// bandInsertSQL inserts n (band, created, story_id) rows.
func bandInsertSQL(n int) string {
	return `INSERT INTO story_bands (band, created, story_id) VALUES ` + placeholders(n, 3) +
		` ON CONFLICT DO NOTHING`
}

// bandBatch is a chunk of a new story's band keys and the prepared insert
// for that many rows.
type bandBatch struct {
	bands []int64
	stmt  *sql.Stmt
}

// bandBatches prepares the inserts for bands. It must run before the write
// transaction begins: the write pool has one connection, which the
// transaction would hold while the preparation waited for it.
func (s *SQLite) bandBatches(ctx context.Context, bands []int64) ([]bandBatch, error) {
	var out []bandBatch
	for chunk := range slices.Chunk(uniqueBands(bands), maxBatch) {
		st, err := s.stmt.cached(ctx, s.w, s.stmt.bandInsert, len(chunk), bandInsertSQL)
		if err != nil {
			return nil, fmt.Errorf("prepare band insert: %w", err)
		}
		out = append(out, bandBatch{chunk, st})
	}
	return out, nil
}

// insertStory creates a story and its band rows in tx and returns its id.
func (s *SQLite) insertStory(ctx context.Context, tx *sql.Tx, sig []byte, batches []bandBatch, now time.Time) (int64, error) {
	created := now.UnixMicro()
	res, err := tx.StmtContext(ctx, s.stmt.insertStory).ExecContext(ctx, nonNilBytes(sig), created)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	for _, b := range batches {
		args := make([]any, 0, 3*len(b.bands))
		for _, band := range b.bands {
			args = append(args, band, created, id)
		}
		if _, err := tx.StmtContext(ctx, b.stmt).ExecContext(ctx, args...); err != nil {
			return 0, err
		}
	}
	return id, nil
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
