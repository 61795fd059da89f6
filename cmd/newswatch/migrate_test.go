package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestMigrateState: the SQLite state's items and outbox arrive in
// PostgreSQL; a second copy into the now non-empty target is refused
// unless -replace, which gives the same state again.
func TestMigrateState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newswatch.db")
	sq, err := store.OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sq.RecordFetch(ctx, store.Fetch{Source: "wire", Records: []store.Record{{
		Item:     store.Item{Source: "wire", Key: "1", CanonicalLink: "https://example.com/1"},
		NewStory: &store.NewStory{Signature: []byte("s"), Bands: []int64{1, 2}},
		Alerts:   []model.Alert{{Kind: model.AlertNew, Channel: "#news", Article: model.Article{Title: "one"}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	sq.Close()
	dsn := pgtest.NewDatabase(t)
	migrate := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"migrate-state", "-from", path, "-to", dsn}, args...), nil, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := migrate(); code != 0 || !strings.Contains(out, "items") {
		t.Fatalf("first copy: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := migrate(); code != 1 || !strings.Contains(errs, "already holds newswatch state") {
		t.Errorf("second copy without -replace: exit %d, stderr %q; want a refusal", code, errs)
	}
	if code, out, errs := migrate("-replace"); code != 0 {
		t.Errorf("copy with -replace: exit %d\n%s%s", code, out, errs)
	}
	pg, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if seen, err := pg.SeenLink(ctx, "https://example.com/1"); err != nil || !seen {
		t.Errorf("copied item not seen: %v, %v", seen, err)
	}
	if c, err := pg.AlertCounts(ctx); err != nil || c.Pending != 1 {
		t.Errorf("copied outbox = %+v, %v; want one pending", c, err)
	}
}

// TestMigrateStateHidesPassword: a failing copy names the server, never
// the password.
func TestMigrateStateHidesPassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newswatch.db")
	sq, err := store.OpenSQLite(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	sq.Close()
	var out, errb bytes.Buffer
	code := run([]string{"migrate-state", "-from", path, "-to", "postgres://nw:hunter2secret@127.0.0.1:1/nw?sslmode=disable&connect_timeout=2"}, nil, &out, &errb)
	if code == 0 || strings.Contains(out.String()+errb.String(), "hunter2secret") || !strings.Contains(errb.String(), "127.0.0.1") {
		t.Errorf("exit %d, output %q %q: want a failure naming the server without the password", code, out.String(), errb.String())
	}
}
