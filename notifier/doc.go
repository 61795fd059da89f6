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
//   - Delivery: each pace key (a channel; the webhook) has its own lane, a
//     goroutine that sends its alerts in order at most one per
//     PerChannelInterval, so a slow or rate-limited channel holds back no
//     other. A rate limit pauses that lane for Retry-After and postpones the
//     alert without counting an attempt; transient failures back off
//     exponentially with jitter until the alert is older than GiveUpAfter;
//     permanent ones fail at once with a log line that says what to do. Run
//     takes two contexts: one ends the scheduling of sends, the other (the
//     shutdown grace) bounds the sends in flight, which are not cut off.
//   - Exactly once (bot token): each post carries Slack message metadata
//     {event_type: newswatch_alert, alert_id, state}. The outbox marks an
//     attempt before the post and clears the mark when Slack's answer proves
//     nothing was posted; an alert found with the mark set (a crash, a
//     timeout, a reset, a 5xx) is looked up with conversations.history or
//     .replies (Finder) and adopted when found. Without the history scopes
//     (missing_scope) it is posted again, and the condition is reported once
//     through DelivererOptions.Notice.
//   - Follow-ups: threaded under ThreadTS with a bot token; posted as a full
//     alert when ThreadTS is "" (the parent failed); never posted through a
//     webhook (the Deliverer marks them sent).
package notifier
