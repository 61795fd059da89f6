package notifier

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/slack-go/slack"
)

// permanentCodes are Slack error codes that retrying cannot fix, with what
// the operator should do. %s is the channel.
var permanentCodes = map[string]string{
	"invalid_auth":                      "the bot token is not valid; set slack.token to the app's Bot User OAuth Token (xoxb-...)",
	"not_authed":                        "no bot token was sent; set slack.token",
	"account_inactive":                  "the bot token belongs to a deactivated user or app; reinstall the Slack app and update slack.token",
	"token_revoked":                     "the bot token was revoked; reinstall the Slack app and update slack.token",
	"token_expired":                     "the bot token expired; reinstall the Slack app and update slack.token",
	"missing_scope":                     "the app lacks the chat:write scope; add it under OAuth & Permissions and reinstall the app",
	"no_permission":                     "the app may not post to %s; check its scopes and the channel's posting permissions",
	"channel_not_found":                 "channel %s does not exist or the bot cannot see it; check the rule's channel (or slack.channel) and, for a private channel, invite the bot with /invite @newswatch",
	"not_in_channel":                    "the bot is not a member of %s; invite it with /invite @newswatch in that channel",
	"is_archived":                       "channel %s is archived; unarchive it or route the rule to another channel",
	"channel_is_archived":               "channel %s is archived; unarchive it or route the rule to another channel",
	"restricted_action":                 "the workspace does not let the bot post in %s; ask a Slack admin",
	"posting_to_general_channel_denied": "only admins may post in %s; route the rule to another channel",
	"msg_too_long":                      "Slack rejected the message as too long; this is a newswatch bug, please report it",
	"no_text":                           "Slack rejected the message as empty; this is a newswatch bug, please report it",
	"invalid_blocks":                    "Slack rejected the message blocks; this is a newswatch bug, please report it",
	"invalid_blocks_format":             "Slack rejected the message blocks; this is a newswatch bug, please report it",
	"invalid_payload":                   "Slack rejected the webhook payload; this is a newswatch bug, please report it",
	"invalid_token":                     "the incoming webhook is disabled or its URL is wrong; create a new webhook and set slack.webhook_url",
	"no_service":                        "the incoming webhook was removed or its URL is wrong; create a new webhook and set slack.webhook_url",
	"no_active_hooks":                   "the incoming webhook is disabled; re-enable it or create a new one and set slack.webhook_url",
	"action_prohibited":                 "a Slack admin has blocked this webhook; ask an admin or use a bot token",
	"team_disabled":                     "the Slack workspace is disabled",
}

// webhookStatusHints explain a webhook's HTTP status when its body did not
// carry a known code.
var webhookStatusHints = map[int]string{
	400: "Slack rejected the webhook payload; this is a newswatch bug, please report it",
	403: "the incoming webhook is disabled or forbidden; create a new webhook and set slack.webhook_url",
	404: "the incoming webhook URL is wrong or was removed; create a new webhook and set slack.webhook_url",
	410: "the webhook's channel is archived or gone; create a new webhook and set slack.webhook_url",
}

// classify turns a slack-go error into (retry, error) for the Deliverer.
// The error is *RateLimitError or *SlackError; its text has secrets removed.
func (s *Slack) classify(err error, channel string) (bool, error) {
	var rl *RateLimitError
	var srl *slack.RateLimitedError
	var ser slack.SlackErrorResponse
	var hse *httpStatusError
	var sce slack.StatusCodeError
	e := &SlackError{Channel: channel, Detail: s.redact(err.Error())}
	switch {
	case errors.As(err, &rl):
		return true, &RateLimitError{RetryAfter: rl.RetryAfter}
	case errors.As(err, &srl):
		return true, &RateLimitError{RetryAfter: min(max(srl.RetryAfter, 0), maxRetryAfter)}
	case errors.As(err, &ser):
		if ser.Err == "ratelimited" || ser.Err == "rate_limited" {
			return true, &RateLimitError{RetryAfter: DefaultRetryAfter}
		}
		e.Code = ser.Err
	case errors.As(err, &hse):
		e.Code, e.Detail = fmt.Sprintf("http_%d", hse.Code), "" // the detail only repeats the status
		if hse.SlackCode != "" {
			e.Code += " " + hse.SlackCode
		}
		return s.byStatus(e, hse.Code, hse.SlackCode)
	case errors.As(err, &sce):
		e.Code, e.Detail = fmt.Sprintf("http_%d", sce.Code), ""
		return s.byStatus(e, sce.Code, "")
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		e.Code, e.MaybePosted = "timeout", true
		return true, e
	case isNetwork(err):
		e.Code, e.MaybePosted = "network", true
		return true, e
	default: // e.g. a proxy's HTML page where JSON was expected
		e.Code, e.MaybePosted = "unexpected_response", true
		return true, e
	}
	return s.byCode(e, e.Code)
}

// byCode classifies a Slack error code. Unknown codes are retried: the
// attempt limit bounds them, and a new code should not lose an alert.
func (s *Slack) byCode(e *SlackError, code string) (bool, error) {
	if hint, ok := permanentCodes[code]; ok {
		e.Permanent, e.Hint = true, s.hint(hint, e.Channel)
		return false, e
	}
	return true, e
}

// byStatus classifies an HTTP error status: 5xx, 408 and 425 are transient;
// other 4xx are permanent.
func (s *Slack) byStatus(e *SlackError, status int, code string) (bool, error) {
	if status >= 500 || status == 408 || status == 425 {
		e.MaybePosted = status >= 500
		return true, e
	}
	e.Permanent = true
	if s.webhook == "" {
		e.Hint = "the Slack Web API answered an unexpected HTTP status; check slack.api_url"
		return false, e
	}
	if hint, ok := permanentCodes[code]; ok {
		e.Hint = s.hint(hint, e.Channel)
	} else {
		e.Hint = cmp.Or(webhookStatusHints[status], "Slack refused the webhook post; check slack.webhook_url")
	}
	return false, e
}

func (s *Slack) hint(h, channel string) string {
	if !strings.Contains(h, "%s") {
		return h
	}
	if channel == "" {
		channel = "the webhook's channel"
	}
	return fmt.Sprintf(h, channel)
}

func isNetwork(err error) bool {
	var ne net.Error
	var ue *url.Error
	return errors.As(err, &ne) || errors.As(err, &ue)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

var (
	tokenRe   = regexp.MustCompile(`xox[a-z]-[0-9A-Za-z-]+`)
	webhookRe = regexp.MustCompile(`/services/[^\s"'|<>]+`)
)

// redact removes the bot token and the webhook URL (its path is the
// secret) from text, plus anything shaped like a Slack token or webhook
// path, in case a library formats one differently.
func (s *Slack) redact(text string) string {
	for _, secret := range s.secrets {
		text = strings.ReplaceAll(text, secret, "[redacted]")
	}
	text = tokenRe.ReplaceAllString(text, "[redacted]")
	return webhookRe.ReplaceAllString(text, "/services/[redacted]")
}
