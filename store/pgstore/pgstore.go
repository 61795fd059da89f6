package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/newswatch/newswatch/redact"
	"github.com/newswatch/newswatch/store"
)

// Options tune Open. The zero value is ready to use.
type Options struct {
	// Now supplies the times the store compares and writes (lease expiry,
	// heartbeats). nil means the database's clock (clock_timestamp()), one
	// clock for every replica, which is what production wants; tests
	// inject one to move time without sleeping.
	Now func() time.Time
	// AliveWithin is how recent a replica's last heartbeat must be for
	// Replicas to call it alive; 0 means DefaultAliveWithin.
	AliveWithin time.Duration
	// MaxConns caps the pool; 0 keeps pgxpool's default (4 or the CPU
	// count, whichever is larger) unless the URL sets pool_max_conns.
	MaxConns int32
	// SecretParams names query parameters of the URL whose values are
	// secret (the config's ${VAR} values), hidden in every error.
	SecretParams []string
	// Owner names this replica in outbox claims (DueAlerts claims for it;
	// the marks check it). "" means a random id per Open.
	Owner string
	// ClaimLease is how long DueAlerts' claims last; 0 means
	// DefaultClaimLease.
	ClaimLease time.Duration
	// Similar confirms that two story signatures are one story (the
	// daemon passes story.Similar). RecordFetch uses it to fold a new
	// story into one another replica founded meanwhile; nil never folds.
	Similar func(a, b []byte) bool
	// FoldWithin is how recent such a story must be; 0 means
	// DefaultFoldWithin. Keep it within the story window.
	FoldWithin time.Duration
	// ReadOnly opens for reading only (status): every transaction is read
	// only, nothing is migrated, and a database not at this binary's
	// schema version is refused.
	ReadOnly bool
}

// DefaultAliveWithin is how recent a heartbeat must be, by default, for a
// replica to count as alive: three missed beats at a 10 s interval.
const DefaultAliveWithin = 30 * time.Second

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	pool        *pgxpool.Pool
	now         func() time.Time // nil: the database's clock
	aliveWithin time.Duration
	owner       string
	claimLease  time.Duration
	similar     func(a, b []byte) bool
	foldWithin  time.Duration
	readOnly    bool
	queries     *queryCounter
}

// ErrNotPostgresURL is returned by Open for a DSN that is not a
// postgres:// or postgresql:// URL (key=value strings are not accepted:
// they cannot be redacted reliably).
var ErrNotPostgresURL = errors.New("pgstore: state must be a postgres:// or postgresql:// URL")

// IsURL reports whether state names a PostgreSQL database rather than a
// SQLite file.
func IsURL(state string) bool {
	return strings.HasPrefix(state, "postgres://") || strings.HasPrefix(state, "postgresql://")
}

// Open connects to the database at dsn, a postgres:// URL (its password
// may be in the URL, in PGPASSWORD or in ~/.pgpass, as libpq reads them),
// applies pending migrations and returns the store. No error shows the
// password: Open's pass through redact, and pgx's own later errors name
// the user and database, never the password.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if !IsURL(dsn) {
		// Not quoted: redact knows URLs, not key=value strings.
		return nil, fmt.Errorf("pgstore: open: %w", ErrNotPostgresURL)
	}
	s, err := open(ctx, dsn, opts)
	if err != nil {
		return nil, redact.Error(fmt.Errorf("pgstore: open %s: %w", redact.URL(dsn, opts.SecretParams...), err), opts.SecretParams...)
	}
	return s, nil
}

func open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := poolConfig(dsn, opts)
	if err != nil {
		return nil, err
	}
	queries := newQueryCounter()
	cfg.ConnConfig.Tracer = queries
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if opts.ReadOnly {
		err = checkVersion(ctx, pool)
	} else {
		err = migrate(ctx, pool, opts.Now)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, now: opts.Now, aliveWithin: opts.AliveWithin, owner: opts.Owner,
		claimLease: opts.ClaimLease, similar: opts.Similar, foldWithin: opts.FoldWithin, readOnly: opts.ReadOnly, queries: queries}
	if s.aliveWithin <= 0 {
		s.aliveWithin = DefaultAliveWithin
	}
	if s.owner == "" {
		s.owner = NewReplicaID()
	}
	if s.claimLease <= 0 {
		s.claimLease = DefaultClaimLease
	}
	if s.foldWithin <= 0 {
		s.foldWithin = DefaultFoldWithin
	}
	return s, nil
}

// poolConfig parses dsn and applies opts. application_name defaults to
// newswatch so a DBA can tell our sessions in pg_stat_activity.
func poolConfig(dsn string, opts Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "newswatch"
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.ReadOnly {
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	return cfg, nil
}

// Pool is the connection pool, for the store methods built on it and for
// tests.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Owner is the id this store claims outbox alerts under.
func (s *Store) Owner() string { return s.owner }

// NewReplicaID is a random replica id (16 hex digits).
func NewReplicaID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Close gives back this store's outbox claims that it did not deliver
// (so another replica takes them at once rather than when their lease
// ends), then closes the pool, waiting for connections in use to be
// returned.
func (s *Store) Close() error {
	if s.readOnly {
		s.pool.Close()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.pool.Exec(ctx, `UPDATE outbox SET claimed_by = '', claim_expires = NULL
		WHERE claimed_by = $1 AND state = 'pending'`, s.owner)
	s.pool.Close()
	if err != nil {
		return fmt.Errorf("pgstore: close: release claims: %w", err)
	}
	return nil
}

// clock is the time to pass to SQL that takes "now" as a parameter: the
// injected clock's Unix microseconds, or nil for the database's clock (the
// SQL reads a NULL as clock_timestamp(), see nowSQL).
func (s *Store) clock() *int64 {
	if s.now == nil {
		return nil
	}
	us := s.now().UnixMicro()
	return &us
}

// nowSQL is the SQL for "now" in Unix microseconds given the parameter
// placeholder p that clock fills.
func nowSQL(p string) string {
	return "COALESCE(" + p + "::bigint, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint)"
}

// micros is t in the stored form.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros turns a stored time back into a time.Time (UTC).
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// ErrNotFound is returned (wrapped) when a looked-up row does not exist:
// the store package's sentinel, so callers test one error whichever store
// they run on.
var ErrNotFound = store.ErrNotFound

// notFound turns pgx's "no rows" into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// dbTime is t in the stored form, NULL when zero (as in the SQLite store).
func dbTime(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	us := t.UnixMicro()
	return &us
}

// goTime turns a nullable stored time back; NULL is the zero time.
func goTime(us *int64) time.Time {
	if us == nil {
		return time.Time{}
	}
	return fromMicros(*us)
}

// Ping reports whether the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("pgstore: ping: %w", err)
	}
	return nil
}
