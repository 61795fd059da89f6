package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// Notes are small facts the daemon keeps in the state (the state's id,
// Slack channel ids, delivery notices for status): the SQLite store's
// notes table and methods as the delivery branch has them, shared here by
// every replica.

// stateIDKey names the note holding the database's random id, which alerts
// carry in Slack message metadata so that a message posted from another
// state, whose outbox ids overlap, is never taken for one of ours. Every
// replica of one database has the same id: they are one state.
const stateIDKey = "state_id"

// StateID is the database's random id, made by the first replica to ask
// (one statement, so replicas asking at once agree).
func (s *Store) StateID(ctx context.Context) (string, error) {
	var b [16]byte
	rand.Read(b[:])
	var id string
	// DO UPDATE rather than DO NOTHING: it returns the row either way,
	// the one a concurrent replica committed included (a second SELECT in
	// the same statement would read the snapshot before it).
	err := s.pool.QueryRow(ctx, `INSERT INTO notes AS n (key, value, updated) VALUES ($1, $2, `+nowSQL("$3")+`)
		ON CONFLICT (key) DO UPDATE SET value = n.value RETURNING value`,
		stateIDKey, hex.EncodeToString(b[:]), s.clock()).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("pgstore: state id: %w", err)
	}
	return id, nil
}

// Note returns the note stored under key, or ErrNotFound.
func (s *Store) Note(ctx context.Context, key string) (string, error) {
	var v string
	if err := s.pool.QueryRow(ctx, `SELECT value FROM notes WHERE key = $1`, key).Scan(&v); err != nil {
		return "", fmt.Errorf("pgstore: note %s: %w", key, notFound(err))
	}
	return v, nil
}

// SetNote stores value under key, replacing what was there.
func (s *Store) SetNote(ctx context.Context, key, value string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO notes (key, value, updated) VALUES ($1, $2, `+nowSQL("$3")+`)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated`,
		key, value, s.clock())
	if err != nil {
		return fmt.Errorf("pgstore: set note %s: %w", key, err)
	}
	return nil
}

// Notes returns the notes whose key starts with prefix.
func (s *Store) Notes(ctx context.Context, prefix string) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, value FROM notes WHERE starts_with(key, $1)`, prefix)
	if err != nil {
		return nil, fmt.Errorf("pgstore: notes %s: %w", prefix, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("pgstore: notes %s: %w", prefix, err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: notes %s: %w", prefix, err)
	}
	return out, nil
}
