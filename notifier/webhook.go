package notifier

import (
	"context"

	"github.com/slack-go/slack"
)

// postWebhook posts msg to the incoming webhook. The returned error, if
// any, is classified and redacted (slack-go's errors contain the URL).
func (s *Slack) postWebhook(ctx context.Context, msg SlackMessage) (bool, error) {
	no := false
	err := slack.PostWebhookCustomHTTPContext(ctx, s.webhook, s.http, &slack.WebhookMessage{
		Text:        msg.Text,
		Blocks:      &slack.Blocks{BlockSet: msg.Blocks},
		UnfurlLinks: &no,
		UnfurlMedia: &no,
	})
	if err == nil {
		return false, nil
	}
	return s.classify(err, "")
}
