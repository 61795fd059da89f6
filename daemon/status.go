package daemon

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/newswatch/newswatch/config"
	"github.com/newswatch/newswatch/redact"
	"github.com/newswatch/newswatch/store"
	"github.com/newswatch/newswatch/store/pgstore"
	"github.com/newswatch/newswatch/termtext"
)

// statusErrorWidth is how much of an error status shows. Wrapped errors
// put the cause last ("fetch …: dial …: blocked address"), so a long one
// keeps its start and its end.
const statusErrorWidth = 160

// Status prints each source's health and the outbox: what `newswatch
// status` shows. It opens the store read-only: it creates nothing,
// migrates nothing, builds no story index and works on a read-only file
// system, beside a running daemon.
func Status(ctx context.Context, w io.Writer, cfg *config.Config) error {
	if pgstore.IsURL(cfg.State) {
		return pgStatus(ctx, w, cfg)
	}
	st, err := store.OpenSQLiteReadOnly(ctx, cfg.State)
	if err != nil {
		return err
	}
	defer st.Close()
	return writeStatus(ctx, w, cfg, st)
}

func writeStatus(ctx context.Context, w io.Writer, cfg *config.Config, st statusState) error {
	if err := writeSources(ctx, w, cfg, st); err != nil {
		return err
	}
	counts, err := st.AlertCounts(ctx)
	if err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	fmt.Fprintf(w, "\nalerts: %d pending, %d sent, %d failed\n", counts.Pending, counts.Sent, counts.Failed)
	if cfg.Slack.Enabled() {
		fmt.Fprintf(w, "delivery: slack %s, undelivered alerts fail after %s (slack.give_up_after)\n",
			cfg.Slack.Mode(), cfg.Slack.GiveUp())
	}
	if err := writeHeld(ctx, w, st); err != nil {
		return err
	}
	if err := writeNotices(ctx, w, st); err != nil {
		return err
	}
	if err := writePending(ctx, w, st); err != nil {
		return err
	}
	failed, err := st.FailedAlerts(ctx, 20)
	if err != nil {
		return fmt.Errorf("read failed alerts: %w", err)
	}
	for _, f := range failed {
		fmt.Fprintf(w, "  failed #%d %s %s %q: %s\n", f.ID, f.At.Local().Format(time.DateTime), f.Channel,
			termtext.Cut(f.Title, 80), cutMiddle(f.Error, statusErrorWidth))
	}
	return nil
}

func writeSources(ctx context.Context, w io.Writer, cfg *config.Config, st statusState) error {
	states, err := st.FetchStates(ctx)
	if err != nil {
		return fmt.Errorf("read fetch state: %w", err)
	}
	byName := map[string]store.FetchState{}
	for _, fs := range states {
		byName[fs.Source] = fs
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tLAST FETCH\tRESULT\tFAILURES\tERROR")
	for _, src := range cfg.Sources {
		fs, ok := byName[src.Name]
		if !ok {
			fmt.Fprintf(tw, "%s\tnever\t-\t0\t\n", src.Name)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", src.Name, fs.LastFetch.Local().Format(time.DateTime),
			fs.LastResult, fs.ConsecutiveFailures, cutMiddle(redact.Text(fs.LastError, src.SecretParams...), statusErrorWidth))
	}
	return tw.Flush()
}

// writeHeld shows, per channel, the articles held for digests not yet
// posted and when the first of those is due.
func writeHeld(ctx context.Context, w io.Writer, st statusState) error {
	held, err := st.HeldCounts(ctx)
	if err != nil {
		return fmt.Errorf("read held articles: %w", err)
	}
	for _, h := range held {
		fmt.Fprintf(w, "held %s: %d %s for the next digest, due %s\n", termtext.Line(h.Channel), h.Held,
			plural(h.Held, "article", "articles"), h.Due.Local().Format(time.DateTime))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// writeNotices shows lasting delivery conditions the daemon recorded, such
// as exactly-once lookups being unavailable.
func writeNotices(ctx context.Context, w io.Writer, st statusState) error {
	notices, err := st.Notes(ctx, noticePrefix)
	if err != nil {
		return fmt.Errorf("read notices: %w", err)
	}
	keys := make([]string, 0, len(notices))
	for k := range notices {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if notices[k] == "" {
			continue // withdrawn
		}
		fmt.Fprintf(w, "notice %s: %s\n", strings.TrimPrefix(k, noticePrefix), termtext.Cut(notices[k], 600))
	}
	return nil
}

// writePending lists the oldest pending alerts with what keeps them
// pending: the last error and the next attempt.
func writePending(ctx context.Context, w io.Writer, st statusState) error {
	pending, err := st.PendingAlerts(ctx, 20)
	if err != nil {
		return fmt.Errorf("read pending alerts: %w", err)
	}
	for _, p := range pending {
		why := "not attempted yet"
		if p.Error != "" {
			why = fmt.Sprintf("%d attempts, last error: %s", p.Attempts, cutMiddle(p.Error, statusErrorWidth))
		}
		fmt.Fprintf(w, "  pending #%d since %s %s %q, next attempt %s: %s\n", p.ID, p.Created.Local().Format(time.DateTime),
			p.Channel, termtext.Cut(p.Title, 80), p.NextAttempt.Local().Format(time.DateTime), why)
	}
	return nil
}

// cutMiddle makes s terminal-safe and at most n characters, keeping its
// start and its end (where a wrapped error's cause is) around a "…".
func cutMiddle(s string, n int) string {
	r := []rune(termtext.Line(s))
	if len(r) <= n {
		return string(r)
	}
	head := n / 3
	tail := n - head - 1
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// pgStatus is Status for the database replicas share: the replicas first,
// then what Status shows for a file. It opens the database read-only and
// migrates nothing.
func pgStatus(ctx context.Context, w io.Writer, cfg *config.Config) error {
	pg, err := pgstore.Open(ctx, cfg.State, pgstore.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("open state: %w", err)
	}
	defer pg.Close()
	if err := printReplicas(ctx, w, pg); err != nil {
		return err
	}
	return writeStatus(ctx, w, cfg, pg)
}

// printReplicas lists the replicas sharing the database, alive or not.
func printReplicas(ctx context.Context, w io.Writer, pg *pgstore.Store) error {
	rs, err := pg.Replicas(ctx)
	if err != nil {
		return fmt.Errorf("read replicas: %w", err)
	}
	agree := "agree"
	if !pgstore.ConfigsAgree(rs) {
		agree = "DIFFER"
	}
	fmt.Fprintf(w, "replicas: %d (configs %s)\n", len(rs), agree)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPLICA\tHOST\tPID\tVERSION\tCONFIG\tSTARTED\tLAST SEEN\tALIVE")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%v\n", r.ID, termtext.Cut(r.Host, 40), r.PID,
			termtext.Cut(r.Version, 30), r.ConfigHash, r.Started.Local().Format(time.DateTime),
			r.LastSeen.Local().Format(time.DateTime), r.Alive)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return nil
}
