package notifier

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/newswatch/newswatch/model"
)

// Sender delivers one alert. ts is Slack's message ts ("" for stdout and
// webhooks). retry reports whether a failure is transient. A rate limit comes
// back as *RateLimitError{RetryAfter} with retry set.
type Sender interface {
	Send(ctx context.Context, a model.Alert) (ts string, retry bool, err error)
	// Threads reports whether follow-ups can be posted as thread replies
	// (bot-token mode, stdout). When false the Deliverer marks follow-ups
	// sent without posting them.
	Threads() bool
}

// PaceKeyer is implemented by Senders that know which alerts share Slack's
// one-message-a-second limit. Alerts with the same key are sent at most once
// per DelivererOptions.PerChannelInterval; the key "" means no pacing
// (stdout). A Sender without this method is paced per alert channel.
type PaceKeyer interface {
	PaceKey(a model.Alert) string
}

// DefaultRetryAfter is the wait used when Slack rate-limits without saying
// for how long (a 429 without Retry-After, or {"ok":false,"error":"ratelimited"}).
const DefaultRetryAfter = 10 * time.Second

// maxRetryAfter caps a Retry-After so a broken proxy cannot stall delivery
// for days.
const maxRetryAfter = time.Hour

// RateLimitError says Slack asked us to wait RetryAfter before posting again.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("slack: rate limited, retry after %s", e.RetryAfter)
}

// SlackError is a failed post to Slack, with secrets (token, webhook URL)
// removed from every part of it.
type SlackError struct {
	// Channel is the target channel; "" in webhook mode.
	Channel string
	// Code is Slack's error code ("channel_not_found"), or "http_NNN" for an
	// HTTP status, or "network" for a transport failure.
	Code string
	// Permanent is true when retrying cannot help.
	Permanent bool
	// Hint says what to do about a permanent error.
	Hint string
	// Detail is the redacted underlying error text.
	Detail string
	// MaybePosted: the request may have reached Slack and been posted
	// (timeout, network failure, 5xx, an unreadable answer).
	MaybePosted bool
}

func (e *SlackError) Error() string {
	target := "slack webhook"
	if e.Channel != "" {
		target = "slack channel " + e.Channel
	}
	msg := fmt.Sprintf("notifier: post to %s: %s", target, e.Code)
	if e.Detail != "" && e.Detail != e.Code {
		msg += " (" + e.Detail + ")"
	}
	if e.Hint != "" {
		msg += ": " + e.Hint
	}
	return msg
}

// Finder is implemented by Senders that can look up an earlier post of an
// alert (bot-token mode: message metadata carries the outbox id). The
// Deliverer asks before posting again an alert whose last attempt may have
// reached Slack, which makes delivery exactly once.
type Finder interface {
	// CanFind reports whether lookups are possible at all (false for an
	// incoming webhook, which cannot read its channel).
	CanFind() bool
	// Find looks for a's message posted at or after since. found false
	// with a nil error means it is certainly not there. An error wrapping
	// ErrNoHistory means no lookup is possible (a missing scope): the alert
	// is posted again, at least once.
	Find(ctx context.Context, a model.Alert, since time.Time) (ts string, found bool, err error)
}

// ErrNoHistory says Find cannot look at the channel's history.
var ErrNoHistory = errors.New("message history unavailable")

// MaybePosted reports whether a failed send may still have been posted (a
// timeout, a reset connection, a 5xx): the outbox keeps its attempt mark
// and the alert is looked up before it is posted again.
func MaybePosted(err error) bool {
	var se *SlackError
	return errors.As(err, &se) && se.MaybePosted
}
