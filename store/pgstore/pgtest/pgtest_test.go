package pgtest

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestNewDatabase: the database exists, is empty and ours, and is gone
// after the subtest that made it ends.
func TestNewDatabase(t *testing.T) {
	var name string
	t.Run("make", func(t *testing.T) {
		dsn := NewDatabase(t)
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if err := conn.QueryRow(context.Background(), `SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "nw_test_") {
			t.Fatalf("database %q, want nw_test_...", name)
		}
		var n int
		if err := conn.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("fresh database has %d tables (err %v)", n, err)
		}
		// A connection still open at cleanup must not stop the drop.
	})
	if t.Failed() || name == "" {
		return
	}
	conn, err := pgx.Connect(context.Background(), AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

// recorder is a testing.TB that notes whether it was failed or skipped.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()                   {}
func (r *recorder) Fatalf(f string, a ...any) { r.fatal = f }
func (r *recorder) Skipf(f string, a ...any)  { r.skip = f }

// TestUnreachable: no server fails the test in CI and skips it elsewhere.
func TestUnreachable(t *testing.T) {
	for _, ci := range []bool{true, false} {
		r := &recorder{TB: t}
		unreachable(r, ci, context.DeadlineExceeded)
		if ci && (r.fatal == "" || r.skip != "") {
			t.Errorf("in CI: fatal %q skip %q, want a failure", r.fatal, r.skip)
		}
		if !ci && (r.skip == "" || r.fatal != "") {
			t.Errorf("locally: fatal %q skip %q, want a skip", r.fatal, r.skip)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	got, err := withDatabase("postgres://u:pw@127.0.0.1:5433/postgres?sslmode=disable", "nw_test_x")
	if err != nil {
		t.Fatal(err)
	}
	if want := "postgres://u:pw@127.0.0.1:5433/nw_test_x?sslmode=disable"; got != want {
		t.Errorf("withDatabase = %q, want %q", got, want)
	}
}
