package daemon

import (
	"context"
	"time"

	"github.com/newswatch/newswatch/model"
	"github.com/newswatch/newswatch/store"
)

// State is what the daemon needs from its state store. store.SQLite
// implements it; a PostgreSQL store for several replicas would too.
type State interface {
	Ping(ctx context.Context) error
	Close() error

	FetchState(ctx context.Context, source string) (store.FetchState, error)
	SaveFetchState(ctx context.Context, fs store.FetchState) error
	FetchStates(ctx context.Context) ([]store.FetchState, error)

	// KnownItems and RecordFetch are a fetch's one batched look-up and
	// its one write (see fetchBatch).
	KnownItems(ctx context.Context, source string, keys, links []string) (store.Known, error)
	RecordFetch(ctx context.Context, f store.Fetch) ([]store.RecordResult, error)
	SeenLink(ctx context.Context, canonicalLink string) (bool, error)

	StoryCandidates(ctx context.Context, bands []int64, since time.Time) ([]store.StoryCandidate, error)
	StoryAlert(ctx context.Context, storyID int64, channel string) (int64, error)

	DueAlerts(ctx context.Context, now time.Time, limit int) ([]model.Alert, error)
	MarkSent(ctx context.Context, id int64, ts string) error
	MarkRetry(ctx context.Context, id int64, next time.Time, errMsg string) error
	MarkFailed(ctx context.Context, id int64, errMsg string) error
	NextDue(ctx context.Context) (time.Time, error)
	AlertCounts(ctx context.Context) (store.AlertCounts, error)
	FailedAlerts(ctx context.Context, limit int) ([]store.FailedAlert, error)
	Prune(ctx context.Context, before time.Time) error
}
