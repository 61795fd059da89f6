package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/notifier"
	"github.com/newswatch/newswatch/store/pgstore"
)

// sendGap is the least time between two messages to one channel across
// replicas: Slack's one a second, plus a margin for the replicas' clocks.
const sendGap = 1100 * time.Millisecond

// pacedSender makes Slack's pacing hold across replicas: before each post
// it reserves the channel's next slot in the database (ReserveSend) and
// waits for it, and a Retry-After holds the channel for every replica
// (HoldChannel). The Deliverer's own pacing still applies within this
// process.
type pacedSender struct {
	notifier.Sender
	pg *pgstore.Store
}

func pacedAcrossReplicas(s notifier.Sender, pg *pgstore.Store) notifier.Sender {
	return &pacedSender{Sender: s, pg: pg}
}

// PaceKey is the inner sender's key when it has one, else the channel.
func (p *pacedSender) PaceKey(a model.Alert) string {
	if k, ok := p.Sender.(notifier.PaceKeyer); ok {
		return k.PaceKey(a)
	}
	return a.Channel
}

func (p *pacedSender) Send(ctx context.Context, a model.Alert) (string, bool, error) {
	key := p.PaceKey(a)
	if key != "" {
		if err := p.wait(ctx, key); err != nil {
			// Not posted: the database decides pacing, and cannot now.
			return "", true, fmt.Errorf("pace %s: %w", a.Channel, err)
		}
	}
	ts, retry, err := p.Sender.Send(ctx, a)
	var rl *notifier.RateLimitError
	if key != "" && errors.As(err, &rl) {
		hold, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = p.pg.HoldChannel(hold, key, time.Now().Add(rl.RetryAfter)) // best effort: this replica waits anyway
	}
	return ts, retry, err
}

// CanFind and Find pass the inner sender's look-up of an earlier post
// through (notifier.Finder), so exactly-once delivery holds with replicas:
// a replica that claims an alert another left mid-post finds the post.
func (p *pacedSender) CanFind() bool {
	f, ok := p.Sender.(notifier.Finder)
	return ok && f.CanFind()
}

func (p *pacedSender) Find(ctx context.Context, a model.Alert, since time.Time) (string, bool, error) {
	f, ok := p.Sender.(notifier.Finder)
	if !ok {
		return "", false, notifier.ErrNoHistory
	}
	return f.Find(ctx, a, since)
}

// wait reserves key's next slot and waits for it; if the channel was held
// (a Retry-After any replica got) past the slot meanwhile, it waits for
// the hold's end and reserves again.
func (p *pacedSender) wait(ctx context.Context, key string) error {
	for {
		slot, err := p.pg.ReserveSend(ctx, key, time.Now(), sendGap)
		if err != nil {
			return err
		}
		if err := sleepUntil(ctx, slot); err != nil {
			return err
		}
		held, err := p.pg.HeldUntil(ctx, key)
		if err != nil {
			return err
		}
		if !held.After(time.Now()) {
			return nil
		}
		if err := sleepUntil(ctx, held); err != nil {
			return err
		}
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	wait := time.Until(t)
	if wait <= 0 {
		return nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
