// Package notifier delivers alerts: it formats them for Slack (Block Kit)
// or stdout, posts them through slack-go in bot-token or incoming-webhook
// mode, and runs the delivery loop that drains the store's outbox.
//
// The package does not import store: the Deliverer works against the small
// Outbox interface declared here, which store.SQLite satisfies. NextDue's
// "nothing pending" may be reported either as a zero time with a nil error
// or as an error recognised by DelivererOptions.IsNotFound (the daemon
// passes errors.Is(err, store.ErrNotFound)).
//
// Design choices:
//   - Escaping: Slack mrkdwn has no backslash escapes. Article text (and
//     source and rule names) has &, < and > turned into entities, the
//     formatting characters * _ ~ ` replaced by look-alikes (∗ ˍ ∼ ˋ), and a
//     bare @channel/@here/@everyone broken with an invisible word joiner;
//     mrkdwn objects are sent with verbatim: true. Matched words are then
//     wrapped in our own *bold* markers. Links must be http(s) and have
//     |, <, > and spaces percent-encoded, so they cannot leave <url|label>.
//   - Errors: a Sender returns (ts, retry, err); rate limits are
//     *RateLimitError (429 with integer, fractional, date or missing
//     Retry-After, and 200 {"ok":false,"error":"ratelimited"}); everything
//     else is *SlackError, whose text never holds the token or webhook URL.
//   - Delivery: a rate limit pauses every send for Retry-After (Slack's
//     limits are per workspace and method), each channel gets at most one
//     message per PerChannelInterval, transient failures back off
//     exponentially with jitter until MaxAttempts, permanent ones fail at
//     once with a log line that says what to do.
//   - Follow-ups: threaded under ThreadTS with a bot token; posted as a full
//     alert when ThreadTS is "" (the parent failed); never posted through a
//     webhook (the Deliverer marks them sent).
package notifier
