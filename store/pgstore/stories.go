package pgstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newswatch/newswatch/store"
)

// StoryCandidates returns the stories created at or after since that share
// a band key with bands, each once, ordered by id: the SQLite store's
// method, but read from the database (story_bands), so a story another
// replica created is a candidate as soon as its transaction commits. A
// recorder that must not race another calls it after LockBands, in the
// same transaction (see CandidatesTx).
func (s *Store) StoryCandidates(ctx context.Context, bands []int64, since time.Time) ([]store.StoryCandidate, error) {
	out, err := candidates(ctx, s.pool, bands, since)
	if err != nil {
		return nil, fmt.Errorf("pgstore: story candidates: %w", err)
	}
	return out, nil
}

// CandidatesTx is StoryCandidates inside tx.
func CandidatesTx(ctx context.Context, tx pgx.Tx, bands []int64, since time.Time) ([]store.StoryCandidate, error) {
	out, err := candidates(ctx, tx, bands, since)
	if err != nil {
		return nil, fmt.Errorf("pgstore: story candidates: %w", err)
	}
	return out, nil
}

// querier is a pool, a connection or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// candidatesSQL reads, per band, the index range (band, created >= since)
// of story_bands' primary key, then the stories once each.
const candidatesSQL = `SELECT s.id, s.signature, s.created FROM stories s
	WHERE s.id IN (SELECT story_id FROM story_bands WHERE band = ANY($1) AND created >= $2)
	ORDER BY s.id`

func candidates(ctx context.Context, q querier, bands []int64, since time.Time) ([]store.StoryCandidate, error) {
	if len(bands) == 0 {
		return nil, nil
	}
	rows, err := q.Query(ctx, candidatesSQL, planEach, bands, micros(since))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.StoryCandidate, error) {
		var c store.StoryCandidate
		var created int64
		err := row.Scan(&c.ID, &c.Signature, &created)
		c.Created = fromMicros(created)
		return c, err
	})
}

// insertStory creates a story with its band keys (sorted, without
// repeats) in tx and returns its id. The bands go in one statement.
func insertStory(ctx context.Context, tx pgx.Tx, ns store.NewStory, now time.Time) (int64, error) {
	sig := ns.Signature
	if sig == nil {
		sig = []byte{}
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO stories (signature, created) VALUES ($1, $2) RETURNING id`,
		sig, micros(now)).Scan(&id); err != nil {
		return 0, fmt.Errorf("story: %w", err)
	}
	bands := slices.Clone(ns.Bands)
	slices.Sort(bands)
	bands = slices.Compact(bands)
	if _, err := tx.Exec(ctx, `INSERT INTO story_bands (band, created, story_id)
		SELECT b, $2, $3 FROM unnest($1::bigint[]) AS b`, bands, micros(now), id); err != nil {
		return 0, fmt.Errorf("story %d bands: %w", id, err)
	}
	return id, nil
}
