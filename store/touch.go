package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// TouchLinks marks the items with these canonical links (from any source)
// as seen now: a page source's listing that still shows a known link keeps
// its article from being pruned and then taken for new, as TouchItems does
// for the items a feed still carries.
func (s *SQLite) TouchLinks(ctx context.Context, links []string) error {
	if len(links) == 0 {
		return nil
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: touch links: %w", err)
	}
	defer tx.Rollback()
	now := dbTime(s.now())
	for chunk := range slices.Chunk(links, touchChunk) {
		args := make([]any, 0, len(chunk)+1)
		args = append(args, now)
		for _, l := range chunk {
			args = append(args, l)
		}
		q := `UPDATE items SET last_seen = ? WHERE canonical_link IN (?` + strings.Repeat(", ?", len(chunk)-1) + `)`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store: touch links: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: touch links: commit: %w", err)
	}
	return nil
}

// presenceWindow: on a 304, the items a source showed in its last read
// are those last seen within this long of its most recently seen one (one
// read touches them all within seconds). Erring wide only keeps an item
// longer, which never makes an alert repeat.
const presenceWindow = time.Hour

// TouchSource marks as seen now the items the source showed in its last
// read: a 304 Not Modified means it still shows them.
func (s *SQLite) TouchSource(ctx context.Context, source string) error {
	_, err := s.w.ExecContext(ctx, `UPDATE items SET last_seen = ?
		WHERE source = ? AND last_seen >= (SELECT MAX(last_seen) FROM items WHERE source = ?) - ?`,
		dbTime(s.now()), source, source, presenceWindow.Microseconds())
	if err != nil {
		return fmt.Errorf("store: touch source %s: %w", source, err)
	}
	return nil
}
