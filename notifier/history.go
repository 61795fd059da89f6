package notifier

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/slack-go/slack"
)

// metadataEvent is the event_type of the message metadata each alert
// carries: {"alert_id": "<outbox id>", "state": "<state id>"}.
const metadataEvent = "newswatch_alert"

// History lookups read conversations.history (or .replies for a thread
// reply) from a little before the attempt, historyPage messages a page, at
// most historyPages pages: a channel busier than that between a crash and
// the restart gets the alert again (at least once).
const (
	historyLookBack = time.Minute // clock skew between newswatch and Slack
	historyPage     = 200
	historyPages    = 5
)

// channelIDKey prefixes the Memo keys of learnt channel ids.
const channelIDKey = "slack_channel_id:"

var channelIDRe = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)

func (s *Slack) metadata(a model.Alert) slack.SlackMetadata {
	return slack.SlackMetadata{EventType: metadataEvent, EventPayload: map[string]any{
		"alert_id": strconv.FormatInt(a.ID, 10), "state": s.stateID,
	}}
}

// CanFind is true in bot-token mode: a webhook cannot read its channel.
func (s *Slack) CanFind() bool { return s.api != nil }

// Find looks for a's message (by its metadata) posted since since, in the
// channel's history or, for a thread reply, in the thread. See Finder.
func (s *Slack) Find(ctx context.Context, a model.Alert, since time.Time) (string, bool, error) {
	if s.api == nil {
		return "", false, fmt.Errorf("%w: an incoming webhook cannot read the channel", ErrNoHistory)
	}
	ch, err := s.channelID(ctx, a.Channel)
	if err != nil {
		return "", false, err
	}
	oldest := slackTS(since.Add(-historyLookBack))
	cursor := ""
	for range historyPages {
		msgs, next, err := s.historyPage(ctx, a, ch, oldest, cursor)
		if err != nil {
			return "", false, s.lookupError(err, a.Channel)
		}
		for _, m := range msgs {
			if s.isAlert(m, a.ID) {
				return m.Timestamp, true, nil
			}
		}
		if next == "" {
			return "", false, nil
		}
		cursor = next
	}
	s.log.Warn("notifier: too many messages since the interrupted post to look it up; posting again",
		"alert_id", a.ID, "channel", a.Channel, "pages", historyPages)
	return "", false, nil
}

func (s *Slack) historyPage(ctx context.Context, a model.Alert, ch, oldest, cursor string) ([]slack.Message, string, error) {
	if a.Kind.Threaded() && a.ThreadTS != "" {
		msgs, more, next, err := s.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: ch, Timestamp: a.ThreadTS, Oldest: oldest, Cursor: cursor, Limit: historyPage,
			IncludeAllMetadata: true,
		})
		if !more {
			next = ""
		}
		return msgs, next, err
	}
	resp, err := s.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: ch, Oldest: oldest, Cursor: cursor, Limit: historyPage, IncludeAllMetadata: true,
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if resp.HasMore {
		next = resp.ResponseMetaData.NextCursor
	}
	return resp.Messages, next, nil
}

func (s *Slack) isAlert(m slack.Message, id int64) bool {
	md := m.Metadata
	return md.EventType == metadataEvent &&
		fmt.Sprint(md.EventPayload["alert_id"]) == strconv.FormatInt(id, 10) &&
		fmt.Sprint(md.EventPayload["state"]) == s.stateID
}

// lookupError turns a failed lookup into ErrNoHistory (a missing scope or
// another permanent error: post again, at least once), a *RateLimitError,
// or a transient *SlackError.
func (s *Slack) lookupError(err error, channel string) error {
	var ser slack.SlackErrorResponse
	if errors.As(err, &ser) && ser.Err == "missing_scope" {
		return fmt.Errorf("%w: the Slack app lacks the channels:history and groups:history scopes, so an alert whose post was interrupted (a crash, a timeout) cannot be looked up and may be posted twice; add both scopes and reinstall the app for exactly-once delivery", ErrNoHistory)
	}
	_, cerr := s.classify(err, channel)
	var se *SlackError
	if errors.As(cerr, &se) && se.Permanent {
		return fmt.Errorf("%w: %s", ErrNoHistory, se.Error())
	}
	return cerr
}

// channelID returns the id behind a channel name: the name itself when it
// is an id, else what a post to it answered (this run, or an earlier one
// through Memo), else what conversations.list says (scopes channels:read,
// groups:read). An error wraps ErrNoHistory, or is a rate limit or a
// transient failure.
func (s *Slack) channelID(ctx context.Context, name string) (string, error) {
	if channelIDRe.MatchString(name) {
		return name, nil
	}
	s.mu.Lock()
	id, ok := s.channelIDs[name]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	if s.memo != nil {
		if id, err := s.memo.Note(ctx, channelIDKey+name); err == nil && id != "" {
			s.remember(name, id)
			return id, nil
		}
	}
	id, err := s.listChannel(ctx, strings.TrimPrefix(name, "#"))
	if err != nil {
		return "", err
	}
	s.learnChannel(ctx, name, id)
	return id, nil
}

// listPages bounds the conversations.list paging of one name lookup.
const listPages = 20

// listChannel finds a channel's id by name with conversations.list.
func (s *Slack) listChannel(ctx context.Context, name string) (string, error) {
	cursor := ""
	for range listPages {
		chans, next, err := s.api.GetConversationsContext(ctx, &slack.GetConversationsParameters{
			Cursor: cursor, ExcludeArchived: true, Limit: 1000, Types: []string{"public_channel", "private_channel"},
		})
		if err != nil {
			var ser slack.SlackErrorResponse
			if errors.As(err, &ser) && ser.Err == "missing_scope" {
				return "", fmt.Errorf("%w: the id of channel #%s is not known yet (newswatch learns it from the first post to the channel, or reads it with the channels:read and groups:read scopes; or give the channel by id, such as C0123ABCD)", ErrNoHistory, name)
			}
			return "", s.lookupError(err, "#"+name)
		}
		for _, c := range chans {
			if c.Name == name {
				return c.ID, nil
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return "", fmt.Errorf("%w: channel #%s is not among the channels the app can list", ErrNoHistory, name)
}

func (s *Slack) remember(name, id string) {
	s.mu.Lock()
	s.channelIDs[name] = id
	s.mu.Unlock()
}

// learnChannel remembers the id Slack answered for a channel name.
func (s *Slack) learnChannel(ctx context.Context, name, id string) {
	if id == "" || id == name {
		return
	}
	s.mu.Lock()
	known := s.channelIDs[name] == id
	s.channelIDs[name] = id
	s.mu.Unlock()
	if known || s.memo == nil {
		return
	}
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := s.memo.SetNote(mctx, channelIDKey+name, id); err != nil {
		s.log.Warn("notifier: could not store a channel id", "channel", name, "error", err)
	}
}

// slackTS formats t as Slack's "seconds.micros" timestamp.
func slackTS(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}
