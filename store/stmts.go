package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// maxBatch caps the rows of one multi-row band insert and the keys of one
// candidate lookup; longer lists are split.
const maxBatch = 64

// stmts holds the prepared statements of the hot path (Record and
// StoryCandidates). Statements whose text depends on a list length are
// prepared on first use and cached by that length.
type stmts struct {
	upsertItem  *sql.Stmt
	insertStory *sql.Stmt
	insertAlert *sql.Stmt

	mu         sync.Mutex
	bandInsert map[int]*sql.Stmt // on the write pool, by row count
	candidates map[int]*sql.Stmt // on the read pool, by band count
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
	s.stmt.bandInsert = map[int]*sql.Stmt{}
	s.stmt.candidates = map[int]*sql.Stmt{}
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	return nil
}

// cached returns the statement for n list elements from m, preparing it
// on db with build(n) the first time.
func (st *stmts) cached(ctx context.Context, db *sql.DB, m map[int]*sql.Stmt, n int, build func(int) string) (*sql.Stmt, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if p, ok := m[n]; ok {
		return p, nil
	}
	p, err := db.PrepareContext(ctx, build(n))
	if err != nil {
		return nil, err
	}
	m[n] = p
	return p, nil
}

func (st *stmts) close() {
	st.mu.Lock()
	defer st.mu.Unlock()
	// Closing a statement only frees memory; its error is of no use.
	for _, p := range []*sql.Stmt{st.upsertItem, st.insertStory, st.insertAlert} {
		if p != nil {
			p.Close()
		}
	}
	for _, m := range []map[int]*sql.Stmt{st.bandInsert, st.candidates} {
		for _, p := range m {
			p.Close()
		}
	}
}

// placeholders returns "?, ?, ..." with n marks in groups of size per group,
// each group parenthesised when per > 1: "(?, ?), (?, ?)".
func placeholders(n, per int) string {
	group := strings.TrimSuffix(strings.Repeat("?, ", per), ", ")
	if per > 1 {
		group = "(" + group + ")"
	}
	return strings.TrimSuffix(strings.Repeat(group+", ", n), ", ")
}
