package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/model"
)

// cronParser accepts 5-field specs and descriptors ("@every 10m", "@hourly"),
// the same parser config validates with.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// scheduler runs each source on its own cron spec. A reload replaces the
// whole cron; per-source locks in the daemon keep an old run and a new one
// of the same source from overlapping. Its state (cron, specs, stopping) is
// only read or written under mu; apply is called by Run's loop alone.
type scheduler struct {
	d        *Daemon
	ctx      context.Context // in-flight context: cancelled when shutdown's grace ends
	mu       sync.Mutex
	cron     *cron.Cron
	specs    map[string]model.Source // what is scheduled, to spot changes
	jobs     sync.WaitGroup          // every running job, cron's or a fresh source's
	stopping bool                    // set by stop, under mu
	quit     chan struct{}           // closed by stop: jobs still in their start delay give up
	jitter   time.Duration
}

func newScheduler(ctx context.Context, d *Daemon, jitter time.Duration) *scheduler {
	return &scheduler{d: d, ctx: ctx, jitter: jitter, specs: map[string]model.Source{}, quit: make(chan struct{})}
}

// apply schedules cfg's sources, replacing what ran before, and polls new
// or changed sources at once rather than at their next tick.
func (s *scheduler) apply(cfg *config.Config) error {
	logger := cron.PrintfLogger(slogPrintf{s.d.log})
	c := cron.New(cron.WithParser(cronParser), cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	var fresh []model.Source
	specs := map[string]model.Source{}
	scheds := map[string]cron.Schedule{}
	s.mu.Lock()
	prev := s.specs
	s.mu.Unlock()
	for _, src := range cfg.Sources {
		spec := src.Schedule
		if spec == "" {
			spec = cfg.Schedule
		}
		sched, err := cronParser.Parse(spec)
		if err != nil {
			return err
		}
		if s.d.repl != nil {
			sched = onGrid(sched) // replicas must name ticks alike
		}
		c.Schedule(sched, cron.FuncJob(s.job(src, sched)))
		scheds[src.Name] = sched
		specs[src.Name] = src
		if old, ok := prev[src.Name]; !ok || !reflect.DeepEqual(old, src) {
			fresh = append(fresh, src)
		}
	}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return nil
	}
	old := s.cron
	s.cron, s.specs = c, specs
	c.Start()
	s.mu.Unlock()
	if old != nil {
		old.Stop() // running jobs finish on their own; jobs WaitGroup tracks them
	}
	for _, src := range fresh {
		go s.job(src, scheds[src.Name])()
	}
	return nil
}

// job polls src with the config in force when it fires. With replicas,
// the tick (the scheduled instant, named before the start jitter) is
// claimed after the jitter and before the fetch: the replica that wins
// fetches, the others skip the tick.
func (s *scheduler) job(src model.Source, sched cron.Schedule) func() {
	return func() {
		if !s.begin() {
			return
		}
		defer s.jobs.Done()
		var tick time.Time
		if s.d.repl != nil {
			tick = prevTick(sched, time.Now()) // before the jitter: every replica names it alike
		}
		if s.jitter > 0 {
			select {
			case <-time.After(rand.N(s.jitter)):
			case <-s.quit: // shutdown: a job not yet started is not in flight
				return
			case <-s.ctx.Done():
				return
			}
		}
		s.d.pollTick(s.ctx, s.d.Config(), src, tick)
	}
}

// begin registers a starting job, unless shutdown has begun: a WaitGroup
// must not gain jobs while stop waits on it.
func (s *scheduler) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return false
	}
	s.jobs.Add(1)
	return true
}

// stop ends scheduling: no job starts after it; running ones go on.
func (s *scheduler) stop() {
	s.mu.Lock()
	c := s.cron
	if !s.stopping {
		close(s.quit)
	}
	s.stopping = true
	s.mu.Unlock()
	if c != nil {
		c.Stop()
	}
}

// wait returns when every job has ended; after stop, no new one begins.
func (s *scheduler) wait() { s.jobs.Wait() }

// slogPrintf adapts cron's error logging (recovered panics) to slog.
type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(format string, args ...any) {
	l.log.Error("scheduler", "msg", fmt.Sprintf(format, args...))
}
