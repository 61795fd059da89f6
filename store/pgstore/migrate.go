package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaNewer is returned (wrapped) by Open when the database was
// migrated by a newer newswatch than this one.
var ErrSchemaNewer = errors.New("database schema is newer than this binary")

// The session advisory lock that serialises migrations, in the two-int4 key
// space, which PostgreSQL keeps apart from the one-bigint space that
// LockBands uses: 0x6e77 is "nw", 1 is "migrations".
const lockClass, lockMigrate = 0x6e77, 1

// migrate brings the database to SchemaVersion. It holds a session advisory
// lock on one connection throughout, so replicas started together migrate
// one after the other: the first applies the migrations, the others find
// them applied. Each migration is its own transaction with its
// schema_migrations row, so a crash leaves the schema at a version.
func migrate(ctx context.Context, pool *pgxpool.Pool, now func() time.Time) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, lockClass, lockMigrate); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer unlock(conn)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	cur, err := currentVersion(ctx, conn.Conn())
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cur > SchemaVersion() {
		return fmt.Errorf("migrate: %w: the database is at version %d, this newswatch knows up to %d; run a newswatch at least as new as the one that migrated it",
			ErrSchemaNewer, cur, SchemaVersion())
	}
	for v := cur + 1; v <= SchemaVersion(); v++ {
		if err := apply(ctx, conn.Conn(), v, now); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v, err)
		}
	}
	return nil
}

// unlock gives the migration lock back. If that fails the connection is
// closed instead, which releases it too, rather than returned to the pool
// still holding it.
func unlock(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, lockClass, lockMigrate); err != nil {
		conn.Conn().Close(ctx)
	}
}

// apply runs migration v and records it, in one transaction.
func apply(ctx context.Context, conn *pgx.Conn, v int, now func() time.Time) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, stmt := range migrations[v-1] {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return err
		}
	}
	var at *int64
	if now != nil {
		us := now().UnixMicro()
		at = &us
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied) VALUES ($1, `+nowSQL("$2")+`)`, v, at); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// currentVersion is the highest applied migration, 0 for a new database.
func currentVersion(ctx context.Context, conn *pgx.Conn) (int, error) {
	var v *int
	if err := conn.QueryRow(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, err
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// ErrSchemaOlder is returned (wrapped) by a read-only Open of a database
// that this binary would migrate (or that was never migrated).
var ErrSchemaOlder = errors.New("database schema is older than this binary")

// checkVersion is Open's check, read-only, that the database is at
// SchemaVersion.
func checkVersion(ctx context.Context, pool *pgxpool.Pool) error {
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return err
	}
	cur := 0
	if exists {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		if cur, err = currentVersion(ctx, conn.Conn()); err != nil {
			return err
		}
	}
	switch {
	case cur > SchemaVersion():
		return fmt.Errorf("%w: the database is at version %d, this newswatch knows up to %d", ErrSchemaNewer, cur, SchemaVersion())
	case cur < SchemaVersion():
		return fmt.Errorf("%w: the database is at version %d, this newswatch needs %d; start a replica (run) to migrate it", ErrSchemaOlder, cur, SchemaVersion())
	}
	return nil
}
