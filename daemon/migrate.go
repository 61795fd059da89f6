package daemon

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore"
)

// MigrateState copies the SQLite state file from into the PostgreSQL
// database at to (`newswatch migrate-state`): seen items, stories, fetch
// state, the outbox and notes, so that replicas started on it do not alert
// recent articles again. It takes the file's state lock first, so it
// refuses while a newswatch runs on the file, and brings the file to this
// binary's schema. A target that already holds state is refused
// (pgstore.ErrTargetNotEmpty) unless replace is set; with replace, running
// it again gives the same result. The copy is one transaction: on any
// error nothing is written.
func MigrateState(ctx context.Context, from, to string, replace bool) (pgstore.CopyStats, error) {
	if pgstore.IsURL(from) || !pgstore.IsURL(to) {
		return nil, errors.New("migrate-state: -from must be a SQLite file and -to a postgres:// URL")
	}
	if _, err := os.Stat(from); err != nil {
		return nil, fmt.Errorf("migrate-state: %w", err)
	}
	unlock, err := lockState(from)
	if err != nil {
		return nil, fmt.Errorf("migrate-state: %w", err)
	}
	defer unlock()
	// Opening the store brings the file to the current schema.
	st, err := store.OpenSQLite(ctx, from, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate-state: %w", err)
	}
	if err := st.Close(); err != nil {
		return nil, fmt.Errorf("migrate-state: %w", err)
	}
	db, err := sql.Open("sqlite", from+"?_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("migrate-state: open %s: %w", from, err)
	}
	defer db.Close()
	pg, err := pgstore.Open(ctx, to, pgstore.Options{})
	if err != nil {
		return nil, fmt.Errorf("migrate-state: %w", err)
	}
	defer pg.Close()
	stats, err := pg.CopyFromSQLite(ctx, db, pgstore.CopyOptions{Replace: replace})
	if err != nil {
		return nil, fmt.Errorf("migrate-state: %w", err)
	}
	return stats, nil
}
