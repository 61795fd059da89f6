// Package model holds the types every stage of the newswatch pipeline shares:
// sources, articles, rule matches and alerts. It imports nothing of ours, so
// crawler, matcher, notifier and store can all depend on it and not on each other.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Source is one configured feed or web page to watch.
type Source struct {
	Name string
	// Feed is the URL of an RSS/Atom/JSON feed (or of an HTML page that links
	// to one). Exactly one of Feed and Page is set.
	Feed string
	// Page is the URL of a listing page whose links lead to articles.
	Page string
	// Links, Title and Body are CSS selectors for page sources: Links picks
	// article links on the listing page; Title and Body, when set, pick the
	// parts of an article page (otherwise the main text is extracted).
	Links, Title, Body string
	// Schedule is a cron spec or "@every 10m"; empty means the default.
	Schedule string
	// MaxArticles caps the article pages fetched per pass (page sources).
	MaxArticles int
	// AllowPrivate lets this source (and what it links or redirects to)
	// resolve to private, loopback or link-local addresses.
	AllowPrivate bool
	// PrivateSet records that allow_private was written in the config, so
	// that an explicit false refuses private targets even for a source
	// whose URL names one. Unset, such a URL (an IP literal in a private
	// range, localhost) is taken as the operator's permission.
	PrivateSet bool
	// SecretParams names the query parameters of the URL whose values came
	// from ${VAR} expansions in the config: secrets, hidden (with the
	// userinfo and credential-like parameters) wherever the URL is printed.
	SecretParams []string
}

// URL returns the source's feed or page URL.
func (s Source) URL() string {
	if s.Feed != "" {
		return s.Feed
	}
	return s.Page
}

// Field names a part of an article's text. Phrases and NEAR never cross fields.
type Field uint8

const (
	FieldTitle Field = iota
	FieldSummary
	FieldBody
)

func (f Field) String() string {
	switch f {
	case FieldTitle:
		return "title"
	case FieldSummary:
		return "summary"
	case FieldBody:
		return "body"
	}
	return "unknown"
}

// Article is one item from a feed or one article page, as plain text: HTML
// stripped and entities decoded by the crawler.
type Article struct {
	Source        string    `json:"source"`
	GUID          string    `json:"guid,omitempty"`
	Link          string    `json:"link,omitempty"`
	CanonicalLink string    `json:"canonical_link,omitempty"`
	Title         string    `json:"title"`
	Summary       string    `json:"summary,omitempty"`
	Body          string    `json:"body,omitempty"`
	Published     time.Time `json:"published,omitempty"` // zero when undated or unparseable
}

// Text returns the article's text in the given field.
func (a *Article) Text(f Field) string {
	switch f {
	case FieldTitle:
		return a.Title
	case FieldSummary:
		return a.Summary
	case FieldBody:
		return a.Body
	}
	return ""
}

// Key identifies the article within its source: its GUID, else its
// canonical link.
func (a *Article) Key() string {
	if a.GUID != "" {
		return a.GUID
	}
	return a.CanonicalLink
}

// ContentHash fingerprints the text that rules match against, so a changed
// item is matched again.
func (a *Article) ContentHash() string {
	h := sha256.New()
	for _, s := range []string{a.Title, a.Summary, a.Body} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Span locates matched words: byte offsets [Start, End) into the original
// (not normalised) text of Field.
type Span struct {
	Field Field `json:"field"`
	Start int   `json:"start"`
	End   int   `json:"end"`
}

// Match says that a rule matched an article, and where.
type Match struct {
	Rule  string `json:"rule"`
	Spans []Span `json:"spans,omitempty"`
}

// AlertKind tells a new story's alert from a follow-up in its thread.
type AlertKind uint8

const (
	// AlertNew is the first alert of a story in a channel.
	AlertNew AlertKind = iota
	// AlertFollowUp is a later copy of an alerted story: a reply in the
	// parent alert's thread ("also reported by ...").
	AlertFollowUp
	// AlertDigest is the first (or only) part of a digest (Alert.Digest).
	AlertDigest
	// AlertDigestPart is a later part of a split digest: a reply in the
	// thread of its first part (ParentID), posted after it in webhook mode.
	AlertDigestPart
)

func (k AlertKind) String() string {
	switch k {
	case AlertFollowUp:
		return "follow_up"
	case AlertDigest:
		return "digest"
	case AlertDigestPart:
		return "digest_part"
	}
	return "new"
}

// ParseAlertKind is the inverse of String; anything unknown is AlertNew.
func ParseAlertKind(s string) AlertKind {
	for _, k := range []AlertKind{AlertFollowUp, AlertDigest, AlertDigestPart} {
		if s == k.String() {
			return k
		}
	}
	return AlertNew
}

// Threaded reports whether an alert of this kind is a reply in its
// parent's thread when the parent was sent.
func (k AlertKind) Threaded() bool { return k == AlertFollowUp || k == AlertDigestPart }

// AlertState is where an alert is in the outbox.
type AlertState string

const (
	AlertPending AlertState = "pending"
	AlertSent    AlertState = "sent"
	AlertFailed  AlertState = "failed"
)

// Alert is one message to deliver: a row of the outbox.
type Alert struct {
	ID       int64     `json:"id"`
	Kind     AlertKind `json:"kind"`
	Channel  string    `json:"channel"`
	StoryID  int64     `json:"story_id"`
	ParentID int64     `json:"parent_id,omitempty"` // follow-ups: the alert whose thread they join
	// ThreadTS is the parent's Slack ts, filled in when a follow-up is
	// claimed for delivery after its parent was sent.
	ThreadTS string   `json:"thread_ts,omitempty"`
	Rules    []string `json:"rules"`
	Article  Article  `json:"article"`
	// Spans are the matched words of all Rules, for highlighting.
	Spans    []Span    `json:"spans,omitempty"`
	Created  time.Time `json:"created"`
	Attempts int       `json:"attempts"`
	// AttemptStarted is when a post of this alert began whose outcome is
	// unknown (a crash, a timeout, a 5xx): it may be in Slack already.
	// Zero when no such attempt is outstanding. Kept by the outbox.
	AttemptStarted time.Time `json:"-"`
	// Digest is the digest part a digest alert posts (kinds AlertDigest and
	// AlertDigestPart); Article, Rules and Spans are then unused.
	Digest *Digest `json:"digest,omitempty"`
}
