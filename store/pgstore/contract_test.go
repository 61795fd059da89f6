package pgstore

import (
	"testing"
	"time"

	"github.com/newswatch/newswatch/store/pgstore/pgtest"
	"github.com/newswatch/newswatch/store/storetest"
)

// TestContract runs the store contract (package storetest), which the
// SQLite store's tests run too, against PostgreSQL.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Store {
		return openTest(t, pgtest.NewDatabase(t), Options{Now: now})
	})
}
