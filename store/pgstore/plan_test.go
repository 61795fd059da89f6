package pgstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

// TestLookupsPlannedEachRun: the look-ups over growing tables are not
// left to a generic plan settled while the table was small (one
// connection, so the catalogue read is that connection's): they are never
// prepared, so PostgreSQL plans them with their values every time.
func TestLookupsPlannedEachRun(t *testing.T) {
	s := openTest(t, pgtest.NewDatabase(t), Options{MaxConns: 1})
	ctx := context.Background()
	for i := range 8 {
		if _, err := s.KnownItems(ctx, "feed", []string{fmt.Sprint("k", i)}, []string{fmt.Sprint("http://x/", i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StoryCandidates(ctx, []int64{int64(i)}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := s.TouchLinks(ctx, []string{fmt.Sprint("http://x/", i)}); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := s.Pool().Query(ctx, `SELECT statement, generic_plans FROM pg_prepared_statements
		WHERE statement LIKE '%= ANY(%' AND statement NOT LIKE '%pg_prepared_statements%'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var sql string
		var generic int64
		if err := rows.Scan(&sql, &generic); err != nil {
			t.Fatal(err)
		}
		t.Errorf("prepared (%d generic plans): %.80s", generic, sql)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
