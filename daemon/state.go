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

	Item(ctx context.Context, source, key string) (store.Item, error)
	ItemByCanonicalLink(ctx context.Context, link string) (store.Item, error)
	SeenLink(ctx context.Context, canonicalLink string) (bool, error)
	TouchItems(ctx context.Context, source string, keys []string) error

	StoryCandidates(ctx context.Context, bands []int64, since time.Time) ([]store.StoryCandidate, error)
	StoryAlert(ctx context.Context, storyID int64, channel string) (int64, error)
	Record(ctx context.Context, r store.Record) (int64, error)

	DueAlerts(ctx context.Context, now time.Time, limit int) ([]model.Alert, error)
	MarkSent(ctx context.Context, id int64, ts string) error
	MarkRetry(ctx context.Context, id int64, next time.Time, errMsg string) error
	MarkFailed(ctx context.Context, id int64, errMsg string) error
	NextDue(ctx context.Context) (time.Time, error)
	AlertCounts(ctx context.Context) (store.AlertCounts, error)
	FailedAlerts(ctx context.Context, limit int) ([]store.FailedAlert, error)
	Prune(ctx context.Context, before time.Time) error
}
