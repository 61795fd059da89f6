package pgtest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestCluster: a committed row survives an immediate (crash-like) stop
// and a fast one; a transaction open at an immediate stop is lost, and its
// connection broken; nothing answers while the server is down; the
// directory is gone after the test.
func TestCluster(t *testing.T) {
	var dir string
	t.Run("run", func(t *testing.T) {
		c := NewCluster(t)
		dir = c.dir
		ctx := context.Background()
		conn := connect(t, c.URL)
		mustExec(t, conn, `CREATE TABLE kept (v int); INSERT INTO kept VALUES (1)`)
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO kept VALUES (2)`); err != nil {
			t.Fatal(err)
		}
		c.Stop(Immediate)
		if err := tx.Commit(ctx); err == nil {
			t.Error("commit after an immediate stop succeeded")
		}
		short, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if down, err := pgx.Connect(short, c.URL); err == nil {
			down.Close(ctx)
			t.Error("connected to a stopped cluster")
		}
		c.Start()
		c.Restart(Fast)
		conn = connect(t, c.URL)
		var sum int
		if err := conn.QueryRow(ctx, `SELECT sum(v) FROM kept`).Scan(&sum); err != nil || sum != 1 {
			t.Errorf("after the restarts sum = %d (err %v), want 1: the committed row only", sum, err)
		}
	})
	if dir == "" {
		return // skipped
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster directory %s after the test: %v, want it removed", dir, err)
	}
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func mustExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}
