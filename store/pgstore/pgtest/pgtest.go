// Package pgtest gives each test a fresh PostgreSQL database of its own:
// NewDatabase creates nw_test_<random> on the server at AdminURL and drops
// it (WITH (FORCE), so connections a failed test left open do not keep it)
// when the test ends. It is for tests only.
//
// The server is the machine's PostgreSQL at 127.0.0.1:5432, as user
// postgres with trust auth, or the URL in NEWSWATCH_TEST_PG (an
// administrative database on a server where the user may CREATE
// DATABASE). When no server answers, the test fails in CI (CI=true: a
// check that did not run must not pass) and is skipped elsewhere, saying
// why.
//
// NewCluster is for tests that stop and start the server itself: it runs
// a throwaway server of the test's own (see Cluster).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newswatch/newswatch/redact"
)

// EnvURL names the variable that overrides DefaultURL.
const EnvURL = "NEWSWATCH_TEST_PG"

// DefaultURL is the machine's PostgreSQL, as the superuser, with trust auth.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// connectTimeout bounds the wait for the server, so an absent one costs a
// test seconds, not minutes.
const connectTimeout = 5 * time.Second

// AdminURL is the URL of the administrative database tests create theirs on.
func AdminURL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return DefaultURL
}

// InCI reports whether the tests run in CI, where an unreachable server
// fails the test instead of skipping it.
func InCI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1"
}

// NewDatabase creates an empty database for t and returns its URL. The
// database is dropped when t and its subtests end.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := AdminURL()
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		unreachable(t, InCI(), redact.Error(err))
		return ""
	}
	defer conn.Close(context.Background())
	name := "nw_test_" + randomHex()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, redact.Error(err))
	}
	t.Cleanup(func() { drop(t, admin, name) })
	dsn, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// unreachable fails (in CI) or skips t for a server that did not answer.
func unreachable(t testing.TB, ci bool, err error) {
	t.Helper()
	notAvailable(t, ci, "pgtest: no PostgreSQL at %s (%v); start one (pg_ctlcluster ... start) or set %s",
		redact.URL(AdminURL()), err, EnvURL)
}

// notAvailable fails t in CI, where a check that did not run must not
// pass, and skips it elsewhere.
func notAvailable(t testing.TB, ci bool, format string, args ...any) {
	t.Helper()
	if ci {
		t.Fatalf(format+"; in CI this is a failure, not a skip", args...)
		return
	}
	t.Skipf(format, args...)
}

func drop(t testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, redact.Error(err))
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: drop database %s: %v", name, redact.Error(err))
	}
}

// withDatabase is admin with its database (the URL's path) replaced.
func withDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", EnvURL, redact.Error(err))
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// randomHex is 8 random bytes in hex: names that parallel tests and
// parallel packages do not share.
func randomHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
