package notifier

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/slack-go/slack"
)

// SlackOptions configures a Slack notifier. Set Token (bot-token mode:
// chat.postMessage, per-rule channels, threads) or WebhookURL (one channel,
// no threads); with both, the token is used.
type SlackOptions struct {
	Token, WebhookURL string
	// APIURL overrides the Web API base URL (tests, proxies), e.g.
	// "http://127.0.0.1:8080/api/"; a missing trailing slash is added.
	APIURL string
	// HTTPClient is used for every request; default a client with a 30s
	// timeout. Its Transport is wrapped, not modified.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// StateID identifies the state store whose outbox ids the alerts
	// carry in their message metadata (bot-token mode), so that a lookup
	// never adopts a message posted from another state.
	StateID string
	// Memo, if set, keeps what the notifier learns across restarts: the
	// channel id behind each channel name, which conversations.history
	// needs to look an alert up.
	Memo Memo
}

// Memo is a small durable key-value store (the state store's notes).
type Memo interface {
	Note(ctx context.Context, key string) (string, error)
	SetNote(ctx context.Context, key, value string) error
}

// Slack posts alerts to Slack through slack-go.
type Slack struct {
	api     *slack.Client // bot-token mode
	webhook string        // webhook mode
	http    *http.Client
	secrets []string // longest first
	log     *slog.Logger
	stateID string
	memo    Memo

	mu         sync.Mutex
	channelIDs map[string]string // channel name -> id, learnt from posts
}

// NewSlack returns a Slack notifier. Its errors never contain the token or
// the webhook URL.
func NewSlack(o SlackOptions) (*Slack, error) {
	s := &Slack{log: o.Logger, http: wrapClient(o.HTTPClient), stateID: o.StateID, memo: o.Memo,
		channelIDs: map[string]string{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.Token != "":
		if o.WebhookURL != "" {
			s.log.Info("notifier: both slack.token and slack.webhook_url are set; using the bot token")
		}
		return s, s.initToken(o.Token, o.APIURL)
	case o.WebhookURL != "":
		return s, s.initWebhook(o.WebhookURL)
	}
	return nil, errors.New("notifier: slack needs a bot token or an incoming webhook URL")
}

func wrapClient(c *http.Client) *http.Client {
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second}
	}
	wrapped := *c
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	wrapped.Transport = &statusTransport{base: base}
	return &wrapped
}

func (s *Slack) initToken(token, apiURL string) error {
	s.secrets = []string{token}
	opts := []slack.Option{slack.OptionHTTPClient(s.http)}
	if apiURL != "" {
		u, err := url.Parse(apiURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("notifier: slack.api_url must be an http or https URL")
		}
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/"
		}
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	s.api = slack.New(token, opts...)
	return nil
}

func (s *Slack) initWebhook(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("notifier: slack.webhook_url must be an http or https URL") // never echo it
	}
	s.webhook = raw
	for _, secret := range []string{raw, u.String(), u.EscapedPath(), u.Path, u.RawQuery} {
		if len(secret) >= 8 && !slices.Contains(s.secrets, secret) {
			s.secrets = append(s.secrets, secret)
		}
	}
	slices.SortFunc(s.secrets, func(a, b string) int { return len(b) - len(a) })
	return nil
}

// Threads reports whether follow-ups go into threads: true with a bot
// token, false with a webhook.
func (s *Slack) Threads() bool { return s.api != nil }

// PaceKey paces per channel with a bot token; a webhook is one channel.
func (s *Slack) PaceKey(a model.Alert) string {
	if s.api == nil {
		return "webhook"
	}
	return a.Channel
}

// Send posts the alert and returns Slack's message ts (bot-token mode).
// A follow-up goes into the thread a.ThreadTS; without one (its parent
// failed) it is posted as a full alert. In webhook mode follow-ups are not
// posted. A digest part (a.Digest) is posted the same way, as FormatDigest
// renders it: parts after the first in the first's thread with a bot token,
// one after the other in the channel with a webhook. Errors are
// *RateLimitError or *SlackError.
func (s *Slack) Send(ctx context.Context, a model.Alert) (string, bool, error) {
	if a.Kind == model.AlertFollowUp {
		switch {
		case s.api == nil:
			return "", false, nil // webhooks cannot thread: nothing to post
		case a.ThreadTS == "":
			a.Kind = model.AlertNew
		}
	}
	var msg SlackMessage
	if a.Digest != nil {
		msg = FormatDigest(*a.Digest)
	} else {
		msg = FormatSlack(a)
	}
	if s.api == nil {
		retry, err := s.postWebhook(ctx, msg)
		return "", retry, err
	}
	if a.Channel == "" {
		return "", false, &SlackError{Code: "no_channel", Permanent: true,
			Hint: "the alert has no channel; set slack.channel or the rule's channel"}
	}
	opts := []slack.MsgOption{
		slack.MsgOptionText(msg.Text, false),
		slack.MsgOptionBlocks(msg.Blocks...),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
	if a.Kind.Threaded() && a.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(a.ThreadTS))
	}
	opts = append(opts, slack.MsgOptionMetadata(s.metadata(a)))
	channelID, ts, err := s.api.PostMessageContext(ctx, a.Channel, opts...)
	if err != nil {
		retry, err := s.classify(err, a.Channel)
		return "", retry, err
	}
	s.learnChannel(ctx, a.Channel, channelID)
	return ts, false, nil
}

// String describes the notifier without its secrets.
func (s *Slack) String() string {
	if s.api == nil {
		return "slack (incoming webhook)"
	}
	return "slack (bot token)"
}
