package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
)

// stateIDKey names the note holding this state's random id. Alerts carry it
// (with their outbox id) in Slack message metadata, so a message posted from
// another state file, whose outbox ids overlap, is never taken for ours.
const stateIDKey = "state_id"

func (s *SQLite) ensureStateID(ctx context.Context) error {
	var b [16]byte
	rand.Read(b[:])
	_, err := s.w.ExecContext(ctx, `INSERT INTO notes (key, value, updated) VALUES (?, ?, ?)
		ON CONFLICT (key) DO NOTHING`, stateIDKey, hex.EncodeToString(b[:]), dbTime(s.now()))
	if err != nil {
		return fmt.Errorf("state id: %w", err)
	}
	return nil
}

// StateID is this state's random id, made when the state was created.
func (s *SQLite) StateID(ctx context.Context) (string, error) {
	return s.Note(ctx, stateIDKey)
}

// Note returns the note stored under key, or ErrNotFound.
func (s *SQLite) Note(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM notes WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: note %s: %w", key, err)
	}
	return v, nil
}

// SetNote stores value under key, replacing what was there.
func (s *SQLite) SetNote(ctx context.Context, key, value string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO notes (key, value, updated) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated`,
		key, value, dbTime(s.now()))
	if err != nil {
		return fmt.Errorf("store: set note %s: %w", key, err)
	}
	return nil
}

// Notes returns the notes whose key starts with prefix, by key.
func (s *SQLite) Notes(ctx context.Context, prefix string) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, value FROM notes WHERE substr(key, 1, ?) = ?`, len(prefix), prefix)
	if err != nil {
		return nil, fmt.Errorf("store: notes %s: %w", prefix, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("store: notes %s: %w", prefix, err)
		}
		out[k] = v
	}
	return out, rows.Err()
}
