package pgstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Copying a SQLite state into PostgreSQL, for `migrate-state`: a user who
// moves to replicas keeps what the single process had seen (items,
// stories, fetch state, the outbox, notes), so recent articles are not
// alerted again.

// ErrTargetNotEmpty is returned (wrapped) by CopyFromSQLite when the
// database already holds state and CopyOptions.Replace is not set.
var ErrTargetNotEmpty = errors.New("target database already holds newswatch state")

// sqliteVersions are the SQLite schema versions CopyFromSQLite reads.
// Version 5 (noise control) is copied whole: the outbox's digest parts,
// flood windows, digests (open and posted) and the articles held for them.
const sqliteMin, sqliteMax = 3, 5

// CopyOptions tune CopyFromSQLite.
type CopyOptions struct {
	// Replace allows a target that already holds state: its items,
	// stories, fetch state, outbox and notes are replaced (in the same
	// transaction as the copy).
	Replace bool
}

// CopyStats counts the rows copied, per table.
type CopyStats map[string]int64

// CopyFromSQLite copies the SQLite state db (a database/sql handle on the
// file, opened by the caller, who holds its state lock) into this
// database, in one PostgreSQL transaction: on any error nothing is
// written. The SQLite side is read in one read transaction, a consistent
// snapshot. Ids are kept (items and alerts refer to stories and parents by
// id, Slack message metadata to alert ids); the identity sequences then
// move past them. Running it again with Replace gives the same result.
func (s *Store) CopyFromSQLite(ctx context.Context, db *sql.DB, opts CopyOptions) (CopyStats, error) {
	src, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("pgstore: copy from sqlite: %w", err)
	}
	defer src.Rollback()
	version, err := sqliteVersion(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("pgstore: copy from sqlite: %w", err)
	}
	stats := CopyStats{}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := prepareTarget(ctx, tx, opts.Replace); err != nil {
			return err
		}
		for _, t := range copyTables(version) {
			n, err := t.copy(ctx, src, tx)
			if err != nil {
				return fmt.Errorf("%s: %w", t.target, err)
			}
			stats[t.target] = n
		}
		return resetSequences(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: copy from sqlite: %w", err)
	}
	return stats, nil
}

// sqliteVersion reads and checks the SQLite state's schema version.
func sqliteVersion(ctx context.Context, src *sql.Tx) (int, error) {
	var v sql.NullInt64
	if err := src.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("not a newswatch state (schema_version: %w)", err)
	}
	switch {
	case v.Int64 < sqliteMin:
		return 0, fmt.Errorf("SQLite state is at schema version %d; run this newswatch on it once (it migrates) before copying", v.Int64)
	case v.Int64 > sqliteMax:
		return 0, fmt.Errorf("SQLite state is at schema version %d, newer than this newswatch reads (%d)", v.Int64, sqliteMax)
	}
	return int(v.Int64), nil
}

// stateTables are the tables that hold state (not coordination).
var stateTables = []string{"fetch_state", "story_bands", "stories", "items", "outbox", "notes", "flood_windows", "digests", "held"}

// prepareTarget refuses a target holding state, or empties it for Replace.
func prepareTarget(ctx context.Context, tx pgx.Tx, replace bool) error {
	if replace {
		_, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(stateTables, ", "))
		return err
	}
	var full bool
	q := make([]string, len(stateTables))
	for i, t := range stateTables {
		q[i] = `EXISTS (SELECT 1 FROM ` + t + `)`
	}
	if err := tx.QueryRow(ctx, `SELECT `+strings.Join(q, " OR ")).Scan(&full); err != nil {
		return err
	}
	if full {
		return fmt.Errorf("%w (copy with replace to overwrite it)", ErrTargetNotEmpty)
	}
	return nil
}

// resetSequences moves each identity past the largest copied id, so the
// next row the store inserts does not collide with one.
func resetSequences(ctx context.Context, tx pgx.Tx) error {
	for _, t := range []string{"stories", "outbox", "digests"} {
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'),
			COALESCE((SELECT max(id) FROM `+t+`), 0) + 1, false)`); err != nil {
			return fmt.Errorf("%s id sequence: %w", t, err)
		}
	}
	return nil
}

// kind is how a column is read from SQLite and written to PostgreSQL.
type kind int

const (
	text     kind = iota // TEXT NOT NULL
	nullText             // TEXT, NULL allowed
	integer              // INTEGER NOT NULL
	nullInt              // INTEGER, NULL allowed
	boolean              // BOOLEAN (0/1 in SQLite)
	blob                 // BLOB NOT NULL
)

// copyTable copies one SQLite table's columns (the same names on both
// sides) to target. expand, if set, turns each source row into the target
// rows (story bands); otherwise each row is copied as it is.
type copyTable struct {
	target, source string // source: the SELECT
	kinds          []kind
	cols           []string
	expand         func(row []any) ([][]any, error)
}

func table(target, from string, cols ...any) copyTable {
	t := copyTable{target: target}
	for i := 0; i < len(cols); i += 2 {
		t.cols = append(t.cols, cols[i].(string))
		t.kinds = append(t.kinds, cols[i+1].(kind))
	}
	t.source = `SELECT ` + strings.Join(t.cols, ", ") + ` FROM ` + from
	return t
}

// copyTables lists what to copy from a SQLite state at version, parents
// before children.
func copyTables(version int) []copyTable {
	ts := []copyTable{
		table("fetch_state", "fetch_state ORDER BY source",
			"source", text, "etag", text, "last_modified", text, "last_fetch", nullInt,
			"last_result", text, "last_error", text, "consecutive_failures", integer,
			"next_attempt", nullInt, "fetched", boolean),
		table("stories", "stories ORDER BY id", "id", integer, "signature", blob, "created", integer),
		bandsTable(),
		table("items", "items ORDER BY source, key",
			"source", text, "key", text, "canonical_link", nullText, "content_hash", text, "rules", text,
			"story_id", nullInt, "published", nullInt, "first_seen", integer, "last_seen", nullInt),
	}
	outbox := []any{"id", integer, "kind", text, "channel", text, "story_id", nullInt, "parent_id", nullInt,
		"payload", text, "state", text, "attempts", integer, "next_attempt", integer, "ts", text,
		"last_error", text, "created", integer, "updated", integer}
	if version >= 4 {
		outbox = append(outbox, "attempt_started", nullInt)
	}
	ts = append(ts, table("outbox", "outbox ORDER BY id", outbox...))
	if version >= 4 {
		ts = append(ts, table("notes", "notes ORDER BY key", "key", text, "value", text, "updated", integer))
	}
	if version >= 5 {
		ts = append(ts,
			table("flood_windows", "flood_windows ORDER BY channel", "channel", text, "start", integer, "singles", integer),
			table("digests", "digests ORDER BY id", "id", integer, "channel", text, "key", text,
				"opened", integer, "due", integer, "posted", nullInt, "outbox_id", nullInt),
			// In rowid order, so held's seq keeps the order they were held in.
			table("held", "held ORDER BY created, rowid", "channel", text, "source", text, "item_key", text,
				"story_id", nullInt, "digest_id", integer, "rules", text, "article", text, "created", integer))
	}
	return ts
}

// bandsTable reads each story's band blob (8-byte big-endian keys) and
// writes a story_bands row per key.
func bandsTable() copyTable {
	t := table("story_bands", "stories ORDER BY id", "id", integer, "created", integer, "bands", blob)
	t.expand = func(row []any) ([][]any, error) {
		id, created, b := row[0], row[1], row[2].([]byte)
		if len(b)%8 != 0 {
			return nil, fmt.Errorf("story %v: bands blob of %d bytes is not a list of 8-byte keys", id, len(b))
		}
		seen := map[int64]bool{}
		var out [][]any
		for i := 0; i < len(b); i += 8 {
			k := int64(binary.BigEndian.Uint64(b[i:]))
			if !seen[k] {
				seen[k] = true
				out = append(out, []any{k, created, id})
			}
		}
		return out, nil
	}
	return t
}

// copy streams the source rows into target with COPY.
func (t copyTable) copy(ctx context.Context, src *sql.Tx, tx pgx.Tx) (int64, error) {
	rows, err := src.QueryContext(ctx, t.source)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols := t.cols
	if t.expand != nil {
		cols = []string{"band", "created", "story_id"}
	}
	var pending [][]any // expanded rows not yet handed to COPY
	var scanErr error
	next := func() bool {
		for len(pending) == 0 {
			if !rows.Next() {
				return false
			}
			row, err := scanRow(rows, t.kinds)
			if err == nil && t.expand != nil {
				pending, err = t.expand(row)
			} else if err == nil {
				pending = [][]any{row}
			}
			if err != nil {
				scanErr = err
				return false
			}
		}
		return true
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{t.target}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if !next() {
			return nil, scanErr
		}
		row := pending[0]
		pending = pending[1:]
		return row, nil
	}))
	if err != nil {
		return 0, err
	}
	return n, rows.Err()
}

// scanRow reads one row in the table's column kinds.
func scanRow(rows *sql.Rows, kinds []kind) ([]any, error) {
	dest := make([]any, len(kinds))
	for i, k := range kinds {
		switch k {
		case text:
			dest[i] = new(string)
		case nullText:
			dest[i] = new(sql.NullString)
		case integer:
			dest[i] = new(int64)
		case nullInt:
			dest[i] = new(sql.NullInt64)
		case boolean:
			dest[i] = new(bool)
		case blob:
			dest[i] = new([]byte)
		}
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	out := make([]any, len(kinds))
	for i, d := range dest {
		switch v := d.(type) {
		case *string:
			out[i] = *v
		case *sql.NullString:
			out[i] = nullable(v.String, v.Valid)
		case *int64:
			out[i] = *v
		case *sql.NullInt64:
			out[i] = nullable(v.Int64, v.Valid)
		case *bool:
			out[i] = *v
		case *[]byte:
			out[i] = nonNil(*v)
		}
	}
	return out, nil
}

func nullable[T any](v T, ok bool) any {
	if !ok {
		return nil
	}
	return v
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
