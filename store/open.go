package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Errors of opening a state file, wrapped with the path and what to do.
var (
	// ErrEmptyState: the file exists but has no bytes (truncated, or an
	// empty volume file). Refused: starting afresh would alert every item
	// again.
	ErrEmptyState = errors.New("store: state file is empty")
	// ErrForeignState: the file is not a newswatch state (not SQLite, or a
	// SQLite database without newswatch's schema).
	ErrForeignState = errors.New("store: not a newswatch state file")
	// ErrReadOnly: the file or its directory cannot be written.
	ErrReadOnly = errors.New("store: state is not writable")
	// ErrNoState: OpenSQLiteReadOnly found no file at the path.
	ErrNoState = errors.New("store: no state file")
	// ErrSchemaMismatch: OpenSQLiteReadOnly found a state of another
	// schema version, which it does not migrate.
	ErrSchemaMismatch = errors.New("store: state schema version differs")
)

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// prepareFile makes path ready to open for writing: it creates a new state
// where no file exists and refuses an empty, foreign or unwritable one.
func prepareFile(ctx context.Context, path string, now func() time.Time) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return create(ctx, path, now)
	case err != nil:
		return fmt.Errorf("store: open %s: %w", path, err)
	case fi.IsDir():
		return fmt.Errorf("store: open %s: %w (it is a directory)", path, ErrForeignState)
	}
	if err := checkContent(path, fi); err != nil {
		return err
	}
	if err := checkWritable(path); err != nil {
		return err
	}
	// Look before the write pool's pragmas touch the file.
	db, err := openReadOnly(ctx, path, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if ok, err := hasSchema(ctx, db); err != nil || !ok {
		if err != nil {
			return fmt.Errorf("store: open %s: %w", path, err)
		}
		return fmt.Errorf("%w: %s is a SQLite database without newswatch's tables; check the state key in the config", ErrForeignState, path)
	}
	return nil
}

// checkContent refuses an empty file or one that is not SQLite.
func checkContent(path string, fi fs.FileInfo) error {
	if fi.Size() == 0 {
		return fmt.Errorf("%w: %s has 0 bytes; refusing to start from a blank state, which would alert every item again: restore it from a backup, or delete it to start afresh", ErrEmptyState, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, readOnlyIfDenied(err))
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteMagic) {
		return fmt.Errorf("%w: %s is not a SQLite database; check the state key in the config", ErrForeignState, path)
	}
	return nil
}

// checkWritable says in words when the file or its directory (where SQLite
// keeps the -wal and -shm files) cannot be written.
func checkWritable(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, readOnlyIfDenied(err))
	}
	f.Close()
	probe, err := os.CreateTemp(filepath.Dir(path), ".newswatch-probe-*")
	if err != nil {
		return fmt.Errorf("%w: directory %s: newswatch keeps %s-wal and %s-shm beside the state and must be able to create them (%v)",
			ErrReadOnly, filepath.Dir(path), filepath.Base(path), filepath.Base(path), err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

func readOnlyIfDenied(err error) error {
	if errors.Is(err, fs.ErrPermission) || isReadOnlyFS(err) {
		return fmt.Errorf("%w: the file is read-only for this user or on a read-only file system (%v); newswatch writes its state (seen items, the outbox) as it runs", ErrReadOnly, err)
	}
	return err
}

// create makes a new, fully migrated state at path: built in path.new
// (0600), closed, then renamed over nothing. A crash midway leaves only the
// .new file, which the next start replaces.
func create(ctx context.Context, path string, now func() time.Time) error {
	tmp := path + ".new"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"} {
		os.Remove(p)
	}
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: create %s: %w", path, readOnlyIfDenied(err))
	}
	f.Close()
	db, err := openPool(ctx, tmp, false)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	err = migrate(ctx, db, now)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("store: create %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes a rename in dir durable; failure only weakens durability.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// hasSchema reports whether db has newswatch's schema_version table.
func hasSchema(ctx context.Context, db *sql.DB) (bool, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).Scan(&n)
	if err != nil {
		return false, err
	}
	return n > 0, nil
}

// WidePermissions returns the state's files (the database, -wal, -shm and
// the lock) that group or others may read or write, for a warning.
func WidePermissions(path string) []string {
	var wide []string
	for _, p := range []string{path, path + "-wal", path + "-shm", path + ".lock"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			wide = append(wide, fmt.Sprintf("%s (%#o)", p, fi.Mode().Perm()))
		}
	}
	return wide
}

// OpenSQLiteReadOnly opens an existing state for reading only, as `status`
// does: it creates nothing, migrates nothing and builds no story index, and
// works on a read-only file system. Only the methods that read fetch state
// and the outbox may be used on it; writes fail.
func OpenSQLiteReadOnly(ctx context.Context, path string) (*SQLite, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store: open %q: path must be non-empty and contain no '?' or '#'", path)
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s (has newswatch run with this config? check the state key)", ErrNoState, path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := checkContent(path, fi); err != nil {
		return nil, err
	}
	db, err := openReadOnly(ctx, path, false)
	if err != nil {
		// A WAL database in a directory this user cannot write (a
		// read-only mount) cannot get its -shm file: read it as immutable.
		if db, err = openReadOnly(ctx, path, true); err != nil {
			return nil, err
		}
	}
	s := &SQLite{w: db, r: db, now: time.Now}
	if err := s.checkVersion(ctx, path); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func openReadOnly(ctx context.Context, path string, immutable bool) (*sql.DB, error) {
	dsn := "file:" + strings.ReplaceAll(path, "%", "%25") + "?mode=ro"
	if immutable {
		dsn += "&immutable=1"
	}
	dsn += fmt.Sprintf("&_pragma=busy_timeout(%d)&_pragma=query_only(1)", busyTimeout.Milliseconds())
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := hasSchema(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s read-only: %w", path, err)
	}
	return db, nil
}

func (s *SQLite) checkVersion(ctx context.Context, path string) error {
	ok, err := hasSchema(ctx, s.r)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	if !ok {
		return fmt.Errorf("%w: %s is a SQLite database without newswatch's tables", ErrForeignState, path)
	}
	v, err := currentVersion(ctx, s.r)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	if v != schemaVersion() {
		return fmt.Errorf("%w: %s has schema version %d, this newswatch reads %d; run this version's daemon on it once to migrate it",
			ErrSchemaMismatch, path, v, schemaVersion())
	}
	return nil
}
