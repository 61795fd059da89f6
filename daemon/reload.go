package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/flood"
)

// reload applies a valid config at once. An invalid one is reported with
// its FILE:LINE:COL errors and the last good config stays in force. State is
// never touched: seen items, stories and the outbox live in the store.
func (d *Daemon) reload(path string, sched *scheduler) {
	if path == "" {
		d.log.Warn("reload requested but the daemon has no config file")
		return
	}
	next, err := config.Load(path, config.Options{Version: d.opts.Version, LookupEnv: d.opts.LookupEnv})
	if err != nil {
		d.metrics.reloadSuccess.Set(0)
		var errs config.Errors
		if errors.As(err, &errs) {
			for _, e := range errs {
				d.log.Error("config reload rejected; keeping the last good config", "error", e.Error())
			}
		} else {
			d.log.Error("config reload rejected; keeping the last good config", "err", err)
		}
		return
	}
	cur := d.Config()
	if next.Slack.Mode() != cur.Slack.Mode() {
		// Rule channels were resolved for the new mode (a webhook has one
		// channel); applying them with the old client would misroute alerts.
		d.metrics.reloadSuccess.Set(0)
		d.log.Error("config reload rejected; keeping the last good config",
			"error", "slack mode changes from "+cur.Slack.Mode()+" to "+next.Slack.Mode()+": restart to apply")
		return
	}
	d.keepRestartOnly(cur, next)
	d.cfg.Store(next) // before apply: sources polled at once must see the new rules
	if err := sched.apply(next); err != nil {
		d.cfg.Store(cur)
		d.metrics.reloadSuccess.Set(0)
		d.log.Error("config reload rejected; keeping the last good config", "err", err)
		return
	}
	d.applyHosts(next)
	if d.repl != nil {
		d.repl.setConfig(configHash(path))
	}
	if err := d.rescheduleDigests(next); err != nil {
		d.log.Error("reschedule digests", "err", err)
	}
	d.metrics.reloadSuccess.Set(1)
	d.metrics.reloadTimestamp.Set(float64(time.Now().Unix()))
	d.log.Info("config reloaded", "sources", len(next.Sources), "rules", len(next.Rules))
}

// keepRestartOnly carries over settings that a reload cannot change in a
// running process (the store, the listener, the Slack client), warning
// when the file asks for a change.
func (d *Daemon) keepRestartOnly(cur, next *config.Config) {
	if next.State != cur.State {
		d.log.Warn("state changed in config; restart to use it", "key", "state")
		next.State = cur.State
	}
	if next.Listen != cur.Listen {
		d.log.Warn("listen changed in config; restart to use it", "key", "listen")
		next.Listen = cur.Listen
	}
	if next.Slack.Token != cur.Slack.Token || next.Slack.WebhookURL != cur.Slack.WebhookURL || next.Slack.APIURL != cur.Slack.APIURL {
		d.log.Warn("slack credentials changed in config; restart to use them", "key", "slack")
		next.Slack.Token, next.Slack.WebhookURL, next.Slack.APIURL = cur.Slack.Token, cur.Slack.WebhookURL, cur.Slack.APIURL
	}
}

// rescheduleDigests recomputes the due time of every open digest under the
// reloaded flood: and digest: settings (flood.Reschedule): held articles
// stay held; a digest whose rule lost its digest: is due at once, and the
// digest loop posts it. Under recordMu, so no fetch holds meanwhile.
func (d *Daemon) rescheduleDigests(cfg *config.Config) error {
	policy, err := cfg.FloodPolicy()
	if err != nil {
		return err
	}
	d.recordMu.Lock()
	defer d.recordMu.Unlock()
	ctx := context.Background()
	open, err := d.state.OpenDigests(ctx)
	if err != nil {
		return err
	}
	now := d.now()
	var changed []flood.Bucket
	for _, b := range open {
		if nb := flood.Reschedule(policy, b, now); !nb.Due.Equal(b.Due) {
			changed = append(changed, nb)
		}
	}
	if len(changed) > 0 {
		if err := d.state.RescheduleDigests(ctx, changed); err != nil {
			return err
		}
		d.log.Info("digests rescheduled", "digests", len(changed))
	}
	d.wakeDigests()
	return nil
}
