package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations are applied in order, each in its own transaction together with
// the schema_version row that records it. Never edit a released migration;
// append a new one.
var migrations = [][]string{
	1: {
		`CREATE TABLE fetch_state (
			source               TEXT PRIMARY KEY,
			etag                 TEXT NOT NULL DEFAULT '',
			last_modified        TEXT NOT NULL DEFAULT '',
			last_fetch           INTEGER,
			last_result          TEXT NOT NULL DEFAULT '',
			last_error           TEXT NOT NULL DEFAULT '',
			consecutive_failures INTEGER NOT NULL DEFAULT 0,
			next_attempt         INTEGER,
			fetched              BOOLEAN NOT NULL DEFAULT FALSE
		)`,
		`CREATE TABLE stories (
			id        INTEGER PRIMARY KEY,
			signature BLOB NOT NULL,
			created   INTEGER NOT NULL
		)`,
		`CREATE INDEX stories_created ON stories (created)`,
		// One row per LSH band key of a story, clustered by (band, created)
		// so a candidate lookup is an index range per band, restricted to
		// the story window. created duplicates stories.created for that.
		`CREATE TABLE story_bands (
			band     INTEGER NOT NULL,
			created  INTEGER NOT NULL,
			story_id INTEGER NOT NULL,
			PRIMARY KEY (band, created, story_id)
		) WITHOUT ROWID`,
		`CREATE TABLE items (
			source         TEXT NOT NULL,
			key            TEXT NOT NULL,
			canonical_link TEXT,
			content_hash   TEXT NOT NULL DEFAULT '',
			rules          TEXT NOT NULL DEFAULT '[]',
			story_id       INTEGER REFERENCES stories (id) ON DELETE SET NULL,
			published      INTEGER,
			first_seen     INTEGER NOT NULL,
			PRIMARY KEY (source, key)
		)`,
		`CREATE INDEX items_canonical_link ON items (canonical_link) WHERE canonical_link IS NOT NULL`,
		`CREATE INDEX items_story ON items (story_id)`,
		`CREATE INDEX items_first_seen ON items (first_seen)`,
		`CREATE TABLE outbox (
			id           INTEGER PRIMARY KEY,
			kind         TEXT NOT NULL CHECK (kind IN ('new', 'follow_up')),
			channel      TEXT NOT NULL,
			story_id     INTEGER REFERENCES stories (id) ON DELETE SET NULL,
			parent_id    INTEGER REFERENCES outbox (id) ON DELETE SET NULL,
			payload      TEXT NOT NULL,
			state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
			attempts     INTEGER NOT NULL DEFAULT 0,
			next_attempt INTEGER NOT NULL,
			ts           TEXT NOT NULL DEFAULT '',
			last_error   TEXT NOT NULL DEFAULT '',
			created      INTEGER NOT NULL,
			updated      INTEGER NOT NULL
		)`,
		// One AlertNew per story and channel, whatever its state.
		`CREATE UNIQUE INDEX outbox_new_per_story_channel ON outbox (story_id, channel) WHERE kind = 'new'`,
		`CREATE INDEX outbox_due ON outbox (state, next_attempt)`,
		`CREATE INDEX outbox_story ON outbox (story_id)`,
		`CREATE INDEX outbox_parent ON outbox (parent_id)`,
		`CREATE INDEX outbox_state_updated ON outbox (state, updated)`,
	},
	// The band index moves into memory (see storyIndex): each story keeps
	// its band keys in its own row, as 8-byte big-endian keys, for the index
	// to be rebuilt at open, and story_bands, whose random inserts cost most
	// of a Record, goes. group_concat's order within a story is unspecified;
	// a story's keys are a set.
	2: {
		`ALTER TABLE stories ADD COLUMN bands BLOB NOT NULL DEFAULT x''`,
		`UPDATE stories SET bands = g.bands
			FROM (SELECT story_id, unhex(group_concat(printf('%016X', band), '')) AS bands
				FROM story_bands GROUP BY story_id) AS g
			WHERE g.story_id = stories.id`,
		`DROP TABLE story_bands`,
	},
	// Retention counts from when an item was last seen in its source, so an
	// undated item that stays in a feed longer than the retention is not
	// forgotten and then taken for new.
	3: {
		`ALTER TABLE items ADD COLUMN last_seen INTEGER`,
		`UPDATE items SET last_seen = first_seen`,
		`CREATE INDEX items_last_seen ON items (last_seen)`,
		`DROP INDEX items_first_seen`,
	},
	// Exactly-once delivery: attempt_started is set, durably, before a post
	// goes out and cleared when Slack's answer proves it was not posted; an
	// alert found pending with it set may already be in Slack and is looked
	// up before it is posted again. notes keeps small facts the daemon
	// learns (this state's id, Slack channel ids, delivery notices for
	// status).
	4: {
		`ALTER TABLE outbox ADD COLUMN attempt_started INTEGER`,
		`CREATE TABLE notes (
			key     TEXT PRIMARY KEY,
			value   TEXT NOT NULL,
			updated INTEGER NOT NULL
		)`,
	},
	// Noise control (issue 14): the outbox gains the kinds 'digest' (part 1
	// of a digest) and 'digest_part' (parts 2…n, parent_id = part 1), and
	// the holding stage's state: each channel's flood window, the digests
	// being collected (one per channel, key and opening) and the articles
	// held for them. SQLite cannot alter a CHECK, so the outbox is rebuilt:
	// renamed first, so that its self-reference follows it and dropping it
	// fires no ON DELETE action on the copy.
	5: {
		`ALTER TABLE outbox RENAME TO outbox_v4`,
		`CREATE TABLE outbox (
			id              INTEGER PRIMARY KEY,
			kind            TEXT NOT NULL CHECK (kind IN ('new', 'follow_up', 'digest', 'digest_part')),
			channel         TEXT NOT NULL,
			story_id        INTEGER REFERENCES stories (id) ON DELETE SET NULL,
			parent_id       INTEGER REFERENCES outbox (id) ON DELETE SET NULL,
			payload         TEXT NOT NULL,
			state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
			attempts        INTEGER NOT NULL DEFAULT 0,
			next_attempt    INTEGER NOT NULL,
			ts              TEXT NOT NULL DEFAULT '',
			last_error      TEXT NOT NULL DEFAULT '',
			created         INTEGER NOT NULL,
			updated         INTEGER NOT NULL,
			attempt_started INTEGER
		)`,
		`INSERT INTO outbox (id, kind, channel, story_id, parent_id, payload, state, attempts,
				next_attempt, ts, last_error, created, updated, attempt_started)
			SELECT id, kind, channel, story_id, parent_id, payload, state, attempts,
				next_attempt, ts, last_error, created, updated, attempt_started FROM outbox_v4`,
		`DROP TABLE outbox_v4`,
		`CREATE UNIQUE INDEX outbox_new_per_story_channel ON outbox (story_id, channel) WHERE kind = 'new'`,
		`CREATE INDEX outbox_due ON outbox (state, next_attempt)`,
		`CREATE INDEX outbox_story ON outbox (story_id)`,
		`CREATE INDEX outbox_parent ON outbox (parent_id)`,
		`CREATE INDEX outbox_state_updated ON outbox (state, updated)`,
		`CREATE TABLE flood_windows (
			channel TEXT PRIMARY KEY,
			start   INTEGER NOT NULL,
			singles INTEGER NOT NULL
		)`,
		`CREATE TABLE digests (
			id        INTEGER PRIMARY KEY,
			channel   TEXT NOT NULL,
			key       TEXT NOT NULL,
			opened    INTEGER NOT NULL,
			due       INTEGER NOT NULL,
			posted    INTEGER,
			outbox_id INTEGER REFERENCES outbox (id) ON DELETE SET NULL
		)`,
		`CREATE UNIQUE INDEX digests_open ON digests (channel, key, opened) WHERE posted IS NULL`,
		`CREATE INDEX digests_due ON digests (due) WHERE posted IS NULL`,
		`CREATE INDEX digests_posted ON digests (posted) WHERE posted IS NOT NULL`,
		`CREATE TABLE held (
			channel   TEXT NOT NULL,
			source    TEXT NOT NULL,
			item_key  TEXT NOT NULL,
			story_id  INTEGER REFERENCES stories (id) ON DELETE SET NULL,
			digest_id INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
			rules     TEXT NOT NULL,
			article   TEXT NOT NULL,
			created   INTEGER NOT NULL,
			PRIMARY KEY (channel, source, item_key)
		)`,
		`CREATE INDEX held_story ON held (channel, story_id)`,
		`CREATE INDEX held_digest ON held (digest_id, created)`,
	},
}

// schemaVersion is the version a fully migrated database has.
func schemaVersion() int { return len(migrations) - 1 }

// migrate brings the database up to schemaVersion. It is idempotent and safe
// when two processes open the same file at once: each step re-reads the
// version inside its (immediate, so exclusive-writer) transaction.
func migrate(ctx context.Context, db *sql.DB, now func() time.Time) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY,
		applied INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for v := 1; v <= schemaVersion(); v++ {
		if err := migrateTo(ctx, db, v, now); err != nil {
			return fmt.Errorf("migrate to version %d: %w", v, err)
		}
	}
	cur, err := currentVersion(ctx, db)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cur > schemaVersion() {
		return fmt.Errorf("migrate: database schema version %d is newer than this binary's %d", cur, schemaVersion())
	}
	return nil
}

// migrateTo applies migration v unless it already has been.
func migrateTo(ctx context.Context, db *sql.DB, v int, now func() time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_version WHERE version = ?`, v).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	for _, stmt := range migrations[v] {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied) VALUES (?, ?)`, v, dbTime(now())); err != nil {
		return err
	}
	return tx.Commit()
}

// currentVersion is the highest applied migration, 0 for a new database.
func currentVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}
