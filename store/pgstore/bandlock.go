package pgstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/jackc/pgx/v5"
)

// LockBands takes a transaction advisory lock on each of a story's band
// keys, in ascending order, inside tx; the locks are held until tx ends.
// Two replicas recording copies of one story share band keys, so the
// second waits at its first shared key until the first commits, then finds
// the first's story among its candidates and folds into it instead of
// making a second story (and a second alert). Taking the keys in one order
// everywhere (sorted as int64, repeats dropped) means two recorders with
// overlapping sets can never hold one key each while waiting for the
// other's: they queue, they do not deadlock.
//
// tx must be READ COMMITTED (PostgreSQL's default), and the candidate
// look-up must come after this call: each statement then reads what was
// committed before it started, which includes the story of the recorder it
// waited for. (Under REPEATABLE READ the snapshot could predate that
// commit.)
//
// The keys are advisory locks in PostgreSQL's one-bigint key space, which
// migrations' two-int key lock does not share. Other keys that must
// serialise the same recorders (LinkKey of the canonical link) go in the
// same call, so that one sorted order covers them all. Both band types
// in use convert: int64 (store.NewStory.Bands) and uint64 hashes, by
// their bits.
func LockBands[K ~int64 | ~uint64](ctx context.Context, tx pgx.Tx, bands []K) error {
	keys := make([]int64, len(bands))
	for i, b := range bands {
		keys[i] = int64(b)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if len(keys) == 0 {
		return nil
	}
	// One round trip: unnest yields the array in order and the function
	// runs once per row as the scan yields it (no ORDER BY, which the
	// planner may evaluate after the calls), so the locks are taken in
	// the order of keys.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k`, keys); err != nil {
		return fmt.Errorf("pgstore: lock bands: %w", err)
	}
	return nil
}

// LinkKey is the lock key of a canonical link (FNV-1a, 64 bits), for
// LockBands: two replicas that read one link from two sources at once
// serialise on it and make one item. A collision only serialises two
// unrelated records.
func LinkKey(link string) int64 {
	h := fnv.New64a()
	h.Write([]byte(link))
	return int64(h.Sum64())
}
