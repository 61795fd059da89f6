package store

import (
	"context"
	"database/sql"
	"fmt"
)

// stmts holds the prepared statements of the hot path (Record), on the
// write pool.
type stmts struct {
	upsertItem  *sql.Stmt
	insertStory *sql.Stmt
	insertAlert *sql.Stmt
}

func (s *SQLite) prepare(ctx context.Context) error {
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = s.w.PrepareContext(ctx, q)
		return st
	}
	s.stmt.upsertItem = prep(upsertItemSQL)
	s.stmt.insertStory = prep(insertStorySQL)
	s.stmt.insertAlert = prep(insertAlertSQL)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	return nil
}

func (st *stmts) close() {
	// Closing a statement only frees memory; its error is of no use.
	for _, p := range []*sql.Stmt{st.upsertItem, st.insertStory, st.insertAlert} {
		if p != nil {
			p.Close()
		}
	}
}
