// Package flood is the holding stage of the alert pipeline (issue 14):
// between planning an alert and writing it to the outbox, it decides
// whether the alert is posted on its own, becomes a thread reply, is held
// for a digest, or is dropped, and it assembles the held articles of a
// digest. It depends only on model and the standard library; time is
// always passed in, so every rule is tested on an injected clock.
//
// The rules (the contract of issue 14):
//   - Flood cap, per channel (stdout and the webhook are one channel
//     each): a channel's Window opens with the first single alert after
//     the previous window closed and lasts Policy.Window; at most
//     Policy.Burst alerts are posted one by one in it; the rest are held
//     in the window's flood bucket, due when the window ends. Replies and
//     held articles do not count against the burst.
//   - Scheduled digests: an article matching only rules with a digest:
//     is held in the bucket of the one due first, until that rule's next
//     tick. An article matching a digest rule and an immediate rule in the
//     same channel is one alert naming both (subject to the flood cap).
//   - Stories: a later copy of a story alerted on its own is a reply in
//     that alert's thread; a copy of a story held for a digest joins that
//     digest (one line, "… and N other outlets"), except that a copy
//     matching an immediate rule releases a story held for a rule's
//     schedule (Decision.Release: alerted now, the held copies in its
//     thread); a copy of a story that went out in a digest is not posted
//     again.
//   - Reload (Reschedule): a changed flood.window moves the end of open
//     flood buckets, a changed digest: schedule the due time of the rule's
//     bucket; a removed digest: (or rule) makes its bucket due at once.
//     Held articles stay held.
//
// # State
//
// Decide is pure; its state lives in the store, written in the transaction
// that records the article, so a held article is durable from the moment
// it is matched. The store's migration 5 (store/schema.go) is this,
// as first proposed here:
//
//	CREATE TABLE flood_windows (          -- Window, one row per channel
//		channel TEXT PRIMARY KEY,
//		start   INTEGER NOT NULL,         -- unix nanoseconds, as elsewhere
//		singles INTEGER NOT NULL
//	);
//	CREATE TABLE digests (                -- Bucket
//		id        INTEGER PRIMARY KEY,
//		channel   TEXT NOT NULL,
//		key       TEXT NOT NULL,          -- 'flood' or 'rule:NAME'
//		opened    INTEGER NOT NULL,
//		due       INTEGER NOT NULL,
//		posted    INTEGER,                -- NULL while collecting
//		outbox_id INTEGER REFERENCES outbox (id) ON DELETE SET NULL -- its first part
//	);
//	CREATE UNIQUE INDEX digests_open ON digests (channel, key, opened) WHERE posted IS NULL;
//	CREATE INDEX digests_due ON digests (due) WHERE posted IS NULL;
//	CREATE TABLE held (                   -- Held
//		channel   TEXT NOT NULL,
//		source    TEXT NOT NULL,
//		item_key  TEXT NOT NULL,
//		story_id  INTEGER REFERENCES stories (id) ON DELETE SET NULL,
//		digest_id INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
//		rules     TEXT NOT NULL,          -- JSON list
//		article   TEXT NOT NULL,          -- JSON model.Article, as shown
//		created   INTEGER NOT NULL,
//		PRIMARY KEY (channel, source, item_key)
//	);
//	CREATE INDEX held_story ON held (channel, story_id);
//	CREATE INDEX held_digest ON held (digest_id, created);
//
// and outbox.kind gains 'digest' (part 1 of a digest) and 'digest_part'
// (parts 2…n, parent_id = part 1, threaded under its ts like follow-ups
// but posted in webhook mode too); SQLite cannot alter a CHECK, so the
// outbox table is rebuilt in that migration. The payload of a digest row
// is a model.Alert whose Digest is its part. (Migration 5 also indexes
// posted digests, for retention.)
//
// # Wiring (as the daemon does it; see docs/architecture.md)
//
//   - Record: per channel group of an article's fresh matches, find the
//     story's state (the story's AlertNew in the channel; else a held row
//     for (channel, story_id): its digest posted or not), load the
//     channel's window and unposted digests, call Decide; PostSingle and
//     PostReply become outbox rows as today, Hold inserts the digests row
//     (ID 0) and the held row; the window row is upserted.
//   - Flush: a timer at the earliest unposted due (at most 30 s apart,
//     and after a fetch that held something) takes Due buckets; in one transaction per bucket it loads its
//     held rows, calls Assemble, splits with notifier.DigestPages, inserts
//     the parts into the outbox and sets digests.posted. Held rows stay
//     until retention prunes them with their digest, so later copies of a
//     digested story find StoryDigested.
//   - Reload: each unposted bucket is rewritten with Reschedule, then the
//     flush timer re-armed.
//   - Status and metrics: SELECT channel, count(*), min(due) FROM held
//     JOIN digests … WHERE posted IS NULL GROUP BY channel for the `held`
//     line; delivered_total{delivery} counts single, reply and every
//     article of a digest part when the part is marked sent.
package flood
