package daemon

import (
	"context"
	"time"

	"github.com/newswatch/newswatch/flood"
	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/notifier"
	"github.com/newswatch/newswatch/store"
)

// The daemon's view of its state store, as small interfaces declared here,
// where they are used. store.SQLite implements them all; a PostgreSQL store
// for several replicas would too (its outbox claiming alerts with a lease,
// so that two replicas never deliver the same one).

// fetchStates keeps each source's conditional-GET and failure state. A
// state fenced by its tick lease (store.Fence, replicas) is refused with
// store.ErrLeaseLost once another replica has taken the source's lease.
type fetchStates interface {
	FetchState(ctx context.Context, source string) (store.FetchState, error)
	SaveFetchState(ctx context.Context, fs store.FetchState) error
	FetchStates(ctx context.Context) ([]store.FetchState, error)
}

// seenItems knows the items seen and when a source last showed them.
type seenItems interface {
	// KnownItems and RecordFetch are a fetch's one batched look-up and
	// its one write (see fetchBatch).
	KnownItems(ctx context.Context, source string, keys, links []string) (store.Known, error)
	RecordFetch(ctx context.Context, f store.Fetch) ([]store.RecordResult, error)
	SeenLink(ctx context.Context, canonicalLink string) (bool, error)
	TouchLinks(ctx context.Context, links []string) error
	TouchSource(ctx context.Context, source string) error
}

// stories finds story candidates and a story's alert in a channel.
type stories interface {
	StoryCandidates(ctx context.Context, bands []int64, since time.Time) ([]store.StoryCandidate, error)
	StoryAlert(ctx context.Context, storyID int64, channel string) (int64, error)
}

// digests is the holding stage's state (issue 14): flood windows, open
// digests and held articles; holds are written by RecordFetch.
type digests interface {
	FloodState(ctx context.Context) (map[string]flood.Window, []flood.Bucket, error)
	OpenDigests(ctx context.Context) ([]flood.Bucket, error)
	StoryHeld(ctx context.Context, storyID int64, channel string) (flood.Bucket, bool, error)
	HeldArticles(ctx context.Context, id int64) ([]flood.Held, error)
	PostDigest(ctx context.Context, id int64, parts []model.Alert) (bool, error)
	RescheduleDigests(ctx context.Context, bs []flood.Bucket) error
	HeldCounts(ctx context.Context) ([]store.HeldCount, error)
}

// outboxReader is what status and /metrics read of the outbox.
type outboxReader interface {
	AlertCounts(ctx context.Context) (store.AlertCounts, error)
	FailedAlerts(ctx context.Context, limit int) ([]store.FailedAlert, error)
	PendingAlerts(ctx context.Context, limit int) ([]store.PendingAlert, error)
}

// notes keeps small facts across restarts (notifier.Memo): the state's id,
// Slack channel ids, notices for status.
type notes interface {
	StateID(ctx context.Context) (string, error)
	Note(ctx context.Context, key string) (string, error)
	SetNote(ctx context.Context, key, value string) error
	Notes(ctx context.Context, prefix string) (map[string]string, error)
}

// State is everything the running daemon needs from its store.
type State interface {
	Ping(ctx context.Context) error
	Close() error
	Prune(ctx context.Context, before time.Time) error
	fetchStates
	seenItems
	stories
	digests
	notifier.Outbox
	outboxReader
	notes
}

// statusState is what `newswatch status` reads, from a store opened
// read-only.
type statusState interface {
	Close() error
	FetchStates(ctx context.Context) ([]store.FetchState, error)
	outboxReader
	Notes(ctx context.Context, prefix string) (map[string]string, error)
	HeldCounts(ctx context.Context) ([]store.HeldCount, error)
}

// noticePrefix prefixes the notes that status shows as delivery notices.
const noticePrefix = "notice:"
