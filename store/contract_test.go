package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/storetest"
)

// TestContract runs the store contract (package storetest) against
// SQLite; pgstore runs the same against PostgreSQL.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Store {
		s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"), now)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
