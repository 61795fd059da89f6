package pgstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestOpenHidesPassword: whatever goes wrong, the error never shows the
// password, in the userinfo or in a query parameter the config filled from
// ${VAR}. Port 1 on loopback refuses the connection.
func TestOpenHidesPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for name, dsn := range map[string]string{
		"userinfo":  "postgres://newswatch:hunter2secret@127.0.0.1:1/nw?sslmode=disable&connect_timeout=2",
		"query":     "postgresql://newswatch@127.0.0.1:1/nw?sslmode=disable&password=hunter2secret",
		"var param": "postgres://newswatch@127.0.0.1:1/nw?sslmode=disable&options=hunter2secret",
		"bad url":   "postgres://newswatch:hunter2secret@127.0.0.1:notaport/nw",
		"bad param": "postgres://newswatch:hunter2secret@127.0.0.1:1/nw?pool_max_conns=many",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Open(ctx, dsn, Options{SecretParams: []string{"options"}})
			if err == nil {
				t.Fatal("open succeeded")
			}
			t.Log(err)
			if strings.Contains(err.Error(), "hunter2secret") {
				t.Errorf("error shows the secret: %v", err)
			}
			if !strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("error does not say which server: %v", err)
			}
		})
	}
}

func TestOpenRefusesNonURL(t *testing.T) {
	for _, dsn := range []string{"host=127.0.0.1 user=postgres password=hunter2secret", "newswatch.db", "mysql://x@y/z"} {
		_, err := Open(context.Background(), dsn, Options{})
		if !errors.Is(err, ErrNotPostgresURL) {
			t.Errorf("open %q = %v, want ErrNotPostgresURL", dsn, err)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2secret") {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}

// TestOpenSessions: sessions name themselves newswatch, and MaxConns caps
// the pool.
func TestOpenSessions(t *testing.T) {
	t.Parallel()
	s := openTest(t, pgtest.NewDatabase(t), Options{MaxConns: 3})
	var app string
	if err := s.Pool().QueryRow(context.Background(), `SELECT current_setting('application_name')`).Scan(&app); err != nil {
		t.Fatal(err)
	}
	if app != "newswatch" {
		t.Errorf("application_name = %q", app)
	}
	if got := s.Pool().Config().MaxConns; got != 3 {
		t.Errorf("MaxConns = %d, want 3", got)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("ping: %v", err)
	}
	s.Close()
	if err := s.Ping(context.Background()); err == nil {
		t.Error("ping of a closed store succeeded")
	}
}

func TestIsURL(t *testing.T) {
	for s, want := range map[string]bool{
		"postgres://h/db": true, "postgresql://h/db": true, "newswatch.db": false, "Postgres://h/db": false, "": false,
	} {
		if got := IsURL(s); got != want {
			t.Errorf("IsURL(%q) = %v", s, got)
		}
	}
}
