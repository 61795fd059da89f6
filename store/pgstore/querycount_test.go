package pgstore

import (
	"context"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
)

func TestClassify(t *testing.T) {
	for sql, want := range map[string]string{
		claimTickSQL: "tick_leases",
		claimDueSQL:  "outbox",
		`UPDATE tick_leases SET done = TRUE WHERE source = $1`: "tick_leases",
		"begin":         "tx",
		"COMMIT":        "tx",
		"savepoint sp1": "tx",
		`SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k`:         "lock",
		`SELECT story_id, band FROM story_bands WHERE band = ANY($1)`:            "story_bands",
		`INSERT INTO items (source, key) VALUES ($1, $2) ON CONFLICT DO NOTHING`: "items",
		`SELECT 1`: "other",
	} {
		if got := queryOps[classify(sql)]; got != want {
			t.Errorf("classify(%.40q) = %s, want %s", sql, got, want)
		}
	}
}

// TestQueries: the store counts what it sends, by op, with its time.
func TestQueries(t *testing.T) {
	s := openTest(t, pgtest.NewDatabase(t), Options{})
	ctx := context.Background()
	before := counts(s)
	tick := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if _, err := s.ClaimTick(ctx, "feed", tick, "r1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseTick(ctx, "feed", tick, "r1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Heartbeat(ctx, Replica{ID: "r1"}); err != nil {
		t.Fatal(err)
	}
	after := counts(s)
	if d := after["tick_leases"].Count - before["tick_leases"].Count; d != 2 {
		t.Errorf("tick_leases statements: %d, want 2 (claim, release)", d)
	}
	if d := after["replicas"].Count - before["replicas"].Count; d < 1 {
		t.Errorf("replicas statements: %d, want the heartbeat's", d)
	}
	if after["tick_leases"].Time <= before["tick_leases"].Time {
		t.Errorf("tick_leases time did not grow: %v -> %v", before["tick_leases"].Time, after["tick_leases"].Time)
	}
}

func counts(s *Store) map[string]QueryCount {
	m := map[string]QueryCount{}
	for _, q := range s.Queries() {
		m[q.Op] = q
	}
	return m
}
