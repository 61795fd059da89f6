package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Replica is one newswatch process sharing the database, as its heartbeat
// row has it.
type Replica struct {
	ID         string // random per process start
	Host       string
	PID        int
	Version    string // newswatch's version
	ConfigHash string // of the loaded config, to tell whether replicas agree
	Started    time.Time
	LastSeen   time.Time // set by Heartbeat
	Alive      bool      // set by Replicas: LastSeen within Options.AliveWithin
}

// Heartbeat records that r is alive now: it inserts r's row or updates it
// (host, pid, version and config hash may change, on a reload). Started is
// kept from the first beat; zero means now.
func (s *Store) Heartbeat(ctx context.Context, r Replica) error {
	var started *int64
	if !r.Started.IsZero() {
		us := micros(r.Started)
		started = &us
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO replicas AS r (id, host, pid, version, config_hash, started, last_seen)
		SELECT $1, $2, $3, $4, $5, COALESCE($6, c.now), c.now FROM (SELECT `+nowSQL("$7")+` AS now) AS c
		ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version,
			config_hash = excluded.config_hash, last_seen = excluded.last_seen`,
		r.ID, r.Host, r.PID, r.Version, r.ConfigHash, started, s.clock())
	if err != nil {
		return fmt.Errorf("pgstore: heartbeat %s: %w", r.ID, err)
	}
	return nil
}

// Replicas returns every replica that has beaten, by id, each marked alive
// if its last beat is within Options.AliveWithin of now. Dead rows stay
// (for status) until PruneReplicas or Leave removes them.
func (s *Store) Replicas(ctx context.Context) ([]Replica, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, host, pid, version, config_hash, started, last_seen,
			last_seen >= c.now - $2 AS alive
		FROM replicas, (SELECT `+nowSQL("$1")+` AS now) AS c ORDER BY id`, s.clock(), s.aliveWithin.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("pgstore: replicas: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Replica, error) {
		var r Replica
		var started, seen int64
		err := row.Scan(&r.ID, &r.Host, &r.PID, &r.Version, &r.ConfigHash, &started, &seen, &r.Alive)
		r.Started, r.LastSeen = fromMicros(started), fromMicros(seen)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: replicas: %w", err)
	}
	return out, nil
}

// Leave removes replica id's row, at a clean shutdown.
func (s *Store) Leave(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM replicas WHERE id = $1`, id); err != nil {
		return fmt.Errorf("pgstore: leave %s: %w", id, err)
	}
	return nil
}

// PruneReplicas removes the rows of replicas not seen for olderThan (those
// that died without leaving) and returns how many went.
func (s *Store) PruneReplicas(ctx context.Context, olderThan time.Duration) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM replicas WHERE last_seen < `+nowSQL("$1")+` - $2`,
		s.clock(), olderThan.Microseconds())
	if err != nil {
		return 0, fmt.Errorf("pgstore: prune replicas: %w", err)
	}
	return tag.RowsAffected(), nil
}

// ConfigsAgree reports whether every alive replica in rs runs the same
// config (true for none or one).
func ConfigsAgree(rs []Replica) bool {
	hash, seen := "", false
	for _, r := range rs {
		if !r.Alive {
			continue
		}
		if seen && r.ConfigHash != hash {
			return false
		}
		hash, seen = r.ConfigHash, true
	}
	return true
}

// Disagreeing returns the alive replicas in rs whose config hash is not
// hash (this replica's), for the log line that says the configs differ.
func Disagreeing(rs []Replica, hash string) []Replica {
	var out []Replica
	for _, r := range rs {
		if r.Alive && r.ConfigHash != hash {
			out = append(out, r)
		}
	}
	return out
}
