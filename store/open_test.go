package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
)

func TestOpenRefusesEmptyAndForeignFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	foreign := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	cases := []struct {
		name    string
		content []byte // nil: use foreign
		want    error
	}{
		{"empty", []byte{}, ErrEmptyState},
		{"text", []byte("state: newswatch.db\n"), ErrForeignState},
		{"sqlite without our schema", nil, ErrForeignState},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := foreign
			if tc.content != nil {
				path = filepath.Join(dir, tc.name+".db")
				if err := os.WriteFile(path, tc.content, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := os.ReadFile(path)
			_, err := OpenSQLite(ctx, path, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("OpenSQLite = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			after, _ := os.ReadFile(path)
			if string(before) != string(after) {
				t.Errorf("the refused file was changed")
			}
			if _, err := OpenSQLiteReadOnly(ctx, path); !errors.Is(err, tc.want) {
				t.Errorf("OpenSQLiteReadOnly = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNewStateFilesArePrivate(t *testing.T) {
	old := umask(0o022)
	defer umask(old)
	s, _, path := openTest(t)
	if err := s.SetNote(context.Background(), "k", "v"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("stat %s: %v", p, err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %#o, want 0600", filepath.Base(p), perm)
		}
	}
	if wide := WidePermissions(path); len(wide) != 0 {
		t.Errorf("WidePermissions = %v, want none", wide)
	}
	os.Chmod(path, 0o644)
	if wide := WidePermissions(path); len(wide) != 1 || !strings.Contains(wide[0], "0644") {
		t.Errorf("WidePermissions after chmod 644 = %v", wide)
	}
}

func TestCreationCrashLeavesNoHalfState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	// A crash during creation leaves only path.new behind.
	if err := os.WriteFile(path+".new", []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := OpenSQLite(context.Background(), path, nil)
	if err != nil {
		t.Fatalf("OpenSQLite after an interrupted creation: %v", err)
	}
	s.Close()
	if _, err := os.Stat(path + ".new"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s.new still there: %v", path, err)
	}
}

func TestReadOnlyOpen(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores file permissions; the read-only directory cannot be simulated")
	}
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	s, err := OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if _, err := OpenSQLite(ctx, path, nil); !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "directory") {
		t.Errorf("OpenSQLite in a read-only directory = %v, want ErrReadOnly naming the directory", err)
	}
	ro, err := OpenSQLiteReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("OpenSQLiteReadOnly in a read-only directory: %v", err)
	}
	defer ro.Close()
	if _, err := ro.AlertCounts(ctx); err != nil {
		t.Errorf("AlertCounts on a read-only state: %v", err)
	}
}

func TestReadOnlyOpenCreatesAndMigratesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo.db")
	if _, err := OpenSQLiteReadOnly(ctx, missing); !errors.Is(err, ErrNoState) {
		t.Errorf("OpenSQLiteReadOnly(missing) = %v, want ErrNoState", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("read-only open of a missing state created %v", entries)
	}
	// An older schema is reported, not migrated.
	s, _, path := openTest(t)
	if _, err := s.w.Exec(`DELETE FROM schema_version WHERE version = ?`, schemaVersion()); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenSQLiteReadOnly(ctx, path); !errors.Is(err, ErrSchemaMismatch) {
		t.Fatalf("OpenSQLiteReadOnly(old schema) = %v, want ErrSchemaMismatch", err)
	}
	if v, _ := currentVersion(ctx, s.r); v != schemaVersion()-1 {
		t.Errorf("schema version = %d after a read-only open, want %d untouched", v, schemaVersion()-1)
	}
}

func TestAttemptMarkAndPostpone(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	mustRecord(t, s, Record{Item: Item{Source: "src", Key: "a", FirstSeen: t0},
		NewStory: &NewStory{Signature: []byte{1}}, Alerts: []model.Alert{newAlert(0, "#c", "a")}})
	due, err := s.DueAlerts(ctx, t0.Add(time.Hour), 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("DueAlerts = %v, %v", due, err)
	}
	id := due[0].ID
	at := t0.Add(time.Minute)
	if err := s.MarkAttempt(ctx, id, at); err != nil {
		t.Fatal(err)
	}
	due, _ = s.DueAlerts(ctx, t0.Add(time.Hour), 10)
	if !due[0].AttemptStarted.Equal(at) {
		t.Errorf("AttemptStarted = %v, want %v", due[0].AttemptStarted, at)
	}
	if err := s.MarkRetry(ctx, id, t0, "timeout"); err != nil {
		t.Fatal(err)
	}
	due, _ = s.DueAlerts(ctx, t0.Add(time.Hour), 10)
	if !due[0].AttemptStarted.Equal(at) || due[0].Attempts != 1 {
		t.Errorf("after MarkRetry: attempts %d, started %v; want 1 and the mark kept", due[0].Attempts, due[0].AttemptStarted)
	}
	if err := s.Postpone(ctx, id, t0, "rate limited"); err != nil {
		t.Fatal(err)
	}
	due, _ = s.DueAlerts(ctx, t0.Add(time.Hour), 10)
	if !due[0].AttemptStarted.IsZero() || due[0].Attempts != 1 {
		t.Errorf("after Postpone: attempts %d, started %v; want 1 (not counted) and the mark cleared", due[0].Attempts, due[0].AttemptStarted)
	}
	pend, err := s.PendingAlerts(ctx, 10)
	if err != nil || len(pend) != 1 || pend[0].Error != "rate limited" || pend[0].Title != "a" {
		t.Errorf("PendingAlerts = %+v, %v", pend, err)
	}
}

func TestNotesAndStateID(t *testing.T) {
	ctx := context.Background()
	s, _, path := openTest(t)
	id, err := s.StateID(ctx)
	if err != nil || len(id) != 32 {
		t.Fatalf("StateID = %q, %v", id, err)
	}
	s.SetNote(ctx, "channel_id:#a", "C1")
	s.SetNote(ctx, "channel_id:#a", "C2")
	s.SetNote(ctx, "notice:x", "y")
	s.Close()
	s2, err := OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if id2, _ := s2.StateID(ctx); id2 != id {
		t.Errorf("state id changed across a reopen: %q -> %q", id, id2)
	}
	got, err := s2.Notes(ctx, "channel_id:")
	if err != nil || len(got) != 1 || got["channel_id:#a"] != "C2" {
		t.Errorf("Notes = %v, %v", got, err)
	}
}

// TestReadOnlyErrorsInWords: the open errors a read-only file or file
// system gives (which the test cannot provoke as root) become ErrReadOnly
// with an explanation, not "unable to open database file (14)".
func TestReadOnlyErrorsInWords(t *testing.T) {
	for _, cause := range []error{
		&os.PathError{Op: "open", Path: "/data/newswatch.db", Err: os.ErrPermission},
		&os.PathError{Op: "open", Path: "/data/newswatch.db", Err: syscall.EROFS},
	} {
		err := readOnlyIfDenied(cause)
		if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), "writes its state") {
			t.Errorf("readOnlyIfDenied(%v) = %v", cause, err)
		}
	}
	if err := readOnlyIfDenied(os.ErrNotExist); errors.Is(err, ErrReadOnly) {
		t.Errorf("a missing file is not read-only: %v", err)
	}
}
