package pgstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestOutboxAcrossReplicas: an alert one replica claimed through DueAlerts
// is not due for another, whose marks of it are refused with ErrLeaseLost;
// a replica that closes gives its undelivered claims back at once.
func TestOutboxAcrossReplicas(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a := openTest(t, dsn, Options{Owner: "replica-a"})
	b := openTest(t, dsn, Options{Owner: "replica-b"})
	var recs []store.Record
	for _, k := range []string{"one", "two"} {
		recs = append(recs, store.Record{Item: store.Item{Source: "s", Key: k},
			NewStory: &store.NewStory{Signature: []byte(k), Bands: []int64{int64(len(k))}},
			Alerts:   []model.Alert{{Kind: model.AlertNew, Channel: "#c", Article: model.Article{Title: k}}}})
	}
	if _, err := a.RecordFetch(ctx, store.Fetch{Source: "s", Records: recs}); err != nil {
		t.Fatal(err)
	}
	due, err := a.DueAlerts(ctx, a.writeNow(), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("a's due = %v, %v; want both", due, err)
	}
	if got, err := b.DueAlerts(ctx, b.writeNow(), 10); err != nil || len(got) != 0 {
		t.Fatalf("b's due while a holds them = %v, %v; want none", got, err)
	}
	if err := b.MarkSent(ctx, due[0].ID, "ts"); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("b marks a's claim: err = %v, want ErrLeaseLost", err)
	}
	if err := a.MarkSent(ctx, due[0].ID, "ts"); err != nil {
		t.Errorf("a marks its claim: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := b.DueAlerts(ctx, b.writeNow(), 10)
	if err != nil || len(got) != 1 || got[0].ID != due[1].ID {
		t.Fatalf("b's due after a closed = %v, %v; want a's undelivered alert %d", got, err, due[1].ID)
	}
}

// TestMarkAttemptKeepsTheClaim: while a post is under way (attempt mark
// set), the alert stays this replica's; the retry that follows ends the
// claim and hands the mark to whichever replica claims it next.
func TestMarkAttemptKeepsTheClaim(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	a := openTest(t, dsn, Options{Owner: "replica-a"})
	b := openTest(t, dsn, Options{Owner: "replica-b"})
	rec := store.Record{Item: store.Item{Source: "s", Key: "k"},
		NewStory: &store.NewStory{Signature: []byte("k"), Bands: []int64{1}},
		Alerts:   []model.Alert{{Kind: model.AlertNew, Channel: "#c"}}}
	if _, err := a.RecordFetch(ctx, store.Fetch{Source: "s", Records: []store.Record{rec}}); err != nil {
		t.Fatal(err)
	}
	due, err := a.DueAlerts(ctx, a.writeNow(), 1)
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %v, %v", due, err)
	}
	started := a.writeNow()
	if err := a.MarkAttempt(ctx, due[0].ID, started); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.DueAlerts(ctx, b.writeNow(), 1); len(got) != 0 {
		t.Fatalf("b claimed an alert a is posting: %v", got)
	}
	if err := a.MarkRetry(ctx, due[0].ID, a.writeNow(), "timeout"); err != nil {
		t.Fatal(err)
	}
	got, err := b.DueAlerts(ctx, b.writeNow(), 1)
	if err != nil || len(got) != 1 || !got[0].AttemptStarted.Equal(started.Truncate(time.Microsecond)) {
		t.Fatalf("b's claim after a's retry = %+v, %v; want the alert with a's attempt mark", got, err)
	}
}

// TestReadOnlyOpen: status's open migrates nothing (an empty database is
// refused, and stays empty) and writes nothing.
func TestReadOnlyOpen(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	if _, err := Open(ctx, dsn, Options{ReadOnly: true}); !errors.Is(err, ErrSchemaOlder) {
		t.Fatalf("read-only open of an empty database: err = %v, want ErrSchemaOlder", err)
	}
	rw := openTest(t, dsn, Options{})
	var tables int
	if err := rw.Pool().QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&tables); err != nil || tables != SchemaVersion() {
		t.Fatalf("migrations = %d, %v", tables, err)
	}
	ro := openTest(t, dsn, Options{ReadOnly: true})
	if _, err := ro.AlertCounts(ctx); err != nil {
		t.Errorf("read: %v", err)
	}
	if err := ro.SetNote(ctx, "k", "v"); err == nil {
		t.Error("a read-only store wrote a note")
	}
}
