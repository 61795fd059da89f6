package store

import (
	"context"
	"database/sql"
	"fmt"
)

// stmts holds the prepared statements of the hot path (KnownItems,
// RecordFetch, Record), prepared once at open and reused for the life of
// the store: parsing the SQL again on every call was a sixth of a fetch's
// CPU. Writes are on the write pool, the look-ups and fetchState on the
// read pool.
type stmts struct {
	upsertItem     *sql.Stmt
	upsertItems    *sql.Stmt
	insertStory    *sql.Stmt
	insertAlert    *sql.Stmt
	touchItems     *sql.Stmt
	saveFetchState *sql.Stmt
	storyAlert     *sql.Stmt // inside a write transaction: sees the batch so far
	knownByKey     *sql.Stmt
	knownByLink    *sql.Stmt
	knownBoth      *sql.Stmt
	fetchState     *sql.Stmt // read pool
	// A record's savepoint (see RecordFetch).
	savepoint, rollbackTo, release *sql.Stmt
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
	s.stmt.upsertItems = prep(upsertItemsSQL)
	s.stmt.insertStory = prep(insertStorySQL)
	s.stmt.insertAlert = prep(insertAlertSQL)
	s.stmt.touchItems = prep(touchItemsSQL)
	s.stmt.saveFetchState = prep(saveFetchStateSQL)
	s.stmt.storyAlert = prep(storyAlertSQL)
	s.stmt.savepoint = prep(`SAVEPOINT record`)
	s.stmt.rollbackTo = prep(`ROLLBACK TO SAVEPOINT record`)
	s.stmt.release = prep(`RELEASE SAVEPOINT record`)
	if err == nil {
		s.stmt.knownByKey, err = s.r.PrepareContext(ctx, knownByKeySQL)
	}
	if err == nil {
		s.stmt.knownByLink, err = s.r.PrepareContext(ctx, knownByLinkSQL)
	}
	if err == nil {
		s.stmt.knownBoth, err = s.r.PrepareContext(ctx, knownBothSQL)
	}
	if err == nil {
		s.stmt.fetchState, err = s.r.PrepareContext(ctx, fetchStateSQL)
	}
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	return nil
}

func (st *stmts) close() {
	// Closing a statement only frees memory; its error is of no use.
	for _, p := range []*sql.Stmt{st.upsertItem, st.upsertItems, st.insertStory, st.insertAlert, st.touchItems, st.saveFetchState, st.storyAlert, st.knownByKey, st.knownByLink, st.knownBoth, st.fetchState, st.savepoint, st.rollbackTo, st.release} {
		if p != nil {
			p.Close()
		}
	}
}
