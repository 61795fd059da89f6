// Package pgstore keeps newswatch's state in PostgreSQL, so that several
// replicas share one database: the same tables as the SQLite store
// (package store), plus what only replicas need. It implements every
// method of daemon.State (the contract suite, store/storetest, runs against
// it and the SQLite store alike) and the coordination of replicas:
//
//   - Open: a pgxpool from a postgres:// URL, then versioned migrations
//     (schema_migrations), each in its own transaction and all of them under
//     a session advisory lock, so replicas that start together migrate once;
//     a database whose schema is newer than this binary is refused.
//   - Tick leases (ClaimTick, RenewTick, ReleaseTick): one replica fetches a
//     source for a given cron tick; a lease whose owner died expires and a
//     later tick goes to a live replica. A fetch state fenced by its lease
//     (store.Fence) is written only while the lease still names it, so a
//     fetch that outlived its lease does not undo a newer one (ErrLeaseLost).
//   - Replica heartbeats (Heartbeat, Replicas, ConfigsAgree).
//   - Slack pacing per channel (ReserveSend, HoldChannel): a next-send time
//     in the database, so one message a second per channel holds across
//     replicas.
//   - LockBands: transaction advisory locks on a story's sorted band keys,
//     so two replicas recording copies of one story serialise and fold them
//     into one story; StoryCandidates reads the band look-up from the
//     database (story_bands), so another replica's stories are candidates.
//   - ClaimDue: due alerts claimed with FOR UPDATE SKIP LOCKED and a lease,
//     so two replicas never deliver one alert and a dead one's claims pass
//     to the others.
//   - The SQLite store's fetch-state and notes methods (same shapes), so a
//     conditional GET and a backoff hold whichever replica fetches.
//   - CopyFromSQLite: a SQLite state copied in, for migrate-state.
//   - RecordFetch: a fetch in one transaction, under LockBands, folding a
//     new story into one another replica founded meanwhile (Options.Similar).
//   - DueAlerts as ClaimDue for this store's owner; marks that check the
//     claim (ErrLeaseLost).
//   - Noise control's state (flood.go): holds, releases and flood windows
//     written in RecordFetch, a window only if still the one its decision
//     read (FloodKey lock, ErrWindowMoved), so replicas never both post a
//     window's last single; PostDigest once, whichever replica posts.
//
// Times are stored as integer Unix microseconds, as in the SQLite store, so
// the two schemas hold the same values and migrate-state copies them as they
// are. See docs/architecture.md ("PostgreSQL and replicas").
package pgstore
