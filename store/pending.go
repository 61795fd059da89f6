package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/newswatch/newswatch/model"
)

// PendingAlert is an alert still waiting for delivery, for `status`: what
// keeps it pending is its last error and its next attempt.
type PendingAlert struct {
	ID                    int64
	Channel, Title, Error string
	Attempts              int
	Created, NextAttempt  time.Time
}

// PendingAlerts returns up to limit pending alerts, oldest first.
func (s *SQLite) PendingAlerts(ctx context.Context, limit int) ([]PendingAlert, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, channel, last_error, attempts, created, next_attempt, payload
		FROM outbox WHERE state = 'pending' ORDER BY created, id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: pending alerts: %w", err)
	}
	defer rows.Close()
	var out []PendingAlert
	for rows.Next() {
		var p PendingAlert
		var created, next sql.NullInt64
		var payload string
		if err := rows.Scan(&p.ID, &p.Channel, &p.Error, &p.Attempts, &created, &next, &payload); err != nil {
			return nil, fmt.Errorf("store: pending alerts: %w", err)
		}
		var a model.Alert
		if err := json.Unmarshal([]byte(payload), &a); err != nil {
			return nil, fmt.Errorf("store: pending alert %d: decode payload: %w", p.ID, err)
		}
		p.Title, p.Created, p.NextAttempt = AlertTitle(a), goTime(created), goTime(next)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pending alerts: %w", err)
	}
	return out, nil
}
