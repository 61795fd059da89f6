package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/store/pgstore"
	"github.com/newswatch/newswatch/story"
)

// With `state: postgres://…` several newswatch processes (replicas) share
// one database. Each runs every schedule; a tick of a source is fetched by
// the one replica that claims it (pgstore.ClaimTick), the outbox is
// claimed alert by alert (pgstore's DueAlerts), and Slack's pacing per
// channel is reserved in the database. A heartbeat row per replica lets
// `status` and /metrics say who is alive and whether their configs agree.

// Coordination timings.
const (
	heartbeatEvery = 10 * time.Second
	// DefaultTickLease bounds a fetch's claim: a replica that dies
	// mid-fetch holds the source for this long at most. A fetch is bounded
	// by the fetch client's timeouts, well below it, and renews its lease
	// while it runs; one that outlives it all the same (a paused process,
	// a database it could not reach to renew) may meet the next tick's
	// fetch by another replica: its items are recorded once all the same
	// (items ON CONFLICT, stories under band locks), and its fetch state,
	// fenced by the lease, does not overwrite the newer one (tickHold).
	DefaultTickLease = 2 * time.Minute
	// replicasForgotten is when a replica that died without leaving is
	// dropped from the list.
	replicasForgotten = 24 * time.Hour
)

// replication is this process's part among the replicas; nil for SQLite.
type replication struct {
	pg        *pgstore.Store
	self      pgstore.Replica
	log       *slog.Logger
	tickLease time.Duration

	mu       sync.Mutex
	hash     string // of the config in force
	differ   string // the disagreement last logged, "" none
	beatErrs int    // heartbeats failed in a row
	claimErr bool   // a tick claim failed since the last that succeeded
}

// openPostgres opens the shared database for this replica. Copies of one
// story that two replicas record at once are folded into one story with
// the story package's own similarity, within the story window.
func openPostgres(ctx context.Context, cfg *config.Config, id string, claimLease time.Duration) (*pgstore.Store, error) {
	return pgstore.Open(ctx, cfg.State, pgstore.Options{
		Owner:      id,
		ClaimLease: claimLease,
		Similar:    func(a, b []byte) bool { return story.Similar(a, b) },
		FoldWithin: min(pgstore.DefaultFoldWithin, cfg.StoryWindow),
	})
}

// The PostgreSQL store keeps everything the daemon does, noise control's
// holding stage included (issue 14): checked by the compiler, so a State
// grown by other work fails the build until pgstore has it, rather than a
// store silently dropping what the pipeline writes.
var (
	_ State       = (*pgstore.Store)(nil)
	_ statusState = (*pgstore.Store)(nil)
)

func newReplication(pg *pgstore.Store, o Options, log *slog.Logger) *replication {
	host, _ := os.Hostname()
	r := &replication{pg: pg, log: log, tickLease: o.TickLease, self: pgstore.Replica{
		ID: pg.Owner(), Host: host, PID: os.Getpid(), Version: o.Version, Started: time.Now(),
	}}
	if r.tickLease <= 0 {
		r.tickLease = DefaultTickLease
	}
	return r
}

// configHash names a config by its file's bytes ("" without a file), so
// replicas can tell whether they run the same one.
func configHash(path string) string {
	if path == "" {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func (r *replication) setConfig(hash string) {
	r.mu.Lock()
	r.hash = hash
	r.mu.Unlock()
}

// heartbeatLoop beats until ctx ends, then leaves.
func (r *replication) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		r.beat(ctx)
		select {
		case <-ctx.Done():
			leave, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := r.pg.Leave(leave, r.self.ID); err != nil {
				r.log.Warn("replica leave", "err", err)
			}
			return
		case <-t.C:
		}
	}
}

// beat records this replica alive, drops long-dead ones, and logs once
// per change when alive replicas run other configs than this one.
func (r *replication) beat(ctx context.Context) {
	r.mu.Lock()
	self := r.self
	self.ConfigHash = r.hash
	r.mu.Unlock()
	if err := r.pg.Heartbeat(ctx, self); err != nil {
		r.beatFailed(ctx, err)
		return
	}
	r.beatOK()
	if _, err := r.pg.PruneReplicas(ctx, replicasForgotten); err != nil && ctx.Err() == nil {
		r.log.Warn("prune replicas", "err", err)
	}
	rs, err := r.pg.Replicas(ctx)
	if err != nil {
		return
	}
	r.noteDisagreement(rs, self.ConfigHash)
}

func (r *replication) beatFailed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	r.mu.Lock()
	r.beatErrs++
	first := r.beatErrs == 1
	r.mu.Unlock()
	if first {
		r.log.Error("heartbeat: database unreachable", "err", err)
	}
}

func (r *replication) beatOK() {
	r.mu.Lock()
	failed := r.beatErrs
	r.beatErrs = 0
	r.mu.Unlock()
	if failed > 0 {
		r.log.Info("heartbeat: database reachable again", "failed_beats", failed)
	}
}

func (r *replication) noteDisagreement(rs []pgstore.Replica, hash string) {
	var others []string
	for _, o := range pgstore.Disagreeing(rs, hash) {
		others = append(others, fmt.Sprintf("%s@%s(pid %d, config %s)", o.ID, o.Host, o.PID, o.ConfigHash))
	}
	slices.Sort(others)
	key := strings.Join(others, ", ")
	r.mu.Lock()
	changed := key != r.differ
	r.differ = key
	r.mu.Unlock()
	switch {
	case changed && key != "":
		r.log.Warn("replicas run a different config than this one", "config", hash, "others", key)
	case changed:
		r.log.Info("replicas agree on the config", "config", hash)
	}
}

// claim takes source's tick for this replica: won false means another
// replica has it, or, with err, that the database cannot say (logged once
// per outage), and the tick is skipped: a fetch whose state cannot be
// written would only be repeated.
func (r *replication) claim(ctx context.Context, source string, tick time.Time) (won bool, err error) {
	won, err = r.pg.ClaimTick(ctx, source, tick, r.self.ID, r.tickLease)
	r.mu.Lock()
	first := err != nil && !r.claimErr
	recovered := err == nil && r.claimErr
	r.claimErr = err != nil
	r.mu.Unlock()
	switch {
	case err != nil && ctx.Err() != nil:
	case first:
		// Once per outage, not once per source and tick.
		r.log.Warn("cannot claim ticks: skipping fetches until the database answers", "source", source, "err", err)
	case err != nil:
		r.log.Debug("claim tick", "source", source, "tick", tick.Format(time.RFC3339), "err", err)
	case recovered:
		r.log.Info("claiming ticks again")
	}
	return err == nil && won, err
}
